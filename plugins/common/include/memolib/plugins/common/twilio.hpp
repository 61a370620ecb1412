#pragma once

#include <string>
#include <string_view>

#include "memolib/plugins/common/form_data.hpp"
#include "memolib/sdk/adapter.hpp"

/// Twilio's request signature and answer, shared by the WhatsApp and SMS channels.
namespace memolib::plugins::common {

/// X-Twilio-Signature: base64 of HMAC-SHA1(auth_token, url + every POST parameter's name and
/// value, sorted by name), as https://www.twilio.com/docs/usage/security describes.
std::string twilio_signature(std::string_view url, const FormPairs& params,
                             std::string_view auth_token);

/// Answers a Twilio messaging webhook the way Twilio expects: every success (stored, duplicate,
/// accepted, quarantined) as an empty TwiML document, 200 text/xml, since Twilio logs anything
/// else as error 12300 in the customer's console and never retries; refusals keep the host's
/// answer.
void answer_twilio(const sdk::Outcome& outcome, const sdk::Host& host);

}  // namespace memolib::plugins::common
