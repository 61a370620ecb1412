#pragma once

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "config/schema.hpp"
#include "memolib/sdk/abi.h"
#include "pipeline/message.hpp"

namespace boost::dll {
class shared_library;
}

namespace memolib::core {

/// A plugin library that passed every load check. Shared by the channel instances made from
/// it; the library stays mapped until the last of them is gone.
struct LoadedPlugin {
    std::string file;
    std::string name;
    std::string version;
    std::string description;
    std::string status;
    std::uint32_t abi_major = 0;
    std::uint32_t abi_minor = 0;
    std::vector<std::string> providers;
    std::vector<std::string> content_types;
    std::uint64_t default_max_body = 0;
    std::uint32_t default_rate_requests = 0;
    std::uint64_t default_rate_window_ms = 0;
    std::string schema_yaml;
    SchemaNode schema;
    /// ABI 1.1: providers whose duplicates are answered 409 by default (a person reads them).
    std::vector<std::string> person_facing_providers;
    /// ABI 1.1: the plugin shapes answers (on_answer).
    bool shapes_answers = false;
    const memolib_plugin_descriptor_t* descriptor = nullptr;
    std::shared_ptr<boost::dll::shared_library> library;
};

class NonceStore;

/// What memolib_host_t::claim_nonce needs during one verify call.
struct NonceScope {
    NonceStore* store = nullptr;
    /// The channel: claims of two channels never meet.
    std::string_view channel;
    std::string_view body;
};

/// The plugin hook a PluginCallResult belongs to: some callbacks are only valid in some hooks.
enum class PluginHook { kCreate, kVerify, kHandshake, kParse, kAnswer };

/// What one hook call handed back through the host callbacks.
struct PluginCallResult {
    /// Set by ChannelInstance before the call.
    PluginHook hook = PluginHook::kCreate;
    /// answer: the outcome's kind, which the status set_response gives must keep.
    memolib_outcome_kind_t outcome = MEMOLIB_OUTCOME_STORED;
    /// What the plugin did that the ABI does not allow (set_response outside handshake and
    /// answer, a status that changes the outcome's class); the host ignored it.
    std::vector<std::string> violations;
    std::vector<NormalizedMessage> messages;
    std::vector<FieldError> errors;
    /// The provider and sender of the first message refused for its text (not UTF-8), when
    /// they are readable: what a quarantine's log line names.
    std::string refused_provider;
    std::string refused_sender;
    std::optional<int> response_status;
    std::string response_content_type;
    std::string response_body;
    /// More messages than this in one request are refused (a plugin bug or a hostile batch).
    std::size_t max_messages = 1000;
    /// The channel the call is for, named in the plugin's log lines (set by ChannelInstance).
    const std::string* channel = nullptr;
    /// Set for a verify call that may claim nonces; claim_nonce answers 0 and remembers
    /// nothing without it (other hooks, dry runs).
    const NonceScope* nonces = nullptr;
};

/// One configured channel's plugin instance. verify/handshake/parse are thread-safe (the
/// SDK requires the plugin's hooks to be).
class ChannelInstance {
public:
    /// Creates the instance from a validated channel block; nullptr with `errors` filled when
    /// the plugin refuses its configuration.
    static std::shared_ptr<ChannelInstance> create(std::shared_ptr<const LoadedPlugin> plugin,
                                                   const std::string& channel,
                                                   const ConfigValue& block,
                                                   std::vector<FieldError>& errors);
    ~ChannelInstance();
    ChannelInstance(const ChannelInstance&) = delete;
    ChannelInstance& operator=(const ChannelInstance&) = delete;

    memolib_status_t verify(const memolib_request_t& request, PluginCallResult& out) const;
    /// MEMOLIB_NOT_HANDLED when the plugin has no handshake.
    memolib_status_t handshake(const memolib_request_t& request, PluginCallResult& out) const;
    memolib_status_t parse(const memolib_request_t& request, PluginCallResult& out) const;
    /// ABI 1.1: the plugin's form of the answer to `outcome`, in out.response_* when it set one
    /// that keeps the outcome's class (a violation otherwise). MEMOLIB_NOT_HANDLED when the
    /// plugin does not shape answers.
    memolib_status_t answer(const memolib_request_t& request, const memolib_outcome_t& outcome,
                            PluginCallResult& out) const;

    const LoadedPlugin& plugin() const { return *plugin_; }
    /// True when the channel's config sets one of the plugin's secret keys (channel_secrets()),
    /// read once when the instance is made.
    bool holds_secret() const { return holds_secret_; }

