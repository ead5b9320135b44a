-- GET with an optional Bearer token (TG_TOKEN).
local token = os.getenv("TG_TOKEN")
if token and token ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. token
end
dofile(os.getenv("TG_BENCH_DIR") .. "/report.lua")
