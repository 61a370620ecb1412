#include "form_adapter.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <rapidjson/document.h>

#include "form_fields.hpp"
#include "memolib/plugins/common/form_data.hpp"
#include "memolib/plugins/common/json_writer.hpp"
#include "memolib/plugins/common/phone.hpp"
#include "memolib/plugins/common/text.hpp"
#include "typeform.hpp"

namespace memolib::plugins::form {
namespace {

using common::normalize_email;
using common::normalize_newlines;
using common::printable;
using common::trim;

constexpr std::size_t kMaxFieldBytes = std::size_t{64} * 1024;
constexpr std::size_t kMaxMessageBytes = std::size_t{1024} * 1024;

constexpr const char* kProviders[] = {"website", "typeform", nullptr};
// A person reads the website form's answers (a re-sent form is told it is a duplicate, 409);
// Typeform is a provider that retries anything but a 2xx.
constexpr const char* kPersonFacingProviders[] = {"website", nullptr};
constexpr const char* kContentTypes[] = {"application/json", "application/x-www-form-urlencoded",
                                         "multipart/form-data", nullptr};

constexpr const char* kConfigSchema = R"(default_region:
  type: string
  default: "FR"
  required: false
  secret: false
  description: ISO 3166 region used to read national phone numbers.
typeform_secret:
  type: string
  required: false
  secret: true
  description: Typeform webhook secret; when set, each Typeform request needs a valid signature.
)";

std::string upper_ascii(std::string s) {
    for (char& c : s) {
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    }
    return s;
}

// The fields of one submission once every check passed, trimmed and normalized.
struct Contact {
    std::string name;
    std::string email;
    std::string phone;
    std::string subject;
    std::string text;
};

class Validator {
public:
    Validator(const RawForm& form, const std::string& region) : form_(form), region_(region) {}

    // Fills `contact` and returns true, or records every problem and returns false.
    bool run(Contact& contact) {
        bool ok = form_.errors().empty();
        for (std::size_t i = 0; i < kFieldCount; ++i) {
            const auto field = static_cast<Field>(i);
            std::string_view value;
            if (!readable(field, value)) {
                ok = false;
                continue;
            }
            switch (field) {
                case Field::kName:
                    contact.name = std::string(value);
                    break;
                case Field::kSubject:
                    contact.subject = std::string(value);
                    break;
                case Field::kMessage:
                    if (value.empty()) {
                        add(field, "required", "the message is missing or blank");
                        ok = false;
                    }
                    contact.text = normalize_newlines(value);
                    break;
                case Field::kEmail:
                    if (!value.empty()) {
                        contact.email = normalize_email(value);
                        if (contact.email.empty()) {
                            add(field, "invalid_format", "not an e-mail address");
                            ok = false;
                        }
                    }
                    break;
                case Field::kPhone:
                    if (!value.empty()) {
                        contact.phone = to_e164(value);
                        if (contact.phone.empty()) {
                            add(field, "invalid_format",
                                "not a valid phone number for region " + region_);
                            ok = false;
                        }
                    }
                    break;
            }
        }
        if (!given(Field::kEmail) && !given(Field::kPhone)) {
            add(Field::kEmail, "required", "an e-mail address or a phone number is required");
            ok = false;
        }
        return ok;
    }

    const std::vector<FieldError>& errors() const noexcept { return errors_; }

private:
    // Sets `value` to the field trimmed (empty when absent); false when it is unusable.
    bool readable(Field field, std::string_view& value) {
        if (form_.failed(field)) return false;
        const std::optional<std::string>& raw = form_.value(field);
        if (!raw) return true;
        const std::size_t max = field == Field::kMessage ? kMaxMessageBytes : kMaxFieldBytes;
        if (raw->size() > max) {
            add(field, "too_long",
                "longer than " + std::to_string(max) + " bytes (" + std::to_string(raw->size()) +
                    ")");
            return false;
        }
        if (!common::is_valid_utf8(*raw)) {
            add(field, "invalid_encoding", "not valid UTF-8");
            return false;
        }
        // Storage backends cannot hold a NUL inside text, and no form has a reason to send one.
        if (raw->find('\0') != std::string::npos) {
            add(field, "invalid_encoding", "contains a NUL character");
            return false;
        }
        value = trim(*raw);
        return true;
    }

    // True when the client supplied the field, even with a value we refused.
    bool given(Field field) const {
        if (form_.failed(field)) return true;
        const std::optional<std::string>& raw = form_.value(field);
        return raw && !trim(*raw).empty();
    }

    std::string to_e164(std::string_view value) const {
        return common::to_e164(value, region_).value_or(std::string());
    }

