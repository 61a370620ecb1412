#include "twilio_sms.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fields.hpp"
#include "memolib/plugins/common/crypto.hpp"
#include "memolib/plugins/common/json_writer.hpp"
#include "memolib/plugins/common/text.hpp"
#include "memolib/plugins/common/twilio.hpp"

namespace memolib::plugins::sms {
namespace {

constexpr std::string_view kSignatureHeader = "X-Twilio-Signature";
// A guard on NumMedia so that a forged count cannot make us loop; Twilio sends at most 10.
constexpr int kMaxMedia = 100;
// Texts are bounded by the channel's body limit already; this only keeps one field sane.
constexpr std::size_t kMaxTextBytes = std::size_t{1024} * 1024;

// The URLs Twilio may have signed for `url`: as it is, without its port, and with the
// scheme's default port when it has none. Twilio's own validators accept each, since proxies
// add or drop the port.
std::vector<std::string> url_variants(std::string_view url) {
    std::vector<std::string> out{std::string(url)};
    const std::size_t scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos) return out;
    const std::string scheme = common::to_lower(url.substr(0, scheme_end));
    const std::size_t authority_begin = scheme_end + 3;
    std::size_t authority_end = url.find_first_of("/?#", authority_begin);
    if (authority_end == std::string_view::npos) authority_end = url.size();
    const std::string_view authority = url.substr(authority_begin, authority_end - authority_begin);
    const std::size_t at = authority.rfind('@');
    const std::size_t host_begin = authority_begin + (at == std::string_view::npos ? 0 : at + 1);
    const std::string_view host_port = url.substr(host_begin, authority_end - host_begin);
    // The port's colon comes after an IPv6 literal's closing bracket.
    const std::size_t colon = host_port.rfind(':');
    const std::size_t bracket = host_port.rfind(']');
    const bool has_port =
        colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket);
    const std::string_view before = url.substr(0, host_begin);
    const std::string_view host = has_port ? host_port.substr(0, colon) : host_port;
    const std::string_view after = url.substr(authority_end);
    if (has_port) {
        out.push_back(std::string(before) + std::string(host) + std::string(after));
    } else if (scheme == "https" || scheme == "http") {
        out.push_back(std::string(before) + std::string(host) +
                      (scheme == "https" ? ":443" : ":80") + std::string(after));
    }
    return out;
}

// The value of an optional short parameter, checked; empty when absent or refused.
std::string short_param(const Params& params, std::string_view name, FieldErrors& errors) {
    const std::string* value = optional_param(params, name, errors);
    if (value == nullptr || !check_text(name, *value, kMaxShortBytes, errors)) return {};
    return *value;
}

void read_media(const Params& params, sdk::Message& out, FieldErrors& errors) {
    const std::string* count_text = optional_param(params, "NumMedia", errors);
    if (count_text == nullptr || count_text->empty()) return;
    const std::optional<int> count = small_integer(*count_text);
    if (!count) {
        errors.push_back(
            {"NumMedia", "invalid_format",
             "expected a count of media, got '" + common::printable(*count_text) + "'"});
        return;
    }
    if (*count > kMaxMedia) {
        errors.push_back({"NumMedia", "out_of_range",
                          "at most " + std::to_string(kMaxMedia) + " media per message"});
        return;
    }
    for (int i = 0; i < *count; ++i) {
        const std::string url_field = "MediaUrl" + std::to_string(i);
        const std::string type_field = "MediaContentType" + std::to_string(i);
        const std::string* url = required_param(params, url_field, errors);
        const std::string* type = optional_param(params, type_field, errors);
        if (url == nullptr || !check_text(url_field, *url, kMaxShortBytes * 8, errors)) continue;
        if (common::trim(*url).empty()) {
            errors.push_back({url_field, "required", "the media URL is empty"});
            continue;
        }
        sdk::Attachment attachment;
        attachment.url = std::string(common::trim(*url));
        if (type != nullptr && check_text(type_field, *type, kMaxShortBytes, errors)) {
            attachment.content_type = common::to_lower(common::trim(*type));
        }
        out.attachments.push_back(std::move(attachment));
    }
}

}  // namespace

