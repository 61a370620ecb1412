#pragma once

#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "memolib/sdk/adapter.hpp"

namespace memolib::plugins::form {

// The header Typeform signs its webhooks in.
inline constexpr std::string_view kTypeformSignatureHeader = "Typeform-Signature";

// Parses `body` into `document`; false when it is not JSON. Iterative, so that the depth of a
// body costs no stack.
bool parse_json_document(std::string_view body, rapidjson::Document& document);

// True when `root` is a Typeform webhook: an object whose `event_type` is "form_response" and
// whose `form_response` is an object (the first occurrence of each member counts).
bool is_typeform_event(const rapidjson::Value& root) noexcept;

// Checks `Typeform-Signature: sha256=<base64 HMAC-SHA256(secret, raw body)>`; kUnauthorized,
// with the reason as a field error on the header, when it is missing or wrong.
sdk::Status verify_typeform(const sdk::Request& request, std::string_view secret,
                            const sdk::Host& host);

// Normalizes one Typeform `form_response` (is_typeform_event(root) holds) into one message
// from the "typeform" provider, reading national phone numbers in `region`; kInvalid with
// field details when the payload does not have Typeform's shape.
sdk::Status parse_typeform(const rapidjson::Value& root, const std::string& region,
                           const sdk::Host& host);

}  // namespace memolib::plugins::form
