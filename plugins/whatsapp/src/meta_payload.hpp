#pragma once

#include <string_view>

#include "parse_result.hpp"

namespace memolib::plugins::whatsapp {

// Reads a Meta WhatsApp Cloud API notification (the raw JSON body of the webhook) into one
// message per entry[].changes[].value.messages[] element, in order. A body that is not a JSON
// object with `object: whatsapp_business_account` is an `unknown_provider` error; changes of
// another `field` than "messages" and status notifications (`statuses[]`) yield no message.
ParseResult parse_meta(std::string_view body);

}  // namespace memolib::plugins::whatsapp
