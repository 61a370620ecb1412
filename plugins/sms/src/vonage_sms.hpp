#pragma once

#include "memolib/sdk/adapter.hpp"
#include "request_params.hpp"
#include "settings.hpp"

namespace memolib::plugins::sms {

// Checks the `sig` of a signed Vonage inbound SMS when a signature secret is configured: kOk,
// or kUnauthorized with the reason in `errors`.
sdk::Status verify_vonage(const sdk::Request& request, const Params& params,
                          const Settings& settings, FieldErrors& errors);

// Normalizes a Vonage inbound SMS (one part of a concatenated SMS is one message) into
// `out`; false with `errors` when the request does not validate.
bool parse_vonage(const Params& params, const Settings& settings, sdk::Message& out,
                  FieldErrors& errors);

}  // namespace memolib::plugins::sms
