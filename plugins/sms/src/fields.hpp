#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "request_params.hpp"

namespace memolib::plugins::sms {

// Upper bound of a provider message id (Twilio's are 34 characters, Vonage's 16-17).
constexpr std::size_t kMaxIdBytes = 128;
// Upper bound of a short parameter (a number, a city, a keyword…).
constexpr std::size_t kMaxShortBytes = 256;

// A phone number in E.164 ("+33612345678"), or nullopt when it is none. Numbers with a '+'
// are read as international; digits without one are read as international first when
// `digits_are_international` (Vonage's msisdn: "447700900001"), then as a national number of
// `region`. A number libphonenumber does not know but that has E.164's shape (a country
// code, at most 15 digits) is kept as it is: the provider vouches for it, and refusing it
// would lose the message.
std::optional<std::string> phone_to_e164(std::string_view raw, std::string_view region,
                                         bool digits_are_international);

// The sender as it is stored: E.164 for a phone number, else the short code or alphanumeric
// sender id as given, with `type` saying which ("short_code", "alphanumeric"; empty for a
// phone number). Nullopt when it is none of these.
struct Sender {
    std::string address;
    std::string type;
};
std::optional<Sender> normalize_sender(std::string_view raw, std::string_view region,
                                       bool digits_are_international);

// True when `value` is UTF-8 without NUL and at most `max` bytes; else records why under
// `field`.
bool check_text(std::string_view field, std::string_view value, std::size_t max,
                FieldErrors& errors);

// True when `value` is a provider id: 1 to kMaxIdBytes of A-Z a-z 0-9 . _ : -; else records
// why under `field`.
bool check_id(std::string_view field, std::string_view value, FieldErrors& errors);

// The value of `name`, which must be present: records `required` when it is absent and
// `invalid_type` when it is a JSON object or array.
const std::string* required_param(const Params& params, std::string_view name, FieldErrors& errors);

// The value of `name` when present and a text (a structured JSON member is recorded as
// `invalid_type`); nullptr otherwise.
const std::string* optional_param(const Params& params, std::string_view name, FieldErrors& errors);

// A decimal integer of at most 9 digits, without sign; nullopt otherwise.
std::optional<int> small_integer(std::string_view text);

}  // namespace memolib::plugins::sms
