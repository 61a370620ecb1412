#pragma once

#include <string>
#include <string_view>

#include "memolib/plugins/common/form_data.hpp"

/// Twilio's request signature, shared by the WhatsApp and SMS channels.
namespace memolib::plugins::common {

/// X-Twilio-Signature: base64 of HMAC-SHA1(auth_token, url + every POST parameter's name and
/// value, sorted by name), as https://www.twilio.com/docs/usage/security describes.
std::string twilio_signature(std::string_view url, const FormPairs& params,
                             std::string_view auth_token);

}  // namespace memolib::plugins::common
