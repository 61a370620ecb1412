#include "email_adapter.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "email_fields.hpp"
#include "form_body.hpp"
#include "json_util.hpp"
#include "memolib/plugins/common/crypto.hpp"
#include "memolib/plugins/common/form_data.hpp"
#include "memolib/plugins/common/text.hpp"
#include "mime.hpp"
#include "problems.hpp"
#include "providers.hpp"

namespace memolib::plugins::email {
namespace {

constexpr std::int64_t kDefaultMaxAgeMs = std::int64_t{15} * 60 * 1000;

constexpr const char* kProviderNames[] = {"mailgun", "sendgrid", "postmark", "mime", nullptr};
constexpr const char* kContentTypes[] = {"message/rfc822", "application/json",
                                         "application/x-www-form-urlencoded", "multipart/form-data",
                                         nullptr};

constexpr const char* kConfigSchema = R"(mailgun_signing_key:
  type: string
  required: false
  secret: true
  description: Mailgun HTTP webhook signing key. When set, Mailgun requests must carry a valid
    signature, token and fresh timestamp; when unset they are accepted unsigned.
mailgun_max_age:
  type: duration
  default: 15m
  minimum: 1000
  required: false
  secret: false
  description: How far a Mailgun signature timestamp may lie from the gateway's clock, in the
    past or the future.
postmark_basic_auth:
  type: string
  required: false
  secret: true
  description: '"user:password" that Postmark must send as HTTP basic auth (put them in the
    webhook URL, https://user:password@host/webhooks/email). When unset, Postmark requests are
    accepted without credentials.'
providers:
  type: string
  default: "mailgun,sendgrid,postmark,mime"
  required: false
  secret: false
  description: Comma-separated providers the channel accepts (mailgun, sendgrid, postmark,
    mime); a request from another one is refused with 400 provider_not_enabled. SendGrid and raw
    MIME carry no signature, so list only the providers you use.
)";

const char* name_of(Provider provider) {
    return kProviderNames[static_cast<std::size_t>(provider)];
}

enum class Media { kRfc822, kJson, kUrlencoded, kMultipart, kOther };

Media media_of(const sdk::Request& request) {
    const std::string type = request.media_type();
    if (type == "message/rfc822") return Media::kRfc822;
    if (type == "application/json") return Media::kJson;
    if (type == "application/x-www-form-urlencoded") return Media::kUrlencoded;
    if (type == "multipart/form-data") return Media::kMultipart;
    return Media::kOther;
}

// Mailgun's signature fields and its body fields: any of them makes a form Mailgun's, so that
// stripping the signature never turns a Mailgun request into an unsigned provider's.
bool looks_like_mailgun(const FormBody& form) {
    for (const char* name : {"signature", "token", "timestamp", "body-plain", "stripped-text",
                             "message-headers", "body-mime"}) {
        if (form.has(name)) return true;
    }
    return false;
}

bool looks_like_sendgrid(const FormBody& form) {
    return form.has("envelope") || form.has("charsets") || form.has("email");
}

std::optional<Provider> form_provider(const FormBody& form, bool multipart) {
    if (looks_like_mailgun(form)) return Provider::kMailgun;
    if (multipart && looks_like_sendgrid(form)) return Provider::kSendgrid;
    return std::nullopt;
}

bool looks_like_postmark(const rapidjson::Value& root) {
    return root.IsObject() && (root.HasMember("FromFull") || root.HasMember("MessageID"));
}

constexpr const char* kUnknownProvider =
    "the request matches no provider of the email channel: expected a Mailgun route post "
    "(signature, token, timestamp or body-plain fields), a SendGrid Inbound Parse multipart "
    "(envelope, charsets or email fields), a Postmark inbound JSON (FromFull or MessageID) or a "
    "message/rfc822 body";

std::string trimmed(std::optional<std::string> value) {
    return value ? std::string(common::trim(*value)) : std::string();
}

// Reads the `providers` key: a comma- or space-separated list of known provider names.
std::array<bool, 4> parse_providers(const std::string& list) {
    std::array<bool, 4> out{};
    bool any = false;
    std::size_t start = 0;
    while (start <= list.size()) {
        const std::size_t end = list.find_first_of(", \t", start);
        const std::string item =
            common::to_lower(list.substr(start, end == std::string::npos ? end : end - start));
        start = end == std::string::npos ? list.size() + 1 : end + 1;
        if (item.empty()) continue;
        bool known = false;
        for (std::size_t i = 0; kProviderNames[i] != nullptr; ++i) {
            if (item == kProviderNames[i]) {
                out[i] = true;
                known = any = true;
            }
        }
        if (!known) {
            throw sdk::ConfigError("providers", "providers: unknown provider '" +
                                                    common::printable(item) +
                                                    "' (known: mailgun, sendgrid, postmark, mime)");
        }
    }
    if (!any) throw sdk::ConfigError("providers", "providers: name at least one provider");
    return out;
}

}  // namespace