    /// True when the request this instance's verify accepted would be refused with other
    /// secrets: only then did a secret admit it. A plugin with several providers accepts the
    /// ones without a configured secret unsigned, whatever the others' secrets are; those
    /// are not authentic. Asks a second instance of the plugin, made once from `block` with
    /// every secret (channel_secrets()) changed, to verify the request (no nonce claimed).
    bool verified_by_secret(const memolib_request_t& request, const ConfigValue& block) const;

private:
    ChannelInstance(std::shared_ptr<const LoadedPlugin> plugin, memolib_instance_t* instance,
                    std::string channel, bool holds_secret)
        : plugin_(std::move(plugin)),
          instance_(instance),
          channel_(std::move(channel)),
          holds_secret_(holds_secret) {}

    std::shared_ptr<const LoadedPlugin> plugin_;
    memolib_instance_t* instance_;
    std::string channel_;
    bool holds_secret_;
    mutable std::mutex decoy_mutex_;
    mutable std::shared_ptr<ChannelInstance> decoy_;
    mutable bool decoy_made_ = false;
};

/// What one directory scan decided, file by file: the next reload's scan decides against it.
struct PluginScan {
    /// Plugin name → the file that serves it.
    std::map<std::string, std::string> serving;
    /// Files declaring a served name, set aside because a file dropped in later took it.
    std::set<std::string> set_aside;
    std::set<std::string> refused;

    bool knows(const std::string& file) const {
        return set_aside.count(file) != 0 || refused.count(file) != 0 ||
               std::any_of(serving.begin(), serving.end(),
                           [&file](const auto& entry) { return entry.second == file; });
    }
};

/// Loads plugin libraries from a directory, serially, refusing each bad one with one log line.
class PluginRegistry {
public:
    /// Loads every `*.so` of `directory`. Never throws for a bad file. Two files declaring one
    /// plugin name are both refused, naming each other, unless `previous` (the scan the running
    /// configuration came from: a reload) knows all of them but one: that one, dropped in
    /// since, takes the name and the others are set aside (a hot swap). See docs/operations.md.
    void load_directory(const std::string& directory, const PluginScan* previous = nullptr);
    /// Loads one file; returns the reason when it is refused (also logged). The file is checked
    /// against its ELF headers before it is mapped (check_elf_file), so a partial copy is
    /// refused, not a crash.
    std::optional<std::string> load_file(const std::string& path);

    std::shared_ptr<const LoadedPlugin> find(const std::string& name) const;
    const std::map<std::string, std::shared_ptr<const LoadedPlugin>>& plugins() const {
        return plugins_;
    }
    /// Every file refused, with its reason.
    const std::vector<std::pair<std::string, std::string>>& refused() const { return refused_; }
    /// Every file set aside for the file that took its plugin name, with the reason.
    const std::vector<std::pair<std::string, std::string>>& set_aside() const { return set_aside_; }
    PluginScan scan() const;

private:
    /// The ELF check, dlopen and the descriptor checks: the plugin, or why it is refused.
    std::shared_ptr<LoadedPlugin> open(const std::string& path, std::string& reason) const;
    std::shared_ptr<LoadedPlugin> open_checked(const std::string& path, std::string& reason) const;
    std::shared_ptr<LoadedPlugin> describe(const std::string& path,
                                           std::shared_ptr<boost::dll::shared_library> lib,
                                           std::string& reason) const;
    void add(std::shared_ptr<LoadedPlugin> plugin);
    void refuse(const std::string& path, const std::string& reason);

    std::map<std::string, std::shared_ptr<const LoadedPlugin>> plugins_;
    std::vector<std::pair<std::string, std::string>> refused_;
    std::vector<std::pair<std::string, std::string>> set_aside_;
};

/// True when `content_type` (a whole header value, parameters included) names one of the media
/// types `plugin` declared, case-insensitively.
bool declares_media_type(const LoadedPlugin& plugin, std::string_view content_type);

/// The media types `plugin` declared, comma-separated, as a 415 answer names them.
std::string declared_media_types(const LoadedPlugin& plugin);

/// True when an answer to an `outcome` request may have HTTP status `status` (abi.h,
/// memolib_host_t::set_response).
bool answer_status_allowed(memolib_outcome_kind_t outcome, int status);

/// Builds the memolib_host_t whose callbacks fill `out`.
memolib_host_t make_host_callbacks(PluginCallResult& out);

/// The non-empty values of the channel's plugin keys its plugin's schema marks `secret: true`
/// (an app secret, a signing key, a token). A channel with at least one, in `verify: enforce`,
/// whose plugin's verify returned OK, is authenticated: only the provider holding that secret
/// could have sent the request.
std::vector<std::string> channel_secrets(const LoadedPlugin& plugin, const ConfigValue& block);

}  // namespace memolib::core
