-- The REST calls for wrk, one operation per run: wrk -s wrk_calls.lua URL -- OP SECONDS [ARGS].
--
--   hello | get | list_N | update     the same request every time (a seeded user, as in the gRPC files)
--   create PREFIX                     a new user per call: PREFIX-000001@example.com, PREFIX-000002@...
--   delete FIRST LAST                 users FIRST..LAST, one per call, then stop
--
-- wrk's own -d counts whole seconds and cannot stop when a pool of users runs out, so this script ends
-- the run itself: after SECONDS (or after the last user to delete) it sends wrk the SIGINT that Ctrl-C
-- would, and wrk prints its results for the time it ran. done() adds one JSON line for the study.

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clock, bench_timespec *now);
int kill(int pid, int signal);
int getpid(void);
]]
local MONOTONIC, SIGINT = 1, 2
local clock = ffi.new("bench_timespec")

local function now()
  ffi.C.clock_gettime(MONOTONIC, clock)
  return tonumber(clock.tv_sec) + tonumber(clock.tv_nsec) * 1e-9
end

local JSON = { ["Content-Type"] = "application/json" }
local op, seconds, fixed, prefix, next_id, last_id
local calls, started, stopping = 0, nil, false

function init(args)
  op, seconds = args[1], tonumber(args[2])
  if op == "hello" then
    fixed = wrk.format("GET", "/hello")
  elseif op == "get" then
    fixed = wrk.format("GET", "/users/1")
  elseif op:match("^list_%d+$") then
    fixed = wrk.format("GET", "/users?limit=" .. op:match("%d+"))
  elseif op == "update" then
    fixed = wrk.format("PUT", "/users/2", JSON, '{"name":"Updated by wrk","email":"seed2@example.com"}')
  elseif op == "create" then
    prefix = args[3]
  elseif op == "delete" then
    next_id, last_id = tonumber(args[3]), tonumber(args[4])
  else
    error("unknown operation " .. tostring(op))
  end
end

local function stop()
  if not stopping then
    stopping = true
    wrk.thread:stop() -- this thread sends nothing more
    ffi.C.kill(ffi.C.getpid(), SIGINT) -- and wrk reports now, not when -d runs out
  end
end

function request()
  calls = calls + 1
  if started == nil then
    started = now()
  elseif now() - started >= seconds then
    stop()
  end
  if fixed then
    return fixed
  elseif op == "create" then
    local body = string.format('{"name":"Bench User %d","email":"%s-%06d@example.com"}', calls, prefix, calls)
    return wrk.format("POST", "/users", JSON, body)
  end
  local id = next_id
  if id >= last_id then
    stop() -- the last user of the pool: delete it, then end the run
  end
  next_id = id + 1
  return wrk.format("DELETE", "/users/" .. id)
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    'RESULT {"requests": %d, "duration_us": %d, "status_errors": %d, "socket_errors": %d, '
      .. '"p50_us": %d, "p99_us": %d}\n',
    summary.requests, summary.duration, errors.status,
    errors.connect + errors.read + errors.write + errors.timeout,
    latency:percentile(50), latency:percentile(99)))
end
