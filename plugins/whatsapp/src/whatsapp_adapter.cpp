#include "whatsapp_adapter.hpp"

#include <optional>
#include <string>
#include <string_view>

#include "memolib/plugins/common/crypto.hpp"
#include "memolib/plugins/common/form_data.hpp"
#include "memolib/plugins/common/text.hpp"
#include "memolib/plugins/common/twilio.hpp"
#include "meta_payload.hpp"
#include "parse_result.hpp"
#include "twilio_form.hpp"

namespace memolib::plugins::whatsapp {
namespace {

constexpr const char* kProviders[] = {"meta", "twilio", nullptr};
constexpr const char* kContentTypes[] = {"application/json", "application/x-www-form-urlencoded",
                                         nullptr};

constexpr const char* kConfigSchema = R"(app_secret:
  type: string
  required: false
  secret: true
  description: Meta app secret, the X-Hub-Signature-256 key. Unset, Meta is accepted unsigned.
verify_token:
  type: string
  required: false
  secret: true
  description: What Meta sends as hub.verify_token in its GET handshake. Unset, GETs get 403.
twilio_auth_token:
  type: string
  required: false
  secret: true
  description: Twilio auth token, the X-Twilio-Signature key. Unset, Twilio is accepted unsigned.
)";

constexpr std::string_view kJson = "application/json";
constexpr std::string_view kForm = "application/x-www-form-urlencoded";
constexpr std::string_view kMetaSignatureHeader = "X-Hub-Signature-256";
constexpr std::string_view kTwilioSignatureHeader = "X-Twilio-Signature";

// Meta's hub.challenge is a number; anything echoed back stays short and printable.
constexpr std::size_t kMaxChallengeBytes = 256;

bool is_printable_ascii(std::string_view s) {
    for (const char c : s) {
        if (c < 0x20 || c > 0x7e) return false;
    }
    return true;
}

}  // namespace

WhatsAppAdapter::WhatsAppAdapter(const sdk::Config& config, const sdk::Host& host)
    : app_secret_(config.get_or("app_secret", "")),
      verify_token_(config.get_or("verify_token", "")),
      twilio_auth_token_(config.get_or("twilio_auth_token", "")) {
    const std::string channel = "channel '" + config.channel() + "': ";
    if (app_secret_.empty()) {
        host.log(MEMOLIB_LOG_WARN, channel +
                                       "app_secret is not configured: Meta requests are accepted "
                                       "without checking X-Hub-Signature-256");
    }
    if (twilio_auth_token_.empty()) {
        host.log(MEMOLIB_LOG_WARN, channel +
                                       "twilio_auth_token is not configured: Twilio requests are "
                                       "accepted without checking X-Twilio-Signature");
    }
    if (verify_token_.empty()) {
        host.log(MEMOLIB_LOG_WARN, channel +
                                       "verify_token is not configured: Meta's GET verification "
                                       "handshake is refused (403)");
    }
}

const sdk::PluginInfo& WhatsAppAdapter::info() {
    static const sdk::PluginInfo kInfo = [] {
        sdk::PluginInfo i;
        i.name = "whatsapp";
        i.version = "1.0.0";
        i.description =
            "WhatsApp messages from the Meta WhatsApp Cloud API and from Twilio WhatsApp.";
        i.status = "stable";
        i.providers = kProviders;
        i.content_types = kContentTypes;
        i.default_max_body_bytes = 100ull * 1024;
        i.default_rate_requests = 500;
        i.default_rate_window_ms = 3600000;
        i.config_schema_yaml = kConfigSchema;
        return i;
    }();
    return kInfo;
}

sdk::Status WhatsAppAdapter::verify(const sdk::Request& request, const sdk::Host& host) const {
    const std::string media_type = request.media_type();
    if (media_type == kJson) return verify_meta(request, host);
    if (media_type == kForm) return verify_twilio(request, host);
    // Another media type is refused by parse (415); a signature header still says whose it is.
    if (request.header(kMetaSignatureHeader)) return verify_meta(request, host);
    if (request.header(kTwilioSignatureHeader)) return verify_twilio(request, host);
    return sdk::Status::kOk;
}

sdk::Status WhatsAppAdapter::answer(const sdk::Request& request, const sdk::Outcome& outcome,
                                    const sdk::Host& host) const {
    if (request.media_type() == kForm) common::answer_twilio(outcome, host);
    return sdk::Status::kOk;
}