sdk::Status verify_twilio(const sdk::Request& request, const Params& params,
                          const Settings& settings, FieldErrors& errors) {
    if (settings.twilio_auth_token.empty()) return sdk::Status::kOk;
    const std::optional<std::string_view> given = request.header(kSignatureHeader);
    if (!given || given->empty()) {
        errors.push_back({std::string(kSignatureHeader), "missing_signature",
                          "no X-Twilio-Signature header, and twilio_auth_token is configured"});
        return sdk::Status::kUnauthorized;
    }
    // Twilio signs a POST's form parameters; a GET carries its parameters in the URL only.
    static const common::FormPairs kNone;
    const common::FormPairs& signed_params =
        params.source == ParamSource::kForm ? params.pairs : kNone;
    bool match = false;
    for (const std::string& url : url_variants(request.public_url())) {
        const std::string expected =
            common::twilio_signature(url, signed_params, settings.twilio_auth_token);
        match = common::constant_time_equals(expected, *given) || match;
    }
    if (match) return sdk::Status::kOk;
    errors.push_back({std::string(kSignatureHeader), "bad_signature",
                      "X-Twilio-Signature does not match the request (check the channel's "
                      "public_url: it must be the URL configured at Twilio)"});
    return sdk::Status::kUnauthorized;
}

bool parse_twilio(const Params& params, const Settings& settings, sdk::Message& out,
                  FieldErrors& errors) {
    const std::size_t errors_before = errors.size();
    out.provider = "twilio";

    // SmsSid is the deprecated name of MessageSid; both carry the same id.
    const char* id_field = params.has("MessageSid") ? "MessageSid" : "SmsSid";
    if (const std::string* sid = required_param(params, id_field, errors)) {
        if (check_id(id_field, *sid, errors)) out.external_id = *sid;
    }

    std::string sender_type;
    if (const std::string* from = required_param(params, "From", errors)) {
        if (check_text("From", *from, kMaxShortBytes, errors)) {
            if (from->find(':') != std::string::npos) {
                errors.push_back({"From", "invalid_format",
                                  "'" + common::printable(*from) +
                                      "' is a channel address, not an SMS sender (Twilio "
                                      "WhatsApp messages belong on the whatsapp channel)"});
            } else if (auto sender = normalize_sender(*from, settings.default_region, true)) {
                out.sender = std::move(sender->address);
                sender_type = std::move(sender->type);
            } else {
                errors.push_back({"From", "invalid_format",
                                  "'" + common::printable(*from) +
                                      "' is neither a phone number, a short code nor a sender "
                                      "id"});
            }
        }
    }

    if (const std::string* to = required_param(params, "To", errors)) {
        if (check_text("To", *to, kMaxShortBytes, errors)) {
            out.recipient = phone_to_e164(*to, settings.default_region, true)
                                .value_or(std::string(common::trim(*to)));
        }
    }

    if (const std::string* body = optional_param(params, "Body", errors)) {
        if (check_text("Body", *body, kMaxTextBytes, errors)) out.text = *body;
    }

    read_media(params, out, errors);

    const std::string account = short_param(params, "AccountSid", errors);
    const std::string service = short_param(params, "MessagingServiceSid", errors);
    const std::string segments = short_param(params, "NumSegments", errors);
    const std::string from_city = short_param(params, "FromCity", errors);
    const std::string from_state = short_param(params, "FromState", errors);
    const std::string from_zip = short_param(params, "FromZip", errors);
    const std::string from_country = short_param(params, "FromCountry", errors);
    const std::string to_city = short_param(params, "ToCity", errors);
    const std::string to_state = short_param(params, "ToState", errors);
    const std::string to_zip = short_param(params, "ToZip", errors);
    const std::string to_country = short_param(params, "ToCountry", errors);
    out.metadata_json = common::json_object({{"account_sid", account},
                                             {"messaging_service_sid", service},
                                             {"num_segments", segments},
                                             {"from_city", from_city},
                                             {"from_state", from_state},
                                             {"from_zip", from_zip},
                                             {"from_country", from_country},
                                             {"to_city", to_city},
                                             {"to_state", to_state},
                                             {"to_zip", to_zip},
                                             {"to_country", to_country},
                                             {"sender_type", sender_type}});
    return errors.size() == errors_before;
}

}  // namespace memolib::plugins::sms
