#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace memolib::plugins::whatsapp {

// A WhatsApp number ("16505551234" as Meta writes it, "+14155238886" as Twilio does) in E.164
// ("+16505551234"); nullopt when it is not 6 to 15 digits, optionally after one '+', with no
// leading zero. libphonenumber writes it when it knows the number; a number it does not know
// (a range newer than its metadata, Meta's own 555 test numbers) is still kept as "+digits",
// since WhatsApp has already vouched for it and refusing it would lose the message.
std::optional<std::string> whatsapp_e164(std::string_view number);

}  // namespace memolib::plugins::whatsapp
