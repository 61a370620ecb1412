#include "fields.hpp"

#include "memolib/plugins/common/phone.hpp"
#include "memolib/plugins/common/text.hpp"

namespace memolib::plugins::sms {
namespace {

bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

bool is_alpha(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

bool all_digits(std::string_view s) noexcept {
    if (s.empty()) return false;
    for (char c : s) {
        if (!is_digit(c)) return false;
    }
    return true;
}

// `s` without the separators people and gateways put in numbers.
std::string compact(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (char c : s) {
        if (c != ' ' && c != '-' && c != '.' && c != '(' && c != ')') out += c;
    }
    return out;
}

// E.164's shape: a country code that does not start with 0, at most 15 digits in all, and at
// least 7 (no country has shorter subscriber numbers with its code).
bool e164_shaped(std::string_view digits) noexcept {
    return all_digits(digits) && digits.size() >= 7 && digits.size() <= 15 && digits[0] != '0';
}

// GSM alphanumeric sender ids have at most 11 characters and at least one letter.
bool is_alphanumeric_sender(std::string_view s) noexcept {
    if (s.empty() || s.size() > 11) return false;
    bool letter = false;
    for (char c : s) {
        if (is_alpha(c)) {
            letter = true;
        } else if (!is_digit(c) && c != ' ' && c != '-' && c != '.' && c != '&') {
            return false;
        }
    }
    return letter;
}

}  // namespace

std::optional<std::string> phone_to_e164(std::string_view raw, std::string_view region,
                                         bool digits_are_international) {
    const std::string_view number = common::trim(raw);
    if (number.empty() || number.size() > 64) return std::nullopt;
    const std::string digits = compact(number);
    if (digits.empty()) return std::nullopt;
    if (digits[0] == '+') {
        if (auto e164 = common::to_e164(number, region)) return e164;
        if (e164_shaped(std::string_view(digits).substr(1))) return digits;
        return std::nullopt;
    }
    if (digits_are_international && all_digits(digits)) {
        if (auto e164 = common::to_e164("+" + digits, region)) return e164;
    }
    if (auto e164 = common::to_e164(number, region)) return e164;
    if (digits_are_international && e164_shaped(digits)) return "+" + digits;
    return std::nullopt;
}

std::optional<Sender> normalize_sender(std::string_view raw, std::string_view region,
                                       bool digits_are_international) {
    if (auto e164 = phone_to_e164(raw, region, digits_are_international)) {
        return Sender{std::move(*e164), ""};
    }
    const std::string_view s = common::trim(raw);
    // Short codes have 3 to 8 digits (5-6 in most countries).
    if (all_digits(s) && s.size() >= 3 && s.size() <= 8)
        return Sender{std::string(s), "short_code"};
    if (is_alphanumeric_sender(s)) return Sender{std::string(s), "alphanumeric"};
    return std::nullopt;
}

bool check_text(std::string_view field, std::string_view value, std::size_t max,
                FieldErrors& errors) {
    if (value.size() > max) {
        errors.push_back({std::string(field), "too_long",
                          "longer than " + std::to_string(max) + " bytes (" +
                              std::to_string(value.size()) + ")"});
        return false;
    }
    if (!common::is_valid_utf8(value)) {
        errors.push_back({std::string(field), "invalid_encoding", "not valid UTF-8"});
        return false;
    }
    // Storage backends cannot hold a NUL inside text.
    if (value.find('\0') != std::string_view::npos) {
        errors.push_back({std::string(field), "invalid_encoding", "contains a NUL character"});
        return false;
    }
    return true;
}

bool check_id(std::string_view field, std::string_view value, FieldErrors& errors) {
    if (value.empty()) {
        errors.push_back({std::string(field), "required", "the message id is empty"});
        return false;
    }
    if (value.size() > kMaxIdBytes) {
        errors.push_back({std::string(field), "too_long",
                          "a message id has at most " + std::to_string(kMaxIdBytes) + " bytes"});
        return false;
    }
    for (char c : value) {
        if (!is_digit(c) && !is_alpha(c) && c != '.' && c != '_' && c != ':' && c != '-') {
            errors.push_back({std::string(field), "invalid_format",
                              "a message id is made of A-Z a-z 0-9 . _ : -, got '" +
                                  common::printable(value) + "'"});
            return false;
        }
    }
    return true;
}

const std::string* required_param(const Params& params, std::string_view name,
                                  FieldErrors& errors) {
    if (params.is_structured(name)) {
        errors.push_back({std::string(name), "invalid_type", "expected a string"});
        return nullptr;
    }
    const std::string* value = params.find(name);
    if (value == nullptr) {
        errors.push_back({std::string(name), "required", "missing"});
    }
    return value;
}

const std::string* optional_param(const Params& params, std::string_view name,
                                  FieldErrors& errors) {
    if (params.is_structured(name)) {
        errors.push_back({std::string(name), "invalid_type", "expected a string"});
        return nullptr;
    }
    return params.find(name);
}

std::optional<int> small_integer(std::string_view text) {
    if (!all_digits(text) || text.size() > 9) return std::nullopt;
    int n = 0;
    for (char c : text) n = n * 10 + (c - '0');
    return n;
}

}  // namespace memolib::plugins::sms