EmailAdapter::EmailAdapter(const sdk::Config& config, const sdk::Host& host)
    : mailgun_signing_key_(config.get_or("mailgun_signing_key", "")),
      mailgun_max_age_ms_(config.get_int("mailgun_max_age", kDefaultMaxAgeMs)),
      postmark_basic_auth_(config.get_or("postmark_basic_auth", "")),
      enabled_(parse_providers(config.get_or("providers", "mailgun,sendgrid,postmark,mime"))) {
    // Here, not at the first message: the host creates instances one at a time, and the form
    // plugin has its own copy of this once-flag, so two first parses on two threads would
    // run g_mime_init() at once (it registers GObject types: not thread-safe).
    common::ensure_gmime_initialized();
    if (mailgun_max_age_ms_ <= 0) {
        throw sdk::ConfigError("mailgun_max_age", "mailgun_max_age: must be a positive duration");
    }
    if (!postmark_basic_auth_.empty() && postmark_basic_auth_.find(':') == std::string::npos) {
        throw sdk::ConfigError("postmark_basic_auth",
                               "postmark_basic_auth: expected \"user:password\"");
    }
    const std::string channel = "email channel '" + config.channel() + "': ";
    if (enabled(Provider::kMailgun) && mailgun_signing_key_.empty()) {
        host.log(
            MEMOLIB_LOG_WARN,
            channel + "mailgun_signing_key is not set: Mailgun requests are accepted unsigned");
    }
    if (enabled(Provider::kPostmark) && postmark_basic_auth_.empty()) {
        host.log(MEMOLIB_LOG_WARN, channel +
                                       "postmark_basic_auth is not set: Postmark requests are "
                                       "accepted without credentials");
    }
    if (enabled(Provider::kSendgrid)) {
        host.log(MEMOLIB_LOG_WARN, channel +
                                       "SendGrid Inbound Parse requests carry no signature: they "
                                       "are accepted unsigned (keep the URL secret or put basic "
                                       "auth in front; `providers` can disable SendGrid)");
    }
    if (enabled(Provider::kMime)) {
        host.log(MEMOLIB_LOG_WARN, channel +
                                       "raw message/rfc822 posts carry no signature: they are "
                                       "accepted unsigned (`providers` can disable them)");
    }
}

const sdk::PluginInfo& EmailAdapter::info() {
    static const sdk::PluginInfo kInfo = [] {
        sdk::PluginInfo i;
        i.name = "email";
        i.version = "1.0.0";
        i.description =
            "Inbound e-mail: Mailgun routes, SendGrid Inbound Parse, Postmark inbound webhooks and "
            "raw RFC 822 messages.";
        i.status = "stable";
        i.providers = kProviderNames;
        i.content_types = kContentTypes;
        i.default_max_body_bytes = 10ull * 1024 * 1024;
        i.default_rate_requests = 100;
        i.default_rate_window_ms = 3600000;
        i.config_schema_yaml = kConfigSchema;
        return i;
    }();
    return kInfo;
}

