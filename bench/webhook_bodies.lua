-- Shared by the workload scripts, loaded with dofile: the webhook bodies of the four channels,
-- as their providers post them, each carrying a client message of 100 to 600 bytes, French or
-- English, with accents, quotes and line breaks (so bodies need escaping and the language
-- detector has real work).
--
-- Every body derives from (RUN, EPOCH, the thread id, a number), so the same number is a
-- byte-identical re-post, and different numbers or threads are different messages.

local french = {
  "Bonjour, je n'ai toujours pas reçu le colis commandé le 3 mars, le suivi indique \"en transit\" depuis dix jours.",
  "Pourriez-vous me rappeler demain matin ? Je suis disponible entre 9h et 11h.",
  "Mon propriétaire refuse de me rendre la caution alors que l'état des lieux de sortie était parfait.",
  "C'est urgent : l'audience est fixée à jeudi et je n'ai pas encore reçu les conclusions adverses.",
  "Merci pour votre réponse rapide, je vous envoie les pièces justificatives dès ce soir.",
  "Je souhaite contester la facture n° 2024-118, le montant ne correspond pas au devis signé.",
  "Est-il possible de décaler notre rendez-vous de vendredi à la semaine prochaine ?",
  "Mon employeur m'a remis une lettre de licenciement sans entretien préalable, est-ce légal ?",
  "Veuillez trouver ci-joint la copie du bail et les trois dernières quittances de loyer.",
  "Le syndic ne répond plus à nos courriers depuis l'infiltration d'eau dans la cage d'escalier.",
  "Je confirme ma présence au rendez-vous du 12 à 14h30 au cabinet.",
  "Bonsoir, pouvez-vous m'indiquer les honoraires pour une procédure de divorce à l'amiable ?",
}
local english = {
  "Hello, my parcel ordered on March 3rd still hasn't arrived and tracking has said \"in transit\" for ten days.",
  "Could you call me back tomorrow morning? I am available between 9 and 11am.",
  "My landlord refuses to return the deposit although the check-out inventory was spotless.",
  "This is urgent: the hearing is on Thursday and I still haven't received the other side's submissions.",
  "Thank you for the quick answer, I will send the supporting documents tonight.",
  "I would like to dispute invoice no. 2024-118, the amount does not match the signed quote.",
  "Would it be possible to move our Friday meeting to next week?",
  "My employer handed me a dismissal letter without any prior interview, is that lawful?",
  "Please find attached a copy of the lease and the last three rent receipts.",
  "The building manager has stopped answering our letters since the water leak in the stairwell.",
  "I confirm I will attend the appointment on the 12th at 2:30pm at your office.",
  "Good evening, what would your fees be for an uncontested divorce?",
}

-- One text of 100..600 bytes, cut at a space so that no UTF-8 character is split.
local function one_text()
  local corpus = (math.random() < 0.5) and french or english
  local want = math.random(100, 600)
  local parts, len = {}, 0
  while len < want do
    if len > 0 then
      local sep = (math.random() < 0.2) and "\n" or " "
      parts[#parts + 1] = sep
      len = len + 1
    end
    local s = corpus[math.random(#corpus)]
    parts[#parts + 1] = s
    len = len + #s
  end
  local text = table.concat(parts)
  if #text > 600 then
    local cut = 600
    while cut > 100 and text:sub(cut, cut) ~= " " do cut = cut - 1 end
    text = text:sub(1, cut - 1)
  end
  return text
end

local function json_escape(s)
  return (s:gsub('[%c"\\]', function(c)
    if c == '"' then return '\\"'
    elseif c == "\\" then return "\\\\"
    elseif c == "\n" then return "\\n"
    elseif c == "\r" then return "\\r"
    elseif c == "\t" then return "\\t"
    else return string.format("\\u%04x", c:byte()) end
  end))
end

-- application/x-www-form-urlencoded, as browsers and Twilio send it: space as '+'.
local function url_encode(s)
  return (s:gsub("[^%w%-%._~ ]", function(c)
    return string.format("%%%02X", c:byte())
  end):gsub(" ", "+"))
end

local variants = 256
local json_texts, url_texts, json_names, url_names = {}, {}, {}, {}
local contact_names = { "Camille Martin", "Lucas Bernard", "Léa Dubois", "Hugo Petit",
  "Chloé Moreau", "Emma Johnson", "Oliver Smith", "Noah Wilson", "Inès Lefèvre",
  "Mohamed Benali", "Sofía García" }

-- Called from each thread's init(): the texts depend on the thread id only.
function init_bodies()
  math.randomseed(7000 + tid)
  for i = 1, variants do
    local t = one_text()
    json_texts[i], url_texts[i] = json_escape(t), url_encode(t)
  end
  for i, n in ipairs(contact_names) do json_names[i], url_names[i] = json_escape(n), url_encode(n) end
end

local function pick(list, number) return list[number % #list + 1] end

-- A valid French mobile number (E.164 digits without '+': 06 6x xx xx xx), the same for the
-- same number.
local function mobile(number)
  return string.format("3366%07d", (tid * 7919 + number * 104729) % 10000000)
end

-- An id made of letters and digits only, which every provider's id format accepts.
local function unique(number) return RUN .. "T" .. tid .. "N" .. number end

-- Meta WhatsApp Cloud API, one text message.
function whatsapp_body(number)
  local phone = mobile(number)
  return '{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"value":' ..
    '{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881",' ..
    '"phone_number_id":"106540352242922"},"contacts":[{"profile":{"name":"' ..
    pick(json_names, number) .. '"},"wa_id":"' .. phone .. '"}],"messages":[{"from":"' ..
    phone .. '","id":"wamid.HBgL' .. unique(number) .. '","timestamp":"' ..
    (EPOCH + math.floor(number / 1000)) .. '","type":"text","text":{"body":"' ..
    pick(json_texts, number) .. '"}}]},"field":"messages"}]}]}'
end

-- A website contact form posted as JSON; it has no id, so the gateway dedups on its content,
-- which the reference makes unique.
function form_body(number)
  return '{"name":"' .. pick(json_names, number) .. '","email":"client.' .. unique(number) ..
    '@example.org","phone":"+' .. mobile(number) .. '","subject":"Demande ' .. number ..
    '","message":"' .. pick(json_texts, number) .. ' (ref ' .. unique(number) .. ')"}'
end

-- Twilio Programmable Messaging, an inbound SMS (urlencoded).
function sms_body(number)
  return "ToCountry=FR&SmsMessageSid=SM" .. unique(number) .. "&NumMedia=0&SmsSid=SM" ..
    unique(number) .. "&SmsStatus=received&Body=" .. pick(url_texts, number) ..
    "&FromCountry=FR&To=%2B33170000000&NumSegments=1&MessageSid=SM" .. unique(number) ..
    "&AccountSid=AC00000000000000000000000000000001&From=%2B" .. mobile(number) ..
    "&ApiVersion=2010-04-01"
end

-- Mailgun's forward of an inbound e-mail (urlencoded).
function email_body(number)
  local address = "client." .. unique(number) .. "%40example.org"
  return "recipient=contact%40cabinet.example.fr&sender=" .. address .. "&from=" ..
    pick(url_names, number) .. "+%3C" .. address .. "%3E&To=contact%40cabinet.example.fr" ..
    "&subject=Demande+" .. number .. "&body-plain=" .. pick(url_texts, number) ..
    "&Message-Id=%3C" .. unique(number) .. "%40mail.example.org%3E&timestamp=" ..
    (EPOCH + math.floor(number / 1000))
end
