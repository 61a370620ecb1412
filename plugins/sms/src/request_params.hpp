#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "memolib/plugins/common/form_data.hpp"
#include "memolib/sdk/adapter.hpp"

namespace memolib::plugins::sms {

// One problem found in a request, reported through Host::error.
struct FieldError {
    std::string field;
    std::string code;
    std::string message;
};

using FieldErrors = std::vector<FieldError>;

// Where the provider put its parameters.
enum class ParamSource { kForm, kJson, kQuery };

// The flat name/value parameters of one webhook request, in the order they came. JSON members
// are read at the top level only: strings as they are, numbers as written, booleans as
// "true"/"false"; null members are absent.
struct Params {
    ParamSource source = ParamSource::kForm;
    common::FormPairs pairs;
    // JSON members whose value is an object or an array: no SMS parameter is one.
    std::vector<std::string> structured;

    // The first value of `name`, if any.
    const std::string* find(std::string_view name) const;
    bool has(std::string_view name) const { return find(name) != nullptr; }
    // True when `name` is a JSON member holding an object or an array.
    bool is_structured(std::string_view name) const;
    // "body" for a POST body, "query" for parameters in the query string.
    const char* origin() const { return source == ParamSource::kQuery ? "query" : "body"; }
};

// The outcome of reading a request's parameters: kOk with params, or kInvalid /
// kUnsupportedMediaType with errors.
struct ReadResult {
    sdk::Status status = sdk::Status::kOk;
    Params params;
    FieldErrors errors;
};

// Reads the parameters of a GET (its query string) or a POST (a JSON or urlencoded body; the
// query string when the body is empty).
ReadResult read_params(const sdk::Request& request);

enum class Provider { kUnknown, kTwilio, kVonage };

// Twilio posts a form (or a query) with MessageSid or SmsSid; Vonage sends msisdn and
// messageId as JSON, a form or a query.
Provider detect_provider(const Params& params);

// The error a request no provider recognizes gets.
FieldError unknown_provider_error(const Params& params);

}  // namespace memolib::plugins::sms
