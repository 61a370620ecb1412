-- wrk script: a mixed load over the four channels. Request n goes, in turn, to WhatsApp (Meta
-- JSON), the website form (JSON), SMS (Twilio, urlencoded) and e-mail (Mailgun, urlencoded),
-- each with its provider's content type and a message no other request carries.
--
--   wrk -t1 -c64 -d15s --latency -s bench/mixed.lua http://127.0.0.1:PORT/
--
-- Environment: RUN_ID, RUN_EPOCH as in whatsapp.lua. Report: see wrk_status_counts.lua.

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "wrk_status_counts.lua")
dofile(here .. "webhook_bodies.lua")

local channels = {
  { path = "/webhooks/whatsapp", content_type = "application/json", body = whatsapp_body },
  { path = "/webhooks/form", content_type = "application/json", body = form_body },
  { path = "/webhooks/sms", content_type = "application/x-www-form-urlencoded", body = sms_body },
  { path = "/webhooks/email", content_type = "application/x-www-form-urlencoded", body = email_body },
}
local heads = {}

function init(args)
  reset_counts()
  init_bodies()
  for i, c in ipairs(channels) do
    heads[i] = "POST " .. c.path .. " HTTP/1.1\r\nHost: " .. wrk.host .. "\r\nContent-Type: " ..
               c.content_type .. "\r\nContent-Length: "
  end
end

function request()
  sent = sent + 1
  sent_fresh = sent_fresh + 1
  local i = (sent - 1) % #channels + 1
  local body = channels[i].body(sent)
  return heads[i] .. #body .. "\r\n\r\n" .. body
end