sdk::Status EmailAdapter::verify(const sdk::Request& request, const sdk::Host& host) const {
    // Each provider is recognized the way parse recognizes it; a body that cannot be read is
    // let through, since parse refuses it anyway with the details.
    const Media media = media_of(request);
    if ((media == Media::kUrlencoded || media == Media::kMultipart) &&
        !mailgun_signing_key_.empty()) {
        Problems ignored;
        const auto form =
            read_form(media == Media::kMultipart, request.content_type(), request.body(), ignored);
        if (form && form_provider(*form, media == Media::kMultipart) == Provider::kMailgun) {
            return verify_mailgun(trimmed(form->value("timestamp")), trimmed(form->value("token")),
                                  trimmed(form->value("signature")), request, host);
        }
    }
    if (media == Media::kJson && !postmark_basic_auth_.empty()) {
        rapidjson::Document document;
        std::string error;
        if (parse_json(request.body(), document, error) && looks_like_postmark(document)) {
            return verify_postmark(request, host);
        }
    }
    return sdk::Status::kOk;
}

sdk::Status EmailAdapter::verify_mailgun(const std::string& timestamp, const std::string& token,
                                         const std::string& signature, const sdk::Request& request,
                                         const sdk::Host& host) const {
    bool missing = false;
    const std::pair<const char*, const std::string*> required[] = {
        {"timestamp", &timestamp}, {"token", &token}, {"signature", &signature}};
    for (const auto& [name, value] : required) {
        if (value->empty()) {
            host.error(name, "missing_signature",
                       std::string("the Mailgun '") + name + "' field is missing");
            missing = true;
        }
    }
    if (missing) return sdk::Status::kUnauthorized;
    // Mailgun signs timestamp + token (not the body) with HMAC-SHA256, hex-encoded.
    const std::string expected =
        common::hex_encode(common::hmac_sha256(mailgun_signing_key_, timestamp + token));
    if (!common::constant_time_equals(expected, common::to_lower(signature))) {
        host.error("signature", "bad_signature",
                   "the signature does not match HMAC-SHA256(mailgun_signing_key, timestamp + "
                   "token)");
        return sdk::Status::kUnauthorized;
    }
    std::int64_t seconds = 0;
    bool digits = timestamp.size() <= 12;
    for (char c : timestamp) {
        if (c < '0' || c > '9') digits = false;
        if (digits) seconds = seconds * 10 + (c - '0');
    }
    if (!digits) {
        host.error("timestamp", "invalid_timestamp",
                   "the timestamp is not a number of seconds since the epoch");
        return sdk::Status::kUnauthorized;
    }
    // Mailgun's signature does not cover the body: a captured one is bounded by the timestamp
    // window, and within it by the token's claim (mailgun_tokens.hpp).
    const std::int64_t age_ms = request.received_at_ms() - seconds * 1000;
    if (age_ms > mailgun_max_age_ms_) {
        host.error("timestamp", "stale_timestamp",
                   "the timestamp is " + std::to_string(age_ms / 1000) +
                       " s old, more than mailgun_max_age (" +
                       std::to_string(mailgun_max_age_ms_ / 1000) + " s)");
        return sdk::Status::kUnauthorized;
    }
    if (-age_ms > mailgun_max_age_ms_) {
        host.error("timestamp", "future_timestamp",
                   "the timestamp is " + std::to_string(-age_ms / 1000) +
                       " s ahead of the gateway's clock, more than mailgun_max_age (" +
                       std::to_string(mailgun_max_age_ms_ / 1000) + " s)");
        return sdk::Status::kUnauthorized;
    }
    // The token stays usable until its timestamp is mailgun_max_age old; a second more covers
    // the gap between the gateway's clock and the shared store's.
    return mailgun_tokens_->claim(token, mailgun_max_age_ms_ - age_ms + 1000, request, host);
}

sdk::Status EmailAdapter::verify_postmark(const sdk::Request& request,
                                          const sdk::Host& host) const {
    const auto header = request.header("Authorization");
    if (!header) {
        host.error("Authorization", "missing_credentials",
                   "Postmark requests must carry the HTTP basic auth credentials of "
                   "postmark_basic_auth");
        return sdk::Status::kUnauthorized;
    }
    std::string_view value = common::trim(*header);
    const std::size_t space = value.find(' ');
    const std::optional<std::string> decoded =
        space != std::string_view::npos && sdk::iequals(value.substr(0, space), "basic")
            ? common::base64_decode(common::trim(value.substr(space + 1)))
            : std::nullopt;
    if (!decoded || !common::constant_time_equals(*decoded, postmark_basic_auth_)) {
        host.error("Authorization", "bad_credentials",
                   "the HTTP basic auth credentials do not match postmark_basic_auth");
        return sdk::Status::kUnauthorized;
    }
    return sdk::Status::kOk;
}

