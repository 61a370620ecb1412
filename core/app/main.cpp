#include <cstdio>
#include <exception>
#include <string>

#include <CLI/CLI.hpp>

#include "app/gateway.hpp"
#include "memolib/sdk/version.h"

namespace {

int run(int argc, char** argv) {
    CLI::App app{
        "MemoLib Gateway: receives e-mail, WhatsApp, SMS and form webhooks and stores "
        "each message exactly once"};
    app.set_version_flag("--version", std::string("memolib-gateway ") + MEMOLIB_GATEWAY_VERSION +
                                          " (plugin ABI " + std::to_string(MEMOLIB_SDK_ABI_MAJOR) +
                                          "." + std::to_string(MEMOLIB_SDK_ABI_MINOR) + ")");
    std::string config = "config/gateway.yaml";
    app.add_option("-c,--config", config, "Configuration file")->capture_default_str();
    auto* serve = app.add_subcommand("serve", "Serve webhooks (the default)");
    auto* validate = app.add_subcommand(
        "validate", "Check the configuration and its plugins; exit 1 when invalid");
    auto* migrate = app.add_subcommand("migrate", "Apply pending database migrations");
    auto* plugins =
        app.add_subcommand("plugins", "List the plugins of a directory and their config keys");
    std::string directory;
    std::string format = "text";
    std::string only;
    plugins->add_option("-d,--directory", directory,
                        "Plugins directory (default: plugins.directory of the config)");
    plugins->add_option("--format", format, "text, json, md, or md-keys (only the table of keys)")
        ->check(CLI::IsMember({"text", "json", "md", "md-keys"}))
        ->capture_default_str();
    plugins->add_option("--plugin", only, "Only this plugin");
    for (auto* sub : {serve, validate, migrate, plugins}) {
        sub->add_option("-c,--config", config, "Configuration file")->capture_default_str();
    }
    app.require_subcommand(0, 1);
    CLI11_PARSE(app, argc, argv);
    if (*validate) return memolib::core::validate(config);
    if (*migrate) return memolib::core::migrate(config);
    if (*plugins) return memolib::core::plugins(config, directory, format, only);
    return memolib::core::serve(config);
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const std::exception& e) {
        // Every expected failure is reported where it happens; this is the last line of defence.
        std::fprintf(stderr, "memolib-gateway: fatal: %s\n", e.what());
        return 1;
    }
}
