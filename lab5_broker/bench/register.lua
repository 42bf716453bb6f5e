-- wrk script: each request registers a new user (POST /users, no password: the benchmark measures the
-- pipeline, not Argon2). Every thread numbers its own emails, so no two requests collide.
local thread_id = 0
local counter = 0

function setup(thread)
    thread:set("thread_id", thread_id)
    thread_id = thread_id + 1
end

function init(args)
    prefix = args[1] or "bench"
    pause = tonumber(args[2]) or 0  -- milliseconds each connection waits before its next request
end

function delay()
    return pause
end

request = function()
    counter = counter + 1
    local body = string.format('{"name":"Bench User","email":"%s-%d-%d@bench.example"}', prefix, thread_id, counter)
    return wrk.format("POST", "/users", {["Content-Type"] = "application/json"}, body)
end

done = function(summary, latency, requests)
    io.write(string.format('{"requests": %d, "bad_status": %d, "socket_errors": %d, "p99_us": %d}\n',
        summary.requests, summary.errors.status,
        summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
        latency:percentile(99)))
end
