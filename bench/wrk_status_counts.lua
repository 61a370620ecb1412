-- Shared by the workload scripts (whatsapp.lua, mixed.lua), loaded with dofile: thread ids,
-- the run's id namespace, answers counted by status in every wrk thread, and one
-- machine-readable report in done(), since wrk's own summary does not split statuses.
--
-- Report lines (after wrk's own output):
--   COUNTS 2xx=N replayed=N duplicate=N 409=N 4xx=N 5xx=N other=N total=N
--       2xx includes the replayed ones (2xx carrying X-Idempotent-Replay: true) and the
--       duplicates (a 2xx JSON `"status":"duplicate"`: a re-delivery the replay cache no
--       longer holds, answered by the dedup index; nothing stored); 4xx excludes 409
--   SENT requests=N fresh=N repeats=N   what request() built (including requests still in
--                                       flight when wrk stopped)
--   LATENCY_US p50=N p90=N p99=N p999=N max=N mean=N
--   SUMMARY requests=N duration_us=N rps=N errors_connect=N errors_read=N errors_write=N
--           errors_timeout=N errors_status=N

local registered = {}

-- Evaluated in the main Lua state and in each thread's; setup() gives the threads the main
-- state's values, so that every thread shares one namespace. The same RUN_ID and RUN_EPOCH
-- (the Unix time the message timestamps start from) twice post the same bodies: a replay.
RUN = os.getenv("RUN_ID")
if RUN == nil or RUN == "" then
  math.randomseed(os.time())
  RUN = string.format("%x%04x", os.time(), math.random(0, 0xffff))
end
EPOCH = tonumber(os.getenv("RUN_EPOCH") or "") or os.time()

function setup(thread)
  registered[#registered + 1] = thread
  thread:set("tid", #registered)
  thread:set("RUN", RUN)
  thread:set("EPOCH", EPOCH)
end

function reset_counts()
  c2xx, creplayed, cduplicate, c409, c4xx, c5xx, cother = 0, 0, 0, 0, 0, 0, 0
  sent, sent_fresh, sent_repeat = 0, 0, 0
  shown_unexpected = false
end

function count_response(status, headers, body)
  if status >= 200 and status < 300 then
    c2xx = c2xx + 1
    local replay = headers["X-Idempotent-Replay"] or headers["x-idempotent-replay"]
    if replay == "true" then creplayed = creplayed + 1
    elseif body and body:find('"status":"duplicate"', 1, true) then cduplicate = cduplicate + 1 end
    return
  end
  if status == 409 then c409 = c409 + 1
  elseif status >= 400 and status < 500 then c4xx = c4xx + 1
  elseif status >= 500 and status < 600 then c5xx = c5xx + 1
  else cother = cother + 1 end
  -- One example per thread of an answer no workload expects: it names the faulty field.
  if status ~= 409 and not shown_unexpected then
    shown_unexpected = true
    io.stderr:write(string.format("thread %d: unexpected %d: %s\n", tid, status,
      (body or ""):sub(1, 400)))
  end
end

function response(status, headers, body)
  count_response(status, headers, body)
end

function done(summary, latency, requests)
  local t = { c2xx = 0, creplayed = 0, cduplicate = 0, c409 = 0, c4xx = 0, c5xx = 0, cother = 0,
              sent = 0, sent_fresh = 0, sent_repeat = 0 }
  for _, thread in ipairs(registered) do
    for key, _ in pairs(t) do t[key] = t[key] + (thread:get(key) or 0) end
  end
  local total = t.c2xx + t.c409 + t.c4xx + t.c5xx + t.cother
  io.write(string.format(
    "COUNTS 2xx=%d replayed=%d duplicate=%d 409=%d 4xx=%d 5xx=%d other=%d total=%d\n",
    t.c2xx, t.creplayed, t.cduplicate, t.c409, t.c4xx, t.c5xx, t.cother, total))
  io.write(string.format("SENT requests=%d fresh=%d repeats=%d\n",
    t.sent, t.sent_fresh, t.sent_repeat))
  io.write(string.format("LATENCY_US p50=%d p90=%d p99=%d p999=%d max=%d mean=%.1f\n",
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max, latency.mean))
  local e = summary.errors
  io.write(string.format("SUMMARY requests=%d duration_us=%d rps=%.1f errors_connect=%d " ..
    "errors_read=%d errors_write=%d errors_timeout=%d errors_status=%d\n",
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
    e.connect, e.read, e.write, e.timeout, e.status))
end