    void add(Field field, std::string code, std::string message) {
        errors_.push_back({std::string(field_name(field)), std::move(code), std::move(message)});
    }

    const RawForm& form_;
    const std::string& region_;
    std::vector<FieldError> errors_;
};

std::string metadata_json(const Contact& contact) {
    if (contact.email.empty() || contact.phone.empty()) return {};
    return common::json_object({{"phone", contact.phone}});
}

void report(const sdk::Host& host, const std::vector<FieldError>& errors) {
    for (const FieldError& e : errors) host.error(e.field, e.code, e.message);
}

}  // namespace

FormAdapter::FormAdapter(const sdk::Config& config, const sdk::Host& host)
    : default_region_(upper_ascii(config.get_or("default_region", "FR"))),
      typeform_secret_(config.get_or("typeform_secret", "")) {
    // Here, not at the first multipart body: the host creates instances one at a time, and
    // the email plugin has its own copy of this once-flag, so two first parses on two
    // threads would run g_mime_init() at once (it registers GObject types: not thread-safe).
    common::ensure_gmime_initialized();
    if (!common::is_known_region(default_region_)) {
        throw sdk::ConfigError("default_region",
                               "default_region: '" + printable(default_region_) +
                                   "' is not an ISO 3166 region libphonenumber knows");
    }
    if (typeform_secret_.empty()) {
        host.log(MEMOLIB_LOG_WARN, "channel '" + printable(config.channel()) +
                                       "': typeform_secret is not set, so Typeform webhooks are "
                                       "accepted unsigned");
    }
}

const sdk::PluginInfo& FormAdapter::info() {
    static const sdk::PluginInfo kInfo = [] {
        sdk::PluginInfo i;
        i.name = "form";
        i.version = "1.1.0";
        i.description =
            "Website contact forms (JSON, urlencoded or multipart/form-data) and Typeform "
            "webhooks.";
        i.status = "stable";
        i.providers = kProviders;
        i.content_types = kContentTypes;
        i.default_max_body_bytes = 5ull * 1024 * 1024;
        i.default_rate_requests = 50;
        i.default_rate_window_ms = 3600000;
        i.config_schema_yaml = kConfigSchema;
        i.person_facing_providers = kPersonFacingProviders;
        return i;
    }();
    return kInfo;
}

sdk::Status FormAdapter::verify(const sdk::Request& request, const sdk::Host& host) const {
    if (typeform_secret_.empty() || request.media_type() != "application/json") {
        return sdk::Status::kOk;
    }
    // The same detection as parse's, so that no body is parsed as Typeform's unverified.
    rapidjson::Document document;
    if (!parse_json_document(request.body(), document) || !is_typeform_event(document)) {
        return sdk::Status::kOk;
    }
    return verify_typeform(request, typeform_secret_, host);
}

sdk::Status FormAdapter::parse(const sdk::Request& request, const sdk::Host& host) const {
    const std::string media_type = request.media_type();
    if (media_type == "application/json") {
        rapidjson::Document document;
        if (parse_json_document(request.body(), document) && is_typeform_event(document)) {
            return parse_typeform(document, default_region_, host);
        }
    }
    RawForm form;
    if (media_type == "application/json") {
        decode_json(request.body(), form);
    } else if (media_type == "application/x-www-form-urlencoded") {
        decode_urlencoded(request.content_type(), request.body(), form);
    } else if (media_type == "multipart/form-data") {
        decode_multipart(request.content_type(), request.body(), form);
    } else {
        host.error("content-type", "unsupported_media_type",
                   "expected application/json, application/x-www-form-urlencoded or "
                   "multipart/form-data, got '" +
                       printable(request.content_type()) + "'");
        return sdk::Status::kUnsupportedMediaType;
    }
    if (form.body_rejected()) {
        report(host, form.errors());
        return sdk::Status::kInvalid;
    }

    Validator validator(form, default_region_);
    Contact contact;
    const bool ok = validator.run(contact);
    if (!ok) {
        report(host, form.errors());
        report(host, validator.errors());
        return sdk::Status::kInvalid;
    }

    sdk::Message message;
    message.provider = "website";
    message.sender = !contact.email.empty() ? contact.email : contact.phone;
    message.sender_name = std::move(contact.name);
    message.subject = std::move(contact.subject);
    message.text = std::move(contact.text);
    message.attachments = std::move(form.attachments());
    message.metadata_json = metadata_json(contact);
    return host.emit(message) ? sdk::Status::kOk : sdk::Status::kInvalid;
}

}  // namespace memolib::plugins::form

MEMOLIB_PLUGIN(memolib::plugins::form::FormAdapter)
