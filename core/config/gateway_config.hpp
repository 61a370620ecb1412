#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "config/schema.hpp"

namespace memolib::core {

struct ServerConfig {
    std::string host = "127.0.0.1";
    std::uint16_t port = 8080;
    int threads = 2;
    std::uint64_t header_timeout_ms = 10000;
    std::uint64_t body_timeout_ms = 30000;
    std::uint64_t idle_timeout_ms = 60000;
    std::uint64_t max_header_bytes = 16384;
    std::uint64_t shutdown_grace_ms = 10000;
    /// Connections open at once; 0: derived from the open-file limit at start.
    std::uint64_t max_connections = 0;
};

struct StorageConfig {
    std::string backend = "sqlite";
    std::string url;
    int pool = 4;
    int batch_max_messages = 256;
    std::uint64_t batch_max_delay_ms = 2;
    /// Longest a transaction, a query or (PostgreSQL) a connect may take.
    std::uint64_t timeout_ms = 5000;
    /// PostgreSQL only: the SQLite file that takes the messages while PostgreSQL is down;
    /// empty: none (503 instead).
    std::string spool_path;
    std::uint64_t spool_max_bytes = 1ULL << 30;
};

struct ChannelConfig {
    std::string name;
    std::string plugin;
    std::uint64_t max_body = 0;
    /// enforce | report | off
    std::string verify_mode = "enforce";
    std::string public_url;
    /// The status of a request whose every message is a duplicate; 0: the provider's own (200,
    /// or 409 for its plugin's person-facing providers).
    int duplicate_status = 0;
    /// Sliding-window rate limit: 0 requests means none.
    std::uint32_t rate_requests = 0;
    std::uint64_t rate_window_ms = 3600000;
    /// ip | sender | channel
    std::string rate_key = "ip";
    /// The whole validated block, core and plugin keys together.
    ConfigValue block;
    SourceMark mark;
};

struct GatewayConfig {
    std::string file;
    ServerConfig server;
    std::string log_level = "info";
    std::string plugins_directory;
    StorageConfig storage;
    /// The stages run, in order.
    std::vector<std::string> stages;
    /// `pipeline.stages` as written, when it was read in the form that predates the replay and
    /// sender_rate_limit steps (then `stages` names them); empty otherwise.
    std::vector<std::string> stages_as_written;
    std::vector<ChannelConfig> channels;
    ConfigValue root;
};

/// What the config loader needs to know of a plugin to validate a channel naming it.
struct PluginSchemaInfo {
    const SchemaNode* schema = nullptr;
    std::uint64_t default_max_body = 0;
    std::uint32_t default_rate_requests = 0;
    std::uint64_t default_rate_window_ms = 3600000;
};

/// Given the plugins directory, makes the plugins available and returns a lookup by name
/// (nullptr when no such plugin was loaded).
using PluginLookupFactory =
    std::function<std::function<const PluginSchemaInfo*(const std::string&)>(const std::string&)>;

/// Names joined with ", ", as stage lists are shown in messages and the log.
std::string joined_names(const std::vector<std::string>& names);

/// The core's own schema (also printed by the docs generator).
const SchemaNode& core_schema();
/// The keys every channel block accepts besides its plugin's own.
const SchemaNode& channel_core_schema();

/// Reads, substitutes, validates and resolves a config file. Returns nullopt and fills
/// `errors` (each naming file, line and key) when anything is wrong.
std::optional<GatewayConfig> load_config(const std::string& path,
                                         const PluginLookupFactory& plugins,
                                         std::vector<ConfigError>& errors);

}  // namespace memolib::core
