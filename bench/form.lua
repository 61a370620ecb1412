-- wrk script: POSTs website-form JSON, each request with unique content (so each is a new
-- message), and counts answers by status.
--
--   wrk -t1 -c64 -d15s --latency -s bench/form.lua http://127.0.0.1:PORT/webhooks/form
--
-- After wrk's report it prints one machine-readable line:
--   STATUS 2xx=N 409=N 4xx=N 5xx=N other=N
-- and LATENCY_US p50=N p99=N (microseconds).

local counter = 0
local threads = {}
local run = os.getenv("RUN_ID") or tostring(os.time())

function setup(thread)
  thread:set("tid", #threads + 1)
  thread:set("run", run)
  table.insert(threads, thread)
end

function init(args)
  ok, dup, c4, c5, other = 0, 0, 0, 0, 0
end

local texts = {
  "Bonjour, je voudrais prendre rendez-vous pour un conseil sur mon contrat de travail.",
  "Hello, I would like an appointment to discuss a tenancy dispute with my landlord.",
  "C'est urgent : mon employeur ne m'a pas payé depuis deux mois, que dois-je faire ?",
  "Could you call me back about the divorce paperwork? Thank you.",
}

function request()
  counter = counter + 1
  local body = string.format(
    '{"name":"Client %d","email":"client.%s.%d.%d@example.org","subject":"Demande %d","message":"%s (ref %s-%d-%d)"}',
    counter, run, tid, counter, counter, texts[counter % #texts + 1], run, tid, counter)
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, body)
end

function response(status, headers, body)
  if status >= 200 and status < 300 then ok = ok + 1
  elseif status == 409 then dup = dup + 1
  elseif status >= 400 and status < 500 then c4 = c4 + 1
  elseif status >= 500 then c5 = c5 + 1
  else other = other + 1 end
end

function done(summary, latency, requests)
  local t = {ok = 0, dup = 0, c4 = 0, c5 = 0, other = 0}
  for _, thread in ipairs(threads) do
    t.ok = t.ok + thread:get("ok")
    t.dup = t.dup + thread:get("dup")
    t.c4 = t.c4 + thread:get("c4")
    t.c5 = t.c5 + thread:get("c5")
    t.other = t.other + thread:get("other")
  end
  io.write(string.format("STATUS 2xx=%d 409=%d 4xx=%d 5xx=%d other=%d\n", t.ok, t.dup, t.c4, t.c5, t.other))
  io.write(string.format("LATENCY_US p50=%d p99=%d\n", latency:percentile(50), latency:percentile(99)))
end
