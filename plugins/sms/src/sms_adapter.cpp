#include "sms_adapter.hpp"

#include <cstdint>
#include <string>

#include "memolib/plugins/common/phone.hpp"
#include "memolib/plugins/common/text.hpp"
#include "memolib/plugins/common/twilio.hpp"
#include "request_params.hpp"
#include "twilio_sms.hpp"
#include "vonage_sms.hpp"

namespace memolib::plugins::sms {
namespace {

constexpr const char* kProviders[] = {"twilio", "vonage", nullptr};
constexpr const char* kContentTypes[] = {"application/x-www-form-urlencoded", "application/json",
                                         nullptr};

constexpr const char* kConfigSchema = R"(twilio_auth_token:
  type: string
  required: false
  secret: true
  description: Twilio auth token that signs X-Twilio-Signature. Unset, Twilio requests are
    accepted unsigned.
vonage_signature_secret:
  type: string
  required: false
  secret: true
  description: Vonage signature secret of signed inbound SMS (the sig parameter). Unset,
    Vonage requests are accepted unsigned.
vonage_signature_method:
  type: string
  default: "md5hash"
  enum: [md5hash, md5, sha1, sha256, sha512]
  required: false
  secret: false
  description: The signing algorithm chosen in the Vonage dashboard (md5hash, or the HMAC
    md5, sha1, sha256, sha512).
vonage_max_age:
  type: duration
  default: 25h
  required: false
  secret: false
  description: How far the timestamp of a signed Vonage request may be from its arrival
    (Vonage retries for 24 hours with the first attempt's timestamp); 0 for no limit.
default_region:
  type: string
  default: "FR"
  required: false
  secret: false
  description: ISO 3166 region used to read phone numbers that come without a country code.
)";

std::string upper_ascii(std::string s) {
    for (char& c : s) {
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    }
    return s;
}

void report(const sdk::Host& host, const FieldErrors& errors) {
    for (const FieldError& e : errors) host.error(e.field, e.code, e.message);
}

Settings read_settings(const sdk::Config& config) {
    Settings s;
    s.twilio_auth_token = config.get_or("twilio_auth_token", "");
    s.vonage_signature_secret = config.get_or("vonage_signature_secret", "");
    const std::string method = config.get_or("vonage_signature_method", "md5hash");
    const auto parsed = parse_vonage_signature_method(method);
    if (!parsed) {
        throw sdk::ConfigError("vonage_signature_method",
                               "vonage_signature_method: '" + common::printable(method) +
                                   "' is not one of md5hash, md5, sha1, sha256, sha512");
    }
    s.vonage_signature_method = *parsed;
    s.vonage_max_age_ms = config.get_int("vonage_max_age", std::int64_t{25} * 3600 * 1000);
    if (s.vonage_max_age_ms < 0) {
        throw sdk::ConfigError("vonage_max_age", "vonage_max_age: must not be negative");
    }
    s.default_region = upper_ascii(config.get_or("default_region", "FR"));
    if (!common::is_known_region(s.default_region)) {
        throw sdk::ConfigError("default_region",
                               "default_region: '" + common::printable(s.default_region) +
                                   "' is not an ISO 3166 region libphonenumber knows");
    }
    return s;
}

}  // namespace

SmsAdapter::SmsAdapter(const sdk::Config& config, const sdk::Host& host)
    : settings_(read_settings(config)) {
    const std::string channel = "channel '" + config.channel() + "': ";
    if (settings_.twilio_auth_token.empty()) {
        host.log(MEMOLIB_LOG_WARN, channel +
                                       "Twilio requests are accepted unsigned "
                                       "(twilio_auth_token is not set)");
    }
    if (settings_.vonage_signature_secret.empty()) {
        host.log(MEMOLIB_LOG_WARN, channel +
                                       "Vonage requests are accepted unsigned "
                                       "(vonage_signature_secret is not set)");
    }
}

const sdk::PluginInfo& SmsAdapter::info() {
    static const sdk::PluginInfo kInfo = [] {
        sdk::PluginInfo i;
        i.name = "sms";
        i.version = "1.0.0";
        i.description = "Inbound SMS and MMS from Twilio and Vonage (JSON, form or GET webhooks).";
        i.status = "stable";
        i.providers = kProviders;
        i.content_types = kContentTypes;
        i.default_max_body_bytes = 50ull * 1024;
        i.default_rate_requests = 300;
        i.default_rate_window_ms = 3600000;
        i.config_schema_yaml = kConfigSchema;
        return i;
    }();
    return kInfo;
}

sdk::Status SmsAdapter::verify(const sdk::Request& request, const sdk::Host& host) const {
    const ReadResult read = read_params(request);
    // A body we cannot read is parse's to refuse, with the details.
    if (read.status != sdk::Status::kOk) return sdk::Status::kOk;
    FieldErrors errors;
    sdk::Status status = sdk::Status::kOk;
    switch (detect_provider(read.params)) {
        case Provider::kTwilio:
            status = verify_twilio(request, read.params, settings_, errors);
            break;
        case Provider::kVonage:
            status = verify_vonage(request, read.params, settings_, errors);
            break;
        case Provider::kUnknown:
            break;
    }
    report(host, errors);
    return status;
}

sdk::Status SmsAdapter::parse(const sdk::Request& request, const sdk::Host& host) const {
    const ReadResult read = read_params(request);
    if (read.status != sdk::Status::kOk) {
        report(host, read.errors);
        return read.status;
    }
    FieldErrors errors;
    sdk::Message message;
    bool ok = false;
    switch (detect_provider(read.params)) {
        case Provider::kTwilio:
            ok = parse_twilio(read.params, settings_, message, errors);
            break;
        case Provider::kVonage:
            ok = parse_vonage(read.params, settings_, message, errors);
            break;
        case Provider::kUnknown:
            errors.push_back(unknown_provider_error(read.params));
            break;
    }
    if (!ok) {
        report(host, errors);
        return sdk::Status::kInvalid;
    }
    return host.emit(message) ? sdk::Status::kOk : sdk::Status::kInvalid;
}

sdk::Status SmsAdapter::answer(const sdk::Request& request, const sdk::Outcome& outcome,
                               const sdk::Host& host) const {
    const ReadResult read = read_params(request);
    if (read.status == sdk::Status::kOk && detect_provider(read.params) == Provider::kTwilio)
        common::answer_twilio(outcome, host);
    return sdk::Status::kOk;
}

}  // namespace memolib::plugins::sms

MEMOLIB_PLUGIN(memolib::plugins::sms::SmsAdapter)
