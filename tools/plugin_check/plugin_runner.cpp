#include "plugin_runner.hpp"

#include <yaml-cpp/yaml.h>

#include "config/schema.hpp"
#include "stages/stages.hpp"

namespace memolib::tools {

namespace {

memolib_str_t view(const std::string& s) { return {s.data(), s.size()}; }

// The same mapping as the gateway's verify and parse stages (core/stages/*.cpp).
int http_status_of(const Outcome& o) {
    if (o.verify_status == MEMOLIB_UNAUTHORIZED) return 401;
    if (o.verify_status != MEMOLIB_OK) return 500;
    switch (o.parse_status) {
        case MEMOLIB_OK:
            return o.errors.empty() ? 200 : 400;
        case MEMOLIB_UNSUPPORTED_MEDIA_TYPE:
            return 415;
        case MEMOLIB_INTERNAL_ERROR:
            return 500;
        default:
            return 400;
    }
}

// What the gateway would have decided, for the plugin's answer hook (its JSON body is left
// out: a plugin reads the outcome's kind and messages, not the host's text).
memolib_outcome_kind_t outcome_kind(const Outcome& o) {
    if (o.http_status >= 400) return MEMOLIB_OUTCOME_REJECTED;
    return o.messages.empty() ? MEMOLIB_OUTCOME_ACCEPTED : MEMOLIB_OUTCOME_STORED;
}

void shape_answer(const core::ChannelInstance& instance, const memolib_request_t& raw,
                  Outcome& out) {
    if (out.http_status >= 500 || out.http_status == 401) return;
    std::vector<std::string> checksums;
    std::vector<memolib_answer_message_t> messages;
    for (const core::NormalizedMessage& m : out.messages)
        checksums.push_back(core::to_hex(m.dedup_key));
    for (std::size_t i = 0; i < out.messages.size(); ++i) {
        memolib_answer_message_t a{};
        a.struct_size = sizeof a;
        a.id = static_cast<std::int64_t>(i + 1);
        a.checksum = view(checksums[i]);
        a.status = {"stored", 6};
        messages.push_back(a);
    }
    const std::string reason = out.http_status == 415   ? "unsupported_media_type"
                               : out.http_status >= 400 ? "invalid_payload"
                                                        : "";
    const std::string request_id = "plugin-check";
    const std::string content_type = "application/json";
    memolib_outcome_t outcome{};
    outcome.struct_size = sizeof outcome;
    outcome.kind = outcome_kind(out);
    outcome.reason = view(reason);
    outcome.request_id = view(request_id);
    outcome.http_status = out.http_status;
    outcome.content_type = view(content_type);
    outcome.messages = messages.empty() ? nullptr : messages.data();
    outcome.message_count = messages.size();
    core::PluginCallResult answered;
    if (instance.answer(raw, outcome, answered) == MEMOLIB_NOT_HANDLED) return;
    out.violations.insert(out.violations.end(), answered.violations.begin(),
                          answered.violations.end());
    if (answered.response_status) {
        out.answer_status = answered.response_status;
        out.answer_content_type = answered.response_content_type;
        out.answer_body = answered.response_body;
    }
}

}  // namespace

std::string status_name(memolib_status_t status) {
    switch (status) {
        case MEMOLIB_OK:
            return "MEMOLIB_OK";
        case MEMOLIB_UNAUTHORIZED:
            return "MEMOLIB_UNAUTHORIZED";
        case MEMOLIB_INVALID:
            return "MEMOLIB_INVALID";
        case MEMOLIB_UNSUPPORTED_MEDIA_TYPE:
            return "MEMOLIB_UNSUPPORTED_MEDIA_TYPE";
        case MEMOLIB_NOT_HANDLED:
            return "MEMOLIB_NOT_HANDLED";
        case MEMOLIB_INTERNAL_ERROR:
            return "MEMOLIB_INTERNAL_ERROR";
        case MEMOLIB_FORBIDDEN:
            return "MEMOLIB_FORBIDDEN";
    }
    return "status " + std::to_string(static_cast<int>(status));
}

std::string Outcome::fingerprint() const {
    std::string out = std::to_string(verify_status) + "/" + std::to_string(parse_status) + "/" +
                      std::to_string(http_status) + "\n";
    // One line per field, newlines escaped, so that two fingerprints compare line by line.
    auto add = [&out](const char* name, const std::string& value) {
        out.append(name).append("=");
        for (char c : value) {
            if (c == '\\') {
                out += "\\\\";
            } else if (c == '\n') {
                out += "\\n";
            } else {
                out += c;
            }
        }
        out += '\n';
    };
    for (const core::NormalizedMessage& m : messages) {
        add("provider", m.provider);
        add("external_id", m.external_id);
        add("sender", m.sender);
        add("sender_name", m.sender_name);
        add("recipient", m.recipient);
        add("subject", m.subject);
        add("text", m.text);
        add("html", m.html);
        add("provider_timestamp_ms", std::to_string(m.provider_timestamp_ms));
        add("metadata_json", m.metadata_json);
        for (const core::AttachmentDescriptor& a : m.attachments) {
            add("attachment", a.name + "|" + a.content_type + "|" + std::to_string(a.size) + "|" +
                                  a.url + "|" + a.provider_id);
        }
        add("dedup_key", core::to_hex(m.dedup_key));
    }
    for (const core::FieldError& e : errors) add("error", e.field + "/" + e.code);
    if (answer_status) {
        add("answer", std::to_string(*answer_status) + " " + answer_content_type);
        add("answer_body", answer_body);
    }
    return out;
}

std::string Outcome::summary() const {
    std::string out = "HTTP " + std::to_string(http_status);
    if (verify_status != MEMOLIB_OK) {
        out += " (verify " + status_name(verify_status) + ")";
    } else {
        out += " (parse " + status_name(parse_status) + ")";
    }
    out += ", " + std::to_string(messages.size()) + " message(s)";
    for (std::size_t i = 0; i < errors.size() && i < 3; ++i) {
        out += i == 0 ? "; errors: " : ", ";
        out += errors[i].field + "/" + errors[i].code;
        if (!errors[i].message.empty()) out += " (" + errors[i].message + ")";
    }
    if (errors.size() > 3) out += ", …";
    return out;
}

std::shared_ptr<core::ChannelInstance> make_instance(
    const std::shared_ptr<const core::LoadedPlugin>& plugin, const std::string& channel,
    const std::vector<std::pair<std::string, std::string>>& config,
    std::vector<std::string>& problems) {
    YAML::Node block(YAML::NodeType::Map);
    for (const auto& [key, value] : config) block[key] = value;
    std::vector<core::ConfigError> errors;
    core::Validator validator("fixture config", errors);
    const core::ConfigValue value = validator.validate(block, plugin->schema, channel);
    for (const core::ConfigError& e : errors) problems.push_back(e.to_string());
    if (!errors.empty()) return nullptr;
    std::vector<core::FieldError> refused;
    auto instance = core::ChannelInstance::create(plugin, channel, value, refused);
    for (const core::FieldError& e : refused) {
        problems.push_back("the plugin refused its config: " + e.field + "/" + e.code + ": " +
                           e.message);
    }
    return instance;
}

Outcome run_request(const core::ChannelInstance& instance, const std::string& channel,
                    const CheckRequest& request, bool always_parse) {
    std::vector<memolib_pair_t> headers;
    headers.reserve(request.headers.size());
    for (const auto& [name, value] : request.headers) headers.push_back({view(name), view(value)});
    memolib_request_t raw{};
    raw.struct_size = sizeof(memolib_request_t);
    raw.method = view(request.method);
    raw.path = view(request.path);
    raw.query = view(request.query);
    raw.content_type = view(request.content_type);
    raw.public_url = view(request.public_url);
    raw.headers = headers.empty() ? nullptr : headers.data();
    raw.header_count = headers.size();
    raw.body = {reinterpret_cast<const std::uint8_t*>(request.body.data()), request.body.size()};
    const std::string remote = "127.0.0.1";
    raw.remote_address = view(remote);
    raw.received_at_ms = request.received_at_ms;

    Outcome out;
    core::PluginCallResult verified;
    out.verify_status = instance.verify(raw, verified);
    out.violations = std::move(verified.violations);
    if (out.verify_status != MEMOLIB_OK && !always_parse) {
        out.errors = std::move(verified.errors);
        out.http_status = http_status_of(out);
        return out;
    }
    core::PluginCallResult parsed;
    out.parse_status = instance.parse(raw, parsed);
    out.errors = std::move(parsed.errors);
    out.violations.insert(out.violations.end(), parsed.violations.begin(), parsed.violations.end());
    if (out.parse_status == MEMOLIB_OK) {
        out.messages = std::move(parsed.messages);
        for (core::NormalizedMessage& m : out.messages) {
            m.channel = channel;
            m.dedup_key = core::dedup_key(m);
        }
    }
    if (always_parse &&
        (out.verify_status == MEMOLIB_OK || out.verify_status == MEMOLIB_UNAUTHORIZED)) {
        Outcome parse_only = out;
        parse_only.verify_status = MEMOLIB_OK;
        out.http_status = http_status_of(parse_only);
    } else {
        out.http_status = http_status_of(out);
    }
    shape_answer(instance, raw, out);
    return out;
}

}  // namespace memolib::tools
