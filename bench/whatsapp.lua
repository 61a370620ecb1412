-- wrk script: Meta WhatsApp Cloud API text webhooks, as Meta posts them (no signature: the
-- bench config has verify: off).
--
--   wrk -t1 -c64 -d15s --latency -s bench/whatsapp.lua http://127.0.0.1:PORT/webhooks/whatsapp
--
-- Every message id (messages[0].id) is unique across wrk threads (the thread id is part of it)
-- and across runs (RUN_ID, default: the time and a random number).
--
-- Environment:
--   RUN_ID      id namespace; two runs with the same RUN_ID post the same ids
--   RUN_EPOCH   Unix time of the first message timestamp (default: now); with the same RUN_ID
--               too, two runs post byte-identical bodies
--   REPLAY_IDS  K > 0: each thread cycles over K ids, so its first K posts are new messages and
--               every later one re-posts one of them byte for byte, as a provider's retry does
--               (the replay workload: the gateway's idempotent-replay cache answers them)
--
-- Report: see wrk_status_counts.lua.

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "wrk_status_counts.lua")
dofile(here .. "webhook_bodies.lua")

local head, replay_ids

function init(args)
  reset_counts()
  init_bodies()
  replay_ids = tonumber(os.getenv("REPLAY_IDS") or "0") or 0
  local path = wrk.path
  if path == nil or path == "" or path == "/" then path = "/webhooks/whatsapp" end
  head = "POST " .. path .. " HTTP/1.1\r\nHost: " .. wrk.host .. "\r\n" ..
         "User-Agent: facebookexternalua\r\nContent-Type: application/json\r\nContent-Length: "
end

function request()
  sent = sent + 1
  local number = sent
  if replay_ids > 0 then
    number = (sent - 1) % replay_ids + 1
    if sent > replay_ids then sent_repeat = sent_repeat + 1 else sent_fresh = sent_fresh + 1 end
  else
    sent_fresh = sent_fresh + 1
  end
  local body = whatsapp_body(number)
  return head .. #body .. "\r\n\r\n" .. body
end
