// A MemoLib channel plugin for the Slack Events API, built out of tree against the installed
// SDK alone (see ../README.md): a worked example of a signed webhook that answers a challenge.
// Slack signs "v0:<timestamp>:<body>" with the app's signing secret; it first POSTs a
// url_verification event whose challenge must come back in the answer, then event_callback
// envelopes, of which a `message` event becomes one message and any other is accepted empty.
#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "memolib/sdk/adapter.hpp"
#include "memolib/sdk/signing.hpp"

namespace {

namespace sdk = memolib::sdk;

// Slack refuses requests older than five minutes; so do we (either way, for clock skew).
constexpr std::int64_t kToleranceMs = 5 * 60 * 1000;

constexpr const char* kConfigSchema = R"(signing_secret:
  type: string
  required: true
  secret: true
  description: The app's Signing Secret (Slack app settings, Basic Information).
)";

std::string string_member(const rapidjson::Value& object, const char* name) {
    auto it = object.FindMember(name);
    return it != object.MemberEnd() && it->value.IsString()
               ? std::string(it->value.GetString(), it->value.GetStringLength())
               : std::string();
}

bool read_envelope(std::string_view body, rapidjson::Document& doc) {
    doc.Parse(body.data(), body.size());
    return !doc.HasParseError() && doc.IsObject();
}

class SlackAdapter final : public sdk::Adapter {
public:
    explicit SlackAdapter(const sdk::Config& config)
        : secret_(config.get_or("signing_secret", "")) {
        if (secret_.empty()) throw sdk::ConfigError("signing_secret", "must not be empty");
    }

    static const sdk::PluginInfo& info() {
        static constexpr const char* kProviders[] = {"slack", nullptr};
        static constexpr const char* kContentTypes[] = {"application/json", nullptr};
        static const sdk::PluginInfo kInfo = [] {
            sdk::PluginInfo i;
            i.name = "slack";
            i.version = "1.0.0";
            i.description = "Slack Events API (signed; answers url_verification)";
            i.providers = kProviders;
            i.content_types = kContentTypes;
            i.default_rate_requests = 3000;
            i.config_schema_yaml = kConfigSchema;
            return i;
        }();
        return kInfo;
    }

    sdk::Status verify(const sdk::Request& request, const sdk::Host& host) const override {
        const auto timestamp = request.header("X-Slack-Request-Timestamp");
        const auto signature = request.header("X-Slack-Signature");
        if (!timestamp || !signature) {
            host.error("X-Slack-Signature", "missing_signature", "the request is not signed");
            return sdk::Status::kUnauthorized;
        }
        std::int64_t seconds = -1;
        const char* end = timestamp->data() + timestamp->size();
        const auto read = std::from_chars(timestamp->data(), end, seconds);
        if (read.ec != std::errc() || read.ptr != end || seconds < 0 || seconds > 253402300799 ||
            !sdk::within_tolerance(seconds * 1000, request.received_at_ms(), kToleranceMs)) {
            host.error("X-Slack-Request-Timestamp", "stale_timestamp",
                       "the signature is more than five minutes away from now");
            return sdk::Status::kUnauthorized;
        }
        const std::string base =
            "v0:" + std::string(*timestamp) + ":" + std::string(request.body());
        const std::string expected = "v0=" + sdk::hex_encode(host.hmac("sha256", secret_, base));
        if (!sdk::constant_time_equal(*signature, expected)) {
            host.error("X-Slack-Signature", "bad_signature", "the signature does not match");
            return sdk::Status::kUnauthorized;
        }
        return sdk::Status::kOk;
    }

    sdk::Status parse(const sdk::Request& request, const sdk::Host& host) const override {
        rapidjson::Document doc;
        if (!read_envelope(request.body(), doc)) {
            host.error("body", "invalid_json", "the body is not a JSON object");
            return sdk::Status::kInvalid;
        }
        const std::string type = string_member(doc, "type");
        if (type == "url_verification") return sdk::Status::kOk;  // answered in answer()
        auto event = doc.FindMember("event");
        if (type != "event_callback" || event == doc.MemberEnd() || !event->value.IsObject()) {
            host.error("event", "required", "expected url_verification, or an event_callback");
            return sdk::Status::kInvalid;
        }
        const rapidjson::Value& e = event->value;
        // Reactions, joins, edits…: accepted with no message, so Slack stops sending them.
        if (string_member(e, "type") != "message" || e.HasMember("subtype"))
            return sdk::Status::kOk;
        sdk::Message m;
        m.provider = "slack";
        m.external_id = string_member(doc, "event_id");
        m.sender = "slack:" + string_member(e, "user");
        m.recipient = "slack:" + string_member(e, "channel");
        m.text = string_member(e, "text");
        auto time = doc.FindMember("event_time");
        if (time != doc.MemberEnd() && time->value.IsInt64() && time->value.GetInt64() > 0 &&
            time->value.GetInt64() < 253402300799) {
            m.provider_timestamp_ms = time->value.GetInt64() * 1000;
        }
        if (m.external_id.empty() || m.text.empty()) {
            host.error(m.external_id.empty() ? "event_id" : "event.text", "required",
                       "a message event needs an event_id and a text");
            return sdk::Status::kInvalid;
        }
        return host.emit(m) ? sdk::Status::kOk : sdk::Status::kInvalid;
    }

    // Slack's url_verification wants its challenge back as the body of a 200.
    sdk::Status answer(const sdk::Request& request, const sdk::Outcome& outcome,
                       const sdk::Host& host) const override {
        if (outcome.kind() != sdk::OutcomeKind::kAccepted) return sdk::Status::kOk;
        rapidjson::Document doc;
        if (read_envelope(request.body(), doc) &&
            string_member(doc, "type") == "url_verification") {
            host.respond(200, "text/plain", string_member(doc, "challenge"));
        }
        return sdk::Status::kOk;
    }

private:
    std::string secret_;
};

}  // namespace

MEMOLIB_PLUGIN(SlackAdapter)
