#pragma once

#include <cstdint>
#include <string>

#include "vonage_signature.hpp"

namespace memolib::plugins::sms {

// The channel's configuration once validated; immutable after the adapter is built.
struct Settings {
    // Empty when Twilio requests are accepted unsigned.
    std::string twilio_auth_token;
    // Empty when Vonage requests are accepted unsigned.
    std::string vonage_signature_secret;
    VonageSignatureMethod vonage_signature_method = VonageSignatureMethod::kMd5Hash;
    // How far a signed Vonage request's `timestamp` may be from the arrival time; 0 for no
    // limit.
    std::int64_t vonage_max_age_ms = 0;
    // Upper-case ISO 3166 region national numbers are read in.
    std::string default_region = "FR";
};

}  // namespace memolib::plugins::sms
