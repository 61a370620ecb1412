#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace memolib::plugins::whatsapp {

// A WhatsApp number ("16505551234" as Meta writes it, "+14155238886" as Twilio does) in E.164
// ("+16505551234"); nullopt when it is not 6 to 15 digits, optionally after one '+', with no
// leading zero. WhatsApp numbers are already international digits that WhatsApp has vouched
// for, so libphonenumber is not asked: its verdict would not change the result (a number it
// does not know, such as Meta's 555 test numbers, must still be kept) and its regular
// expressions cost more than the rest of a webhook's parse (docs/performance.md).
std::optional<std::string> whatsapp_e164(std::string_view number);

}  // namespace memolib::plugins::whatsapp
