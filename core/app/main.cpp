#include <malloc.h>

#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "app/dry_run_command.hpp"
#include "app/gateway.hpp"
#include "app/quarantine_command.hpp"
#include "app/schema_command.hpp"
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
    auto* dry =
        app.add_subcommand("dry-run", "Normalize a payload file offline and print the JSON answer");
    std::string channel;
    std::string file;
    std::string content_type;
    std::vector<std::string> headers;
    dry->add_option("channel", channel, "Channel name, as in the config")->required();
    dry->add_option("file", file, "Payload file (the request body)")->required();
    dry->add_option("--content-type", content_type,
                    "Content-Type (default from the extension: .json, .eml, .urlencoded)");
    dry->add_option("-H,--header", headers, "Extra header 'Name: value' (repeatable)");
    auto* schema = app.add_subcommand(
        "schema", "Print every configuration key of the gateway and of a channel block");
    std::string schema_format = "md";
    schema->add_option("--format", schema_format, "md or json")
        ->check(CLI::IsMember({"md", "json"}))
        ->capture_default_str();
    auto* quarantine =
        app.add_subcommand("quarantine",
                           "See, re-process and discard quarantined requests (through the running "
                           "gateway's API)");
    memolib::core::QuarantineCommand q;
    quarantine->add_option("--url", q.url,
                           "The running gateway, http://HOST:PORT (default: server.host and "
                           "server.port of the config)");
    auto* q_list = quarantine->add_subcommand("list", "List the entries, one line each");
    q_list->add_option("--channel", q.channel, "Only this channel");
    q_list->add_option("--state", q.state, "Only this state")
        ->check(CLI::IsMember({"pending", "reprocessed", "discarded"}));
    auto* q_show = quarantine->add_subcommand("show", "Print an entry with its raw request");
    q_show->add_option("id", q.id, "Entry id")->required();
    auto* q_reprocess = quarantine->add_subcommand(
        "reprocess",
        "Run an entry (or --channel X --all: every pending one) through the "
        "channel's current plugin and store its messages once");
    auto* q_id = q_reprocess->add_option("id", q.id, "Entry id");
    auto* q_all = q_reprocess->add_flag("--all", q.all, "Every pending entry of --channel");
    q_reprocess->add_option("--channel", q.channel, "The channel of --all");
    q_id->excludes(q_all);
    auto* q_discard = quarantine->add_subcommand(
        "discard", "Mark a pending entry discarded (kept as a tombstone)");
    q_discard->add_option("id", q.id, "Entry id")->required();
    quarantine->require_subcommand(1);
    for (auto* sub : {q_list, q_show, q_reprocess, q_discard}) {
        sub->add_option("-c,--config", config, "Configuration file")->capture_default_str();
        sub->add_option("--url", q.url, "The running gateway, http://HOST:PORT");
    }
    for (auto* sub : {serve, validate, migrate, plugins, dry, quarantine}) {
        sub->add_option("-c,--config", config, "Configuration file")->capture_default_str();
    }
    app.require_subcommand(0, 1);
    CLI11_PARSE(app, argc, argv);
    if (*validate) return memolib::core::validate(config);
    if (*migrate) return memolib::core::migrate(config);
    if (*plugins) return memolib::core::plugins(config, directory, format, only);
    if (*schema) return memolib::core::print_schema(schema_format);
    if (*quarantine) {
        for (auto* sub : {q_list, q_show, q_reprocess, q_discard}) {
            if (*sub) q.action = sub->get_name();
        }
        if (q.action == "reprocess" && q.all == q.channel.empty()) {
            std::fprintf(stderr, "reprocess takes an id, or --channel X --all\n");
            return 2;
        }
        if (q.action == "reprocess" && !q.all && q.id <= 0) {
            std::fprintf(stderr, "reprocess takes an id, or --channel X --all\n");
            return 2;
        }
        return memolib::core::quarantine(config, q);
    }
    if (*dry) return memolib::core::dry_run(config, channel, file, content_type, headers);
    return memolib::core::serve(config);
}

}  // namespace

int main(int argc, char** argv) {
    // With glibc's adaptive thresholds every request (CLD2 allocates a few hundred KiB per
    // call) grows and trims the heap again, with page faults a virtual machine pays dearly;
    // fixed thresholds keep at most 16 MiB free per arena instead.
    mallopt(M_MMAP_THRESHOLD, 4 * 1024 * 1024);
    mallopt(M_TRIM_THRESHOLD, 16 * 1024 * 1024);
    try {
        return run(argc, argv);
    } catch (const std::exception& e) {
        // Every expected failure is reported where it happens; this is the last line of defence.
        std::fprintf(stderr, "memolib-gateway: fatal: %s\n", e.what());
        return 1;
    }
}
