-- POST /api/auth/login as the benchmark user (TG_EMAIL, TG_PASSWORD).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = string.format('{"email":"%s","password":"%s"}', os.getenv("TG_EMAIL"), os.getenv("TG_PASSWORD"))
dofile(os.getenv("TG_BENCH_DIR") .. "/report.lua")
