// The gateway's YAML for one test: a loopback port chosen by the OS, a storage of the test's
// own (an SQLite file in its temp dir, or a fresh PostgreSQL database), the plugins of the
// build tree or a directory the test filled.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "support/process.hpp"

namespace memolib::test {

struct ChannelConfig {
    std::string name;
    /// Written as `key: value` under the channel; values are YAML scalars as given.
    std::vector<std::pair<std::string, std::string>> settings;
};

struct GatewayConfig {
    std::string listen = "127.0.0.1:0";
    int threads = 2;
    std::filesystem::path plugins_directory = plugins_build_directory();
    std::string backend = "sqlite";  ///< sqlite | postgresql
    std::string storage_url;         ///< SQLite file path or libpq URL
    std::vector<std::string> stages = {"size_limit", "verify", "parse", "dedup", "persist"};
    std::vector<ChannelConfig> channels = {form_channel()};
    /// Appended verbatim under `server:` (each line indented by two spaces).
    std::string server_extra;
    /// PostgreSQL only: storage.spool.path, unset for the gateway's default (data/spool.db,
    /// relative to its working directory); "" turns the spool off (503 while PostgreSQL is down).
    /// GatewayFixture sets one in the test's temp dir.
    std::optional<std::string> spool_path;
    /// PostgreSQL only: storage.spool.max_size (e.g. "64KiB"); empty for the default.
    std::string spool_max_size;
    /// Appended verbatim under `storage:` (each line indented by two spaces).
    std::string storage_extra;
    /// Appended verbatim under `pipeline:` (each line indented by two spaces).
    std::string pipeline_extra;
    /// Appended verbatim at the top level (for tests of the validator).
    std::string extra_yaml;

    /// The form channel as config/gateway.yaml declares it.
    static ChannelConfig form_channel();

    std::string to_yaml() const;
};

/// A double-quoted YAML scalar.
std::string yaml_quote(const std::string& text);

}  // namespace memolib::test
