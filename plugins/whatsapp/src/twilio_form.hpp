#pragma once

#include "memolib/plugins/common/form_data.hpp"
#include "parse_result.hpp"

namespace memolib::plugins::whatsapp {

// True when a form-encoded body is Twilio's: it has a MessageSid (or SmsMessageSid), or its
// From is a `whatsapp:` address.
bool is_twilio_form(const common::FormPairs& params);

// Reads a Twilio WhatsApp webhook (form parameters) into its one message, or none for a
// status callback (MessageStatus / SmsStatus other than "received").
ParseResult parse_twilio(const common::FormPairs& params);

}  // namespace memolib::plugins::whatsapp
