#pragma once

#include "memolib/sdk/adapter.hpp"
#include "request_params.hpp"
#include "settings.hpp"

namespace memolib::plugins::sms {

// Checks X-Twilio-Signature when a Twilio auth token is configured: kOk, or kUnauthorized
// with the reason in `errors`.
sdk::Status verify_twilio(const sdk::Request& request, const Params& params,
                          const Settings& settings, FieldErrors& errors);

// Normalizes a Twilio incoming-message webhook into `out`; false with `errors` when the
// request does not validate.
bool parse_twilio(const Params& params, const Settings& settings, sdk::Message& out,
                  FieldErrors& errors);

}  // namespace memolib::plugins::sms
