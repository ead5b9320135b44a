-- POST /api/tasks with a Bearer token (TG_TOKEN).
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TG_TOKEN")
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"title":"benchmark task","description":"written by wrk"}'
dofile(os.getenv("TG_BENCH_DIR") .. "/report.lua")
