-- wrk script of the benchmark of the cost of observing: the same requests to every configuration.
--   register PREFIX      each request registers a new user (POST /users, no password: Argon2 would be
--                        all we measured), so each is an event through the pipeline to the notifier
--   read USER_ID TOKEN   each request reads one user (GET /users/<id> with that user's token): cheap,
--                        so what observing adds to each request weighs the most
-- done() writes the summary as the last line, a JSON object (common/bench.py's wrk() reads it).
local thread_id = 0
local counter = 0

function setup(thread)
    thread:set("thread_id", thread_id)
    thread_id = thread_id + 1
end

function init(args)
    if args[1] == "read" then
        read = wrk.format("GET", "/users/" .. args[2], {["Authorization"] = "Bearer " .. args[3]})
    else
        prefix = args[2] or "bench"
    end
end

request = function()
    if read then
        return read
    end
    counter = counter + 1
    local body = string.format('{"name":"Bench User","email":"%s-%d-%d@bench.example"}', prefix, thread_id, counter)
    return wrk.format("POST", "/users", {["Content-Type"] = "application/json"}, body)
end

done = function(summary, latency, requests)
    io.write(string.format(
        '{"requests": %d, "duration_us": %d, "bad_status": %d, "socket_errors": %d, "p99_us": %d}\n',
        summary.requests, summary.duration, summary.errors.status,
        summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
        latency:percentile(99)))
end
