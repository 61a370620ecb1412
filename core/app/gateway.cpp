#include "app/gateway.hpp"

#include <cstdio>
#include <map>

#include "app/plugins_command.hpp"
#include "app/webhook_handler.hpp"
#include "http/server.hpp"
#include "observability/logger.hpp"
#include "observability/metrics.hpp"
#include "pipeline/pipeline.hpp"
#include "stages/rate_limiter.hpp"
#include "storage/batch_writer.hpp"

namespace memolib::core {

namespace {

RetryPolicy retry_policy(const GatewayConfig& config) {
    RetryPolicy policy;
    const ConfigValue* pipeline = config.root.find("pipeline");
    const ConfigValue* retry = pipeline != nullptr ? pipeline->find("retry") : nullptr;
    if (retry != nullptr) {
        policy.max_attempts = static_cast<int>(retry->get_int("max_attempts", 3));
        policy.base_delay_ms = retry->get_int("base_delay", 100);
        policy.max_delay_ms = retry->get_int("max_delay", 5000);
        policy.full_jitter = retry->get("jitter", "full") == "full";
    }
    return policy;
}

}  // namespace

std::unique_ptr<LoadedGateway> load_gateway(const std::string& path,
                                            std::vector<std::string>& errors) {
    auto gateway = std::make_unique<LoadedGateway>();
    gateway->registry = std::make_unique<PluginRegistry>();
    std::map<std::string, PluginSchemaInfo> infos;
    PluginRegistry& registry = *gateway->registry;
    PluginLookupFactory plugins = [&](const std::string& directory) {
        registry.load_directory(directory);
        for (const auto& [name, plugin] : registry.plugins()) {
            infos[name] =
                PluginSchemaInfo{&plugin->schema, plugin->default_max_body,
                                 plugin->default_rate_requests, plugin->default_rate_window_ms};
        }
        return [&infos](const std::string& name) -> const PluginSchemaInfo* {
            auto it = infos.find(name);
            return it == infos.end() ? nullptr : &it->second;
        };
    };
    std::vector<ConfigError> config_errors;
    auto config = load_config(path, plugins, config_errors);
    for (const ConfigError& e : config_errors) errors.push_back(e.to_string());
    if (!config) return nullptr;
    gateway->config = std::move(*config);
    for (const ChannelConfig& ch : gateway->config.channels) {
        std::vector<FieldError> refused;
        auto instance =
            ChannelInstance::create(registry.find(ch.plugin), ch.name, ch.block, refused);
        if (!instance) {
            for (const FieldError& e : refused) {
                std::string key = "channels." + ch.name + (e.field.empty() ? "" : "." + e.field);
                errors.push_back(ConfigError{path, ch.mark, key,
                                             "plugin '" + ch.plugin + "' refused: " + e.message}
                                     .to_string());
            }
            continue;
        }
        auto channel = std::make_shared<Channel>();
        channel->config = ch;
        channel->instance = std::move(instance);
        gateway->channels.push_back(std::move(channel));
    }
    if (!errors.empty()) return nullptr;
    return gateway;
}

int validate(const std::string& config_path) {
    std::vector<std::string> errors;
    auto gateway = load_gateway(config_path, errors);
    if (!gateway) {
        for (const std::string& e : errors) std::fprintf(stderr, "%s\n", e.c_str());
        std::fprintf(stderr, "%s: invalid (%zu problem%s)\n", config_path.c_str(), errors.size(),
                     errors.size() == 1 ? "" : "s");
        return 1;
    }
    std::printf("%s: ok (%zu channel%s, %zu plugin%s loaded)\n", config_path.c_str(),
                gateway->channels.size(), gateway->channels.size() == 1 ? "" : "s",
                gateway->registry->plugins().size(),
                gateway->registry->plugins().size() == 1 ? "" : "s");
    return 0;
}

int migrate(const std::string& config_path) {
    std::vector<std::string> errors;
    auto gateway = load_gateway(config_path, errors);
    if (!gateway) {
        for (const std::string& e : errors) std::fprintf(stderr, "%s\n", e.c_str());
        return 1;
    }
    try {
        auto db = Database::open(gateway->config.storage);
        int applied = db->migrate();
        std::printf("schema at version %d (%d migration%s applied)\n", db->schema_version(),
                    applied, applied == 1 ? "" : "s");
        return 0;
    } catch (const StorageError& e) {
        std::fprintf(stderr, "migrate failed: %s\n", e.what());
        return 1;
    }
}

int plugins(const std::string& config_path, const std::string& directory, const std::string& format,
            const std::string& only) {
    if (!directory.empty()) return print_plugins(directory, format, only);
    // Only plugins.directory is needed: a config whose channels do not validate must still
    // be able to list the plugins that would fix it.
    std::vector<ConfigError> errors;
    std::string dir;
    load_config(
        config_path,
        [&dir](const std::string& d) {
            dir = d;
            return std::function<const PluginSchemaInfo*(const std::string&)>();
        },
        errors);
    if (dir.empty()) {
        for (const ConfigError& e : errors) std::fprintf(stderr, "%s\n", e.to_string().c_str());
        return 1;
    }
    return print_plugins(dir, format, only);
}

int serve(const std::string& config_path) {
    std::vector<std::string> errors;
    auto gateway = load_gateway(config_path, errors);
    if (!gateway) {
        for (const std::string& e : errors) log().error("config_invalid", {{"problem", e}});
        log().error("start_failed", {{"config", config_path}, {"reason", "invalid configuration"}});
        return 1;
    }
    LogLevel level = LogLevel::kInfo;
    if (parse_log_level(gateway->config.log_level, level)) log().set_level(level);
    try {
        // Migrations run before the first request so that a 2xx never meets a missing table.
        auto db = Database::open(gateway->config.storage);
        db->migrate();
    } catch (const StorageError& e) {
        log().error("start_failed", {{"reason", "storage"}, {"error", e.what()}});
        return 1;
    }
    BatchWriter writer(gateway->config.storage, retry_policy(gateway->config));
    writer.start();
    const ConfigValue* pipeline_cfg = gateway->config.root.find("pipeline");
    const ConfigValue* dedup_cfg = pipeline_cfg != nullptr ? pipeline_cfg->find("dedup") : nullptr;
    const ConfigValue* cache_cfg = pipeline_cfg != nullptr ? pipeline_cfg->find("cache") : nullptr;
    StageState state(
        static_cast<std::size_t>(dedup_cfg != nullptr ? dedup_cfg->get_int("cache_entries", 100000)
                                                      : 100000),
        static_cast<std::size_t>(cache_cfg != nullptr ? cache_cfg->get_int("max_entries", 1000)
                                                      : 1000),
        std::chrono::milliseconds(cache_cfg != nullptr ? cache_cfg->get_int("ttl", 60000) : 60000));
    const ConfigValue* rate_cfg =
        pipeline_cfg != nullptr ? pipeline_cfg->find("rate_limit") : nullptr;
    std::unique_ptr<RateLimiter> limiter;
    if (rate_cfg != nullptr && rate_cfg->get("backend", "memory") == "redis") {
        limiter =
            make_redis_rate_limiter(rate_cfg->get("redis_url", "redis://127.0.0.1:6379"),
                                    static_cast<std::uint64_t>(rate_cfg->get_int("timeout", 200)));
    } else {
        limiter = make_memory_rate_limiter();
    }
    StageContext context{&writer, &state, limiter.get(), pipeline_cfg};
    for (const auto& [name, plugin] : gateway->registry->plugins()) {
        metrics().set("memolib_plugins_loaded", {{"name", name}, {"version", plugin->version}}, 1);
    }
    metrics().set("memolib_plugins_refused", {},
                  static_cast<double>(gateway->registry->refused().size()));
    metrics().on_render([&state](Metrics& m) {
        m.set("memolib_cache_hits_total", {{"cache", "dedup"}},
              static_cast<double>(state.dedup_index.hits()));
        m.set("memolib_cache_misses_total", {{"cache", "dedup"}},
              static_cast<double>(state.dedup_index.misses()));
        m.set("memolib_cache_evictions_total", {{"cache", "dedup"}},
              static_cast<double>(state.dedup_index.evictions()));
        m.set("memolib_cache_hits_total", {{"cache", "replay"}},
              static_cast<double>(state.replay_cache.hits()));
        m.set("memolib_cache_misses_total", {{"cache", "replay"}},
              static_cast<double>(state.replay_cache.misses()));
        m.set("memolib_cache_evictions_total", {{"cache", "replay"}},
              static_cast<double>(state.replay_cache.evictions()));
    });
    auto pipeline = std::make_shared<const Pipeline>(gateway->config.stages, context);
    WebhookHandler handler(*gateway, pipeline, writer);
    HttpServer server(gateway->config.server, handler);
    try {
        server.listen();
    } catch (const std::exception& e) {
        log().error("start_failed", {{"reason", e.what()}});
        return 1;
    }
    log().info("started", {{"version", MEMOLIB_GATEWAY_VERSION},
                           {"config", config_path},
                           {"channels", gateway->channels.size()},
                           {"storage", gateway->config.storage.backend}});
    server.run();
    writer.stop();
    // The collector above refers to this function's state.
    metrics().reset();
    log().info("stopped", {});
    return 0;
}

}  // namespace memolib::core
