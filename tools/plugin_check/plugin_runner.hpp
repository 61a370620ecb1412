#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "pipeline/message.hpp"
#include "plugins/plugin_registry.hpp"

namespace memolib::tools {

/// One request as the checks build it; turned into a memolib_request_t for each hook call.
struct CheckRequest {
    std::string method = "POST";
    std::string path;
    std::string query;
    std::string content_type;
    std::string public_url;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    std::int64_t received_at_ms = 0;
};

/// What the gateway would make of one request: verify, then parse when verify passed.
struct Outcome {
    memolib_status_t verify_status = MEMOLIB_OK;
    /// Meaningful only when verify returned MEMOLIB_OK.
    memolib_status_t parse_status = MEMOLIB_OK;
    /// The status the gateway's verify and parse stages would answer (200, 400, 401, 415, 500).
    int http_status = 0;
    /// Each with channel and dedup_key filled as the core fills them.
    std::vector<core::NormalizedMessage> messages;
    std::vector<core::FieldError> errors;
    /// The answer the plugin shaped for the outcome (ABI 1.1 on_answer), when it set one: the
    /// outcome is stored with messages, accepted without, rejected for a 400 or 415.
    std::optional<int> answer_status;
    std::string answer_content_type;
    std::string answer_body;
    /// What the plugin did that the ABI forbids (set_response outside handshake and answer, a
    /// status that changes the outcome's class): the gateway ignores it, and the check fails.
    std::vector<std::string> violations;

    /// Everything a caller observes, as one text: equal outcomes have equal descriptions.
    std::string fingerprint() const;
    /// One line for a report: status, message count, first errors.
    std::string summary() const;
};

/// Creates an instance of `plugin` for `channel` from config entries written as YAML scalars,
/// validated and completed with defaults against the plugin's schema exactly as the gateway
/// does. Returns nullptr and fills `problems` when the config or the plugin refuses.
std::shared_ptr<core::ChannelInstance> make_instance(
    const std::shared_ptr<const core::LoadedPlugin>& plugin, const std::string& channel,
    const std::vector<std::pair<std::string, std::string>>& config,
    std::vector<std::string>& problems);

/// Runs verify then parse on `request`, as the gateway's pipeline does. With `always_parse`,
/// parse runs even when verify refused, and http_status is parse's: how a fuzzer reaches
/// parse behind a signature.
Outcome run_request(const core::ChannelInstance& instance, const std::string& channel,
                    const CheckRequest& request, bool always_parse = false);

/// The status name of the ABI ("MEMOLIB_INVALID"), or the number when unknown.
std::string status_name(memolib_status_t status);

}  // namespace memolib::tools