sdk::Status EmailAdapter::parse(const sdk::Request& request, const sdk::Host& host) const {
    const Media media = media_of(request);
    if (media == Media::kOther) {
        host.error("content-type", "unsupported_media_type",
                   "expected message/rfc822, application/json, "
                   "application/x-www-form-urlencoded or multipart/form-data, got '" +
                       common::printable(request.content_type()) + "'");
        return sdk::Status::kUnsupportedMediaType;
    }
    Problems problems;
    EmailFields fields;
    std::optional<Provider> provider;
    std::optional<FormBody> form;
    rapidjson::Document json;
    switch (media) {
        case Media::kRfc822:
            provider = Provider::kMime;
            break;
        case Media::kJson: {
            std::string error;
            if (!parse_json(request.body(), json, error)) {
                host.error("body", "malformed_json", error);
                return sdk::Status::kInvalid;
            }
            if (looks_like_postmark(json)) provider = Provider::kPostmark;
            break;
        }
        default:
            form = read_form(media == Media::kMultipart, request.content_type(), request.body(),
                             problems);
            if (!form) {
                problems.report(host);
                return sdk::Status::kInvalid;
            }
            provider = form_provider(*form, media == Media::kMultipart);
            break;
    }
    if (!provider) {
        host.error("body", "unknown_provider", kUnknownProvider);
        return sdk::Status::kInvalid;
    }
    if (!enabled(*provider)) {
        host.error("provider", "provider_not_enabled",
                   std::string("the request comes from ") + name_of(*provider) +
                       ", which this channel's `providers` setting does not accept");
        return sdk::Status::kInvalid;
    }
    switch (*provider) {
        case Provider::kMime:
            read_message(request.body(), "body", fields, problems);
            break;
        case Provider::kPostmark:
            read_postmark(json, fields, problems);
            break;
        case Provider::kMailgun:
            read_mailgun(*form, fields, problems);
            break;
        case Provider::kSendgrid:
            read_sendgrid(*form, fields, problems);
            break;
    }
    sdk::Message message;
    if (!problems.empty() || !to_message(fields, name_of(*provider), message, problems)) {
        problems.report(host);
        return sdk::Status::kInvalid;
    }
    return host.emit(message) ? sdk::Status::kOk : sdk::Status::kInvalid;
}

sdk::Status EmailAdapter::answer(const sdk::Request& request, const sdk::Outcome& outcome,
                                 const sdk::Host& host) const {
    if (outcome.kind() != sdk::OutcomeKind::kRejected || outcome.reason() != "invalid_payload")
        return sdk::Status::kOk;
    // Whose request it is, read as parse reads it; a body too broken to tell keeps its 400.
    std::optional<Provider> provider;
    const Media media = media_of(request);
    if (media == Media::kJson) {
        rapidjson::Document json;
        std::string error;
        if (parse_json(request.body(), json, error) && looks_like_postmark(json))
            provider = Provider::kPostmark;
    } else if (media == Media::kUrlencoded || media == Media::kMultipart) {
        Problems problems;
        const std::optional<FormBody> form =
            read_form(media == Media::kMultipart, request.content_type(), request.body(), problems);
        if (form) provider = form_provider(*form, media == Media::kMultipart);
    }
    // Only for input nobody signed: with the provider's secret configured, a request that got
    // this far passed verification, and an authentic message must not be told "do not retry"
    // (it keeps its 400, which the provider retries).
    if (provider == Provider::kMailgun && mailgun_signing_key_.empty())
        host.respond(406, outcome.content_type(), outcome.body());
    if (provider == Provider::kPostmark && postmark_basic_auth_.empty())
        host.respond(403, outcome.content_type(), outcome.body());
    return sdk::Status::kOk;
}

}  // namespace memolib::plugins::email

MEMOLIB_PLUGIN(memolib::plugins::email::EmailAdapter)
