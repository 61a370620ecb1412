#include "vonage_sms.hpp"

#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "fields.hpp"
#include "memolib/plugins/common/crypto.hpp"
#include "memolib/plugins/common/json_writer.hpp"
#include "memolib/plugins/common/text.hpp"
#include "memolib/sdk/adapter.hpp"
#include "vonage_signature.hpp"

namespace memolib::plugins::sms {
namespace {

// Texts are bounded by the channel's body limit already; this only keeps one field sane.
constexpr std::size_t kMaxTextBytes = std::size_t{1024} * 1024;

// Unix seconds ("1578787200"); nullopt unless 1 to 12 digits.
std::optional<std::int64_t> unix_seconds(std::string_view text) {
    if (text.empty() || text.size() > 12) return std::nullopt;
    std::int64_t n = 0;
    for (char c : text) {
        if (c < '0' || c > '9') return std::nullopt;
        n = n * 10 + (c - '0');
    }
    return n;
}

std::string short_param(const Params& params, std::string_view name, FieldErrors& errors) {
    const std::string* value = optional_param(params, name, errors);
    if (value == nullptr || !check_text(name, *value, kMaxShortBytes, errors)) return {};
    return *value;
}

// The concatenation fields of one part of a multipart SMS.
struct Concat {
    std::string ref;
    std::string part;
    std::string total;
};

// Reads concat-ref, concat-part and concat-total, which Vonage sends with concat=true.
Concat read_concat(const Params& params, FieldErrors& errors) {
    Concat out;
    const std::string* flag = optional_param(params, "concat", errors);
    if (flag == nullptr || !sdk::iequals(common::trim(*flag), "true")) return out;
    if (const std::string* ref = required_param(params, "concat-ref", errors)) {
        if (check_text("concat-ref", *ref, kMaxShortBytes, errors)) {
            if (common::trim(*ref).empty()) {
                errors.push_back({"concat-ref", "required", "empty for a concatenated SMS"});
            } else {
                out.ref = std::string(common::trim(*ref));
            }
        }
    }
    std::optional<int> part;
    std::optional<int> total;
    for (const char* field : {"concat-part", "concat-total"}) {
        const std::string* text = required_param(params, field, errors);
        if (text == nullptr) continue;
        const std::optional<int> n = small_integer(common::trim(*text));
        if (!n || *n < 1) {
            errors.push_back(
                {field, "invalid_format",
                 "expected a positive integer, got '" + common::printable(*text) + "'"});
            continue;
        }
        (std::string_view(field) == "concat-part" ? part : total) = n;
    }
    if (part && total && *part > *total) {
        errors.push_back({"concat-part", "out_of_range",
                          "part " + std::to_string(*part) + " of " + std::to_string(*total)});
    }
    if (part) out.part = std::to_string(*part);
    if (total) out.total = std::to_string(*total);
    return out;
}

}  // namespace

sdk::Status verify_vonage(const sdk::Request& request, const Params& params,
                          const Settings& settings, FieldErrors& errors) {
    if (settings.vonage_signature_secret.empty()) return sdk::Status::kOk;
    const std::string* sig = params.find("sig");
    if (sig == nullptr || sig->empty()) {
        errors.push_back({"sig", "missing_signature",
                          "no sig parameter, and vonage_signature_secret is configured"});
        return sdk::Status::kUnauthorized;
    }
    const std::string* timestamp = params.find("timestamp");
    if (timestamp == nullptr) {
        errors.push_back({"timestamp", "missing_timestamp",
                          "a signed Vonage request carries the timestamp it was signed at"});
        return sdk::Status::kUnauthorized;
    }
    const std::string expected = vonage_signature(params.pairs, settings.vonage_signature_secret,
                                                  settings.vonage_signature_method);
    // Vonage writes the HMAC variants in upper-case hex and md5hash in lower-case.
    if (!common::constant_time_equals(expected, common::to_lower(*sig))) {
        errors.push_back({"sig", "bad_signature",
                          "sig does not match the request (check vonage_signature_secret and "
                          "vonage_signature_method)"});
        return sdk::Status::kUnauthorized;
    }
    const std::optional<std::int64_t> seconds = unix_seconds(*timestamp);
    if (!seconds) {
        errors.push_back({"timestamp", "invalid_format",
                          "expected Unix seconds, got '" + common::printable(*timestamp) + "'"});
        return sdk::Status::kUnauthorized;
    }
    if (settings.vonage_max_age_ms > 0 &&
        std::llabs(request.received_at_ms() - *seconds * 1000) > settings.vonage_max_age_ms) {
        errors.push_back({"timestamp", "stale_timestamp",
                          "signed at " + *timestamp +
                              " (Unix seconds), further from now than vonage_max_age allows"});
        return sdk::Status::kUnauthorized;
    }
    return sdk::Status::kOk;
}

bool parse_vonage(const Params& params, const Settings& settings, sdk::Message& out,
                  FieldErrors& errors) {
    const std::size_t errors_before = errors.size();
    out.provider = "vonage";

    if (const std::string* id = required_param(params, "messageId", errors)) {
        if (check_id("messageId", *id, errors)) out.external_id = *id;
    }

    std::string sender_type;
    if (const std::string* msisdn = required_param(params, "msisdn", errors)) {
        if (check_text("msisdn", *msisdn, kMaxShortBytes, errors)) {
            if (auto sender = normalize_sender(*msisdn, settings.default_region, true)) {
                out.sender = std::move(sender->address);
                sender_type = std::move(sender->type);
            } else {
                errors.push_back({"msisdn", "invalid_format",
                                  "'" + common::printable(*msisdn) +
                                      "' is neither a phone number, a short code nor a sender "
                                      "id"});
            }
        }
    }

    if (const std::string* to = required_param(params, "to", errors)) {
        if (check_text("to", *to, kMaxShortBytes, errors)) {
            out.recipient = phone_to_e164(*to, settings.default_region, true)
                                .value_or(std::string(common::trim(*to)));
        }
    }

    const std::string type = short_param(params, "type", errors);
    std::string data;
    std::string udh;
    if (type == "binary") {
        // A binary SMS has no text: its content is `data`, with the hex user data header.
        if (const std::string* value = optional_param(params, "data", errors)) {
            if (check_text("data", *value, kMaxTextBytes, errors)) data = *value;
        }
        udh = short_param(params, "udh", errors);
        if (const std::string* text = optional_param(params, "text", errors)) {
            if (check_text("text", *text, kMaxTextBytes, errors)) out.text = *text;
        }
    } else if (const std::string* text = required_param(params, "text", errors)) {
        if (check_text("text", *text, kMaxTextBytes, errors)) out.text = *text;
    }

    if (const std::string* stamp = optional_param(params, "message-timestamp", errors)) {
        if (const std::optional<long long> ms = common::parse_iso8601_ms(*stamp)) {
            out.provider_timestamp_ms = *ms;
        } else {
            errors.push_back(
                {"message-timestamp", "invalid_format",
                 "expected YYYY-MM-DD HH:MM:SS (UTC), got '" + common::printable(*stamp) + "'"});
        }
    } else if (const std::string* seconds = optional_param(params, "timestamp", errors)) {
        if (const std::optional<std::int64_t> s = unix_seconds(*seconds)) {
            out.provider_timestamp_ms = *s * 1000;
        }
    }

    const std::string keyword = short_param(params, "keyword", errors);
    const std::string api_key = short_param(params, "api-key", errors);
    const Concat concat = read_concat(params, errors);
    out.metadata_json = common::json_object({{"type", type},
                                             {"keyword", keyword},
                                             {"api_key", api_key},
                                             {"concat_ref", concat.ref},
                                             {"concat_part", concat.part},
                                             {"concat_total", concat.total},
                                             {"data", data},
                                             {"udh", udh},
                                             {"sender_type", sender_type}});
    return errors.size() == errors_before;
}

}  // namespace memolib::plugins::sms