sdk::Status WhatsAppAdapter::verify_meta(const sdk::Request& request, const sdk::Host& host) const {
    if (app_secret_.empty()) return sdk::Status::kOk;
    const auto header = request.header(kMetaSignatureHeader);
    if (!header) {
        host.error(kMetaSignatureHeader, "missing_signature",
                   "the request carries no X-Hub-Signature-256 header");
        return sdk::Status::kUnauthorized;
    }
    const std::string_view value = common::trim(*header);
    constexpr std::string_view kPrefix = "sha256=";
    if (value.size() <= kPrefix.size() || !sdk::iequals(value.substr(0, kPrefix.size()), kPrefix)) {
        host.error(kMetaSignatureHeader, "invalid_format", "expected 'sha256=<hex digest>'");
        return sdk::Status::kUnauthorized;
    }
    const std::string provided = common::to_lower(value.substr(kPrefix.size()));
    const std::string expected =
        common::hex_encode(common::hmac_sha256(app_secret_, request.body()));
    if (!common::constant_time_equals(expected, provided)) {
        host.error(kMetaSignatureHeader, "bad_signature",
                   "the signature does not match the body and the configured app_secret");
        return sdk::Status::kUnauthorized;
    }
    return sdk::Status::kOk;
}

sdk::Status WhatsAppAdapter::verify_twilio(const sdk::Request& request,
                                           const sdk::Host& host) const {
    if (twilio_auth_token_.empty()) return sdk::Status::kOk;
    const auto header = request.header(kTwilioSignatureHeader);
    if (!header) {
        host.error(kTwilioSignatureHeader, "missing_signature",
                   "the request carries no X-Twilio-Signature header");
        return sdk::Status::kUnauthorized;
    }
    const std::string expected = common::twilio_signature(
        request.public_url(), common::parse_urlencoded(request.body()), twilio_auth_token_);
    if (!common::constant_time_equals(expected, common::trim(*header))) {
        host.error(kTwilioSignatureHeader, "bad_signature",
                   "the signature does not match the public URL, the parameters and the "
                   "configured twilio_auth_token (is public_url the URL Twilio calls?)");
        return sdk::Status::kUnauthorized;
    }
    return sdk::Status::kOk;
}

sdk::Status WhatsAppAdapter::handshake(const sdk::Request& request, const sdk::Host& host) const {
    // Neither provider delivers messages by GET, so every GET is Meta's handshake.
    if (verify_token_.empty()) {
        host.error("hub.verify_token", "not_configured",
                   "verify_token is not configured for this channel");
        return sdk::Status::kForbidden;
    }
    const common::FormPairs query = common::parse_urlencoded(request.query());
    const auto mode = common::form_value(query, "hub.mode");
    if (!mode || *mode != "subscribe") {
        host.error("hub.mode", mode ? "invalid_value" : "required", "expected 'subscribe'");
        return sdk::Status::kForbidden;
    }
    const auto token = common::form_value(query, "hub.verify_token");
    if (!token || !common::constant_time_equals(*token, verify_token_)) {
        host.error("hub.verify_token", token ? "mismatch" : "required",
                   "the token does not match the configured verify_token");
        return sdk::Status::kForbidden;
    }
    const auto challenge = common::form_value(query, "hub.challenge");
    if (!challenge || challenge->empty() || challenge->size() > kMaxChallengeBytes ||
        !is_printable_ascii(*challenge)) {
        host.error("hub.challenge", challenge ? "invalid_format" : "required",
                   "expected the challenge to echo: 1 to 256 printable ASCII characters");
        return sdk::Status::kInvalid;
    }
    host.respond(200, "text/plain", *challenge);
    return sdk::Status::kOk;
}

sdk::Status WhatsAppAdapter::parse(const sdk::Request& request, const sdk::Host& host) const {
    const std::string media_type = request.media_type();
    ParseResult result;
    if (media_type == kJson) {
        result = parse_meta(request.body());
    } else if (media_type == kForm) {
        const common::FormPairs params = common::parse_urlencoded(request.body());
        if (is_twilio_form(params)) {
            result = parse_twilio(params);
        } else {
            result.errors.push_back({"body", "unknown_provider",
                                     "a form body must be a Twilio WhatsApp webhook (MessageSid, "
                                     "From=whatsapp:+<E.164>)"});
        }
    } else {
        host.error("content-type", "unsupported_media_type",
                   "expected application/json (Meta) or application/x-www-form-urlencoded "
                   "(Twilio), got '" +
                       common::printable(request.content_type()) + "'");
        return sdk::Status::kUnsupportedMediaType;
    }
    if (!result.errors.empty()) {
        for (const FieldError& e : result.errors) host.error(e.field, e.code, e.message);
        return sdk::Status::kInvalid;
    }
    for (const sdk::Message& m : result.messages) {
        if (!host.emit(m)) {
            host.error("body", "too_many_messages", "the host refused a message of this request");
            return sdk::Status::kInvalid;
        }
    }
    return sdk::Status::kOk;
}

}  // namespace memolib::plugins::whatsapp

MEMOLIB_PLUGIN(memolib::plugins::whatsapp::WhatsAppAdapter)
