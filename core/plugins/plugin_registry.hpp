#pragma once

#include <map>
#include <memory>
#include <optional>
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

/// What one hook call handed back through the host callbacks.
struct PluginCallResult {
    std::vector<NormalizedMessage> messages;
    std::vector<FieldError> errors;
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

    const LoadedPlugin& plugin() const { return *plugin_; }

private:
    ChannelInstance(std::shared_ptr<const LoadedPlugin> plugin, memolib_instance_t* instance,
                    std::string channel)
        : plugin_(std::move(plugin)), instance_(instance), channel_(std::move(channel)) {}

    std::shared_ptr<const LoadedPlugin> plugin_;
    memolib_instance_t* instance_;
    std::string channel_;
};

/// Loads plugin libraries from a directory, serially, refusing each bad one with one log line.
class PluginRegistry {
public:
    /// Loads every `*.so` of `directory` (sorted by name). Never throws for a bad file.
    void load_directory(const std::string& directory);
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

private:
    /// dlopen and the descriptor checks, for a file check_elf_file() accepted.
    std::optional<std::string> load_checked_file(const std::string& path);
    std::optional<std::string> check_and_add(const std::string& path,
                                             std::shared_ptr<boost::dll::shared_library> lib);

    std::map<std::string, std::shared_ptr<const LoadedPlugin>> plugins_;
    std::vector<std::pair<std::string, std::string>> refused_;
};

/// Builds the memolib_host_t whose callbacks fill `out`.
memolib_host_t make_host_callbacks(PluginCallResult& out);

}  // namespace memolib::core
