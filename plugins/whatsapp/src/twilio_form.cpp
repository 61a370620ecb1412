#include "twilio_form.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "memolib/plugins/common/json_writer.hpp"
#include "memolib/plugins/common/text.hpp"
#include "phone_number.hpp"

namespace memolib::plugins::whatsapp {
namespace {

constexpr std::string_view kWhatsAppPrefix = "whatsapp:";

// Twilio accepts at most 10 media per message.
constexpr int kMaxMedia = 10;

bool starts_with(std::string_view s, std::string_view prefix) {
    return s.substr(0, prefix.size()) == prefix;
}

// Reads parameters, checking that each one used is UTF-8 without NUL.
class Params {
public:
    Params(const common::FormPairs& pairs, std::vector<FieldError>& errors)
        : pairs_(pairs), errors_(errors) {}

    // The first value of `name`, or nullopt when absent or unusable (then with an error).
    std::optional<std::string> get(std::string_view name) {
        auto value = common::form_value(pairs_, name);
        if (!value) return std::nullopt;
        if (!common::is_valid_utf8(*value)) {
            add_error(errors_, std::string(name), "invalid_encoding", "not valid UTF-8");
            return std::nullopt;
        }
        if (value->find('\0') != std::string::npos) {
            add_error(errors_, std::string(name), "invalid_encoding", "contains a NUL character");
            return std::nullopt;
        }
        return value;
    }

    // Like get(), with an empty string for absent.
    std::string get_or_empty(std::string_view name) { return get(name).value_or(""); }

    void error(std::string field, std::string code, std::string message) {
        add_error(errors_, std::move(field), std::move(code), std::move(message));
    }

private:
    const common::FormPairs& pairs_;
    std::vector<FieldError>& errors_;
};

bool is_sid(std::string_view sid) {
    if (sid.empty() || sid.size() > 64) return false;
    for (const char c : sid) {
        const bool alnum =
            (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        if (!alnum) return false;
    }
    return true;
}

// NumMedia: 0 when absent, -1 when it is not a count Twilio sends.
int media_count(std::string_view text) {
    if (text.empty() || text.size() > 2) return text.empty() ? 0 : -1;
    int n = 0;
    for (const char c : text) {
        if (c < '0' || c > '9') return -1;
        n = n * 10 + (c - '0');
    }
    return n <= kMaxMedia ? n : -1;
}

std::string join_lines(std::initializer_list<std::string_view> parts) {
    std::string out;
    for (std::string_view p : parts) {
        if (p.empty()) continue;
        if (!out.empty()) out += '\n';
        out += p;
    }
    return out;
}

}  // namespace

bool is_twilio_form(const common::FormPairs& params) {
    if (common::form_value(params, "MessageSid") || common::form_value(params, "SmsMessageSid")) {
        return true;
    }
    const auto from = common::form_value(params, "From");
    return from && starts_with(*from, kWhatsAppPrefix);
}

ParseResult parse_twilio(const common::FormPairs& pairs) {
    ParseResult out;
    Params p(pairs, out.errors);

    // Status callbacks may share the URL; an incoming message's status is "received".
    auto status = p.get("MessageStatus");
    if (!status) status = p.get("SmsStatus");
    if (status && !status->empty() && *status != "received") return out;

    sdk::Message m;
    m.provider = "twilio";

    auto sid = p.get("MessageSid");
    if (!sid) sid = p.get("SmsMessageSid");
    if (!sid) {
        p.error("MessageSid", "required", "'MessageSid' is missing");
    } else if (!is_sid(*sid)) {
        p.error("MessageSid", "invalid_format", "expected Twilio's alphanumeric message SID");
    } else {
        m.external_id = *sid;
    }

    const auto from = p.get("From");
    if (!from) {
        p.error("From", "required", "'From' is missing");
    } else if (!starts_with(*from, kWhatsAppPrefix)) {
        p.error("From", "invalid_format",
                "expected a WhatsApp address 'whatsapp:+<E.164>', got '" +
                    common::printable(*from) + "'");
    } else if (auto e164 = whatsapp_e164(from->substr(kWhatsAppPrefix.size()))) {
        m.sender = *e164;
    } else {
        p.error("From", "invalid_format",
                "expected a WhatsApp address 'whatsapp:+<E.164>', got '" +
                    common::printable(*from) + "'");
    }

    // The business number is informative: an odd one must not lose the customer's message.
    const std::string to = p.get_or_empty("To");
    if (starts_with(to, kWhatsAppPrefix)) {
        m.recipient =
            whatsapp_e164(std::string_view(to).substr(kWhatsAppPrefix.size())).value_or("");
    }

    m.sender_name = p.get_or_empty("ProfileName");
    m.text = p.get_or_empty("Body");

    const std::string num_media = p.get_or_empty("NumMedia");
    const int count = media_count(num_media);
    if (count < 0) {
        p.error("NumMedia", "invalid_format",
                "expected a count from 0 to " + std::to_string(kMaxMedia) + ", got '" +
                    common::printable(num_media) + "'");
    }
    for (int i = 0; i < count; ++i) {
        const std::string url_name = "MediaUrl" + std::to_string(i);
        const auto url = p.get(url_name);
        if (!url || url->empty()) {
            p.error(url_name, "required",
                    "NumMedia is " + num_media + " but '" + url_name + "' is missing");
            continue;
        }
        sdk::Attachment a;
        a.url = *url;
        a.content_type = p.get_or_empty("MediaContentType" + std::to_string(i));
        m.attachments.push_back(std::move(a));
    }

    const std::string latitude = p.get_or_empty("Latitude");
    const std::string longitude = p.get_or_empty("Longitude");
    const std::string address = p.get_or_empty("Address");
    const std::string label = p.get_or_empty("Label");
    if (m.text.empty() && !latitude.empty() && !longitude.empty()) {
        // A shared location has no Body: write it as a person reads it, like Meta's.
        m.text = join_lines({label, address, latitude + "," + longitude});
    }

    const std::string wa_id = p.get_or_empty("WaId");
    const std::string account_sid = p.get_or_empty("AccountSid");
    const std::string service_sid = p.get_or_empty("MessagingServiceSid");
    const std::string message_type = p.get_or_empty("MessageType");
    const std::string button_text = p.get_or_empty("ButtonText");
    const std::string button_payload = p.get_or_empty("ButtonPayload");
    const std::string replied_to = p.get_or_empty("OriginalRepliedMessageSid");
    const std::string forwarded = p.get_or_empty("Forwarded");
    const std::string frequently_forwarded = p.get_or_empty("FrequentlyForwarded");
    const std::string referral_url = p.get_or_empty("ReferralSourceUrl");
    if (m.text.empty()) m.text = button_text;
    m.metadata_json = common::json_object({
        {"wa_id", wa_id},
        {"account_sid", account_sid},
        {"messaging_service_sid", service_sid},
        {"message_type", message_type},
        {"latitude", latitude},
        {"longitude", longitude},
        {"address", address},
        {"label", label},
        {"button_text", button_text},
        {"button_payload", button_payload},
        {"replied_message_sid", replied_to},
        {"forwarded", forwarded},
        {"frequently_forwarded", frequently_forwarded},
        {"referral_source_url", referral_url},
    });

    if (out.errors.empty()) out.messages.push_back(std::move(m));
    return out;
}

}  // namespace memolib::plugins::whatsapp
