#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "memolib/sdk/adapter.hpp"

namespace memolib::plugins::form {

// The form fields the channel reads; every other field of a submission is ignored.
enum class Field : std::size_t { kName, kEmail, kPhone, kSubject, kMessage };

inline constexpr std::size_t kFieldCount = 5;
inline constexpr std::array<std::string_view, kFieldCount> kFieldNames = {"name", "email", "phone",
                                                                          "subject", "message"};

inline std::string_view field_name(Field f) noexcept {
    return kFieldNames[static_cast<std::size_t>(f)];
}

// One problem with the submission, reported to the host as a field error.
struct FieldError {
    std::string field;
    std::string code;
    std::string message;
};

// One submission as a body decoder read it, before validation.
class RawForm {
public:
    // Keeps `value` when `key` names a known field not seen yet: the first occurrence wins in
    // every format, so that a form cannot be read two ways.
    void set(std::string_view key, std::string_view value) {
        const std::optional<Field> f = find(key);
        if (!f || seen_[index(*f)]) return;
        seen_[index(*f)] = true;
        values_[index(*f)] = std::string(value);
    }

    // Records that `key`, when it is a known field not seen yet, had a value of the wrong type.
    void set_wrong_type(std::string_view key, std::string_view got) {
        const std::optional<Field> f = find(key);
        if (!f || seen_[index(*f)]) return;
        seen_[index(*f)] = true;
        failed_[index(*f)] = true;
        errors_.push_back(
            {std::string(key), "invalid_type", "expected a string, got " + std::string(got)});
    }

    // Records that `key` was present with no value (JSON null), which counts as absent.
    void set_null(std::string_view key) {
        const std::optional<Field> f = find(key);
        if (f) seen_[index(*f)] = true;
    }

    void add_attachment(sdk::Attachment attachment) {
        attachments_.push_back(std::move(attachment));
    }

    // A problem with one field the decoder could not read.
    void add_error(std::string field, std::string code, std::string message) {
        errors_.push_back({std::move(field), std::move(code), std::move(message)});
    }

    // Rejects the body as a whole: what was read before the problem is meaningless, so this
    // error replaces every other one and no field is validated.
    void reject_body(std::string code, std::string message) {
        reject_body("body", std::move(code), std::move(message));
    }

    // The same, blaming one field (a part whose charset cannot be honoured, say).
    void reject_body(std::string field, std::string code, std::string message) {
        errors_.clear();
        errors_.push_back({std::move(field), std::move(code), std::move(message)});
        body_rejected_ = true;
    }

    bool body_rejected() const noexcept { return body_rejected_; }

    // The field's value as decoded, or nullopt when absent.
    const std::optional<std::string>& value(Field f) const noexcept { return values_[index(f)]; }

    // True when the decoder already reported an error for this field.
    bool failed(Field f) const noexcept { return failed_[index(f)]; }

    std::vector<sdk::Attachment>& attachments() noexcept { return attachments_; }
    const std::vector<FieldError>& errors() const noexcept { return errors_; }

private:
    static constexpr std::size_t index(Field f) noexcept { return static_cast<std::size_t>(f); }

    static std::optional<Field> find(std::string_view key) noexcept {
        for (std::size_t i = 0; i < kFieldCount; ++i) {
            if (kFieldNames[i] == key) return static_cast<Field>(i);
        }
        return std::nullopt;
    }

    std::array<std::optional<std::string>, kFieldCount> values_{};
    std::array<bool, kFieldCount> seen_{};
    std::array<bool, kFieldCount> failed_{};
    std::vector<sdk::Attachment> attachments_;
    std::vector<FieldError> errors_;
    bool body_rejected_ = false;
};

// Each decoder reads one media type into `form`, recording what it cannot read as errors.
void decode_json(std::string_view body, RawForm& form);
void decode_urlencoded(std::string_view content_type, std::string_view body, RawForm& form);
void decode_multipart(std::string_view content_type, std::string_view body, RawForm& form);

}  // namespace memolib::plugins::form
