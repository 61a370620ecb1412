#pragma once

#include <memory>
#include <string>
#include <vector>

#include "config/gateway_config.hpp"
#include "pipeline/exchange.hpp"
#include "plugins/plugin_registry.hpp"

namespace memolib::core {

/// A configuration with its plugins loaded and its channels instantiated.
struct LoadedGateway {
    GatewayConfig config;
    std::unique_ptr<PluginRegistry> registry;
    std::vector<std::shared_ptr<const Channel>> channels;
};

/// Loads the config file, the plugins it points at, and one instance per channel. Returns
/// nullptr and fills `errors` ("file:line:col: key '…': problem") when anything is wrong.
/// A reload passes the scan the running configuration came from: a plugin file it did not
/// refuse and that is refused now (a file dropped in and not taken) is then wrong too.
std::unique_ptr<LoadedGateway> load_gateway(const std::string& path,
                                            std::vector<std::string>& errors,
                                            const PluginScan* previous = nullptr);

/// `memolib-gateway serve`: runs until SIGINT/SIGTERM; returns the exit code.
int serve(const std::string& config_path);
/// `memolib-gateway validate`: 0 when the config and its plugins are sound, else 1.
int validate(const std::string& config_path);
/// `memolib-gateway migrate`: applies pending migrations; 0 on success.
int migrate(const std::string& config_path);
/// `memolib-gateway plugins`: prints the plugins of `directory`, or of the config's
/// plugins.directory when `directory` is empty.
int plugins(const std::string& config_path, const std::string& directory, const std::string& format,
            const std::string& only);

}  // namespace memolib::core
