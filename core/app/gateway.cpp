#include "app/gateway.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>

#include "app/admin_api.hpp"
#include "app/generation.hpp"
#include "app/plugins_command.hpp"
#include "app/router.hpp"
#include "http/server.hpp"
#include "observability/dashboard_stats.hpp"
#include "observability/logger.hpp"
#include "observability/metrics.hpp"
#include "observability/quarantine_pending.hpp"
#include "pipeline/pipeline.hpp"
#include "plugins/nonce_store.hpp"
#include "stages/stage_factory.hpp"
#include "stages/stage_state.hpp"
#include "storage/batch_writer.hpp"
#include "util/time_format.hpp"

namespace memolib::core {

namespace {

RetryPolicy retry_policy(const GatewayConfig& config) {
    RetryPolicy policy;
    const ConfigValue& retry = config.root.at("pipeline").at("retry");
    policy.max_attempts = static_cast<int>(retry.integer("max_attempts"));
    policy.base_delay_ms = retry.integer("base_delay");
    policy.max_delay_ms = retry.integer("max_delay");
    policy.full_jitter = retry.text("jitter") == "full";
    return policy;
}

}  // namespace

std::unique_ptr<LoadedGateway> load_gateway(const std::string& path,
                                            std::vector<std::string>& errors,
                                            const PluginScan* previous) {
    auto gateway = std::make_unique<LoadedGateway>();
    gateway->registry = std::make_unique<PluginRegistry>();
    std::map<std::string, PluginSchemaInfo> infos;
    PluginRegistry& registry = *gateway->registry;
    PluginLookupFactory plugins = [&](const std::string& directory) {
        registry.load_directory(directory, previous);
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
    if (previous != nullptr) {
        for (const auto& [file, reason] : registry.refused()) {
            if (previous->refused.count(file) == 0)
                errors.push_back("plugin file " + file + " was not taken: ");
            errors.back() += reason;
        }
    }
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
    const GatewayConfig& config = gateway->config;
    if (!config.stages_as_written.empty()) {
        std::printf("%s: pipeline.stages [%s] is read as [%s]\n", config_path.c_str(),
                    joined_names(config.stages_as_written).c_str(),
                    joined_names(config.stages).c_str());
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

namespace {

void publish_plugins(const PluginRegistry& registry) {
    metrics().clear("memolib_plugins_loaded");
    for (const auto& [name, plugin] : registry.plugins()) {
        metrics().set("memolib_plugins_loaded", {{"name", name}, {"version", plugin->version}}, 1);
    }
    metrics().set("memolib_plugins_refused", {}, static_cast<double>(registry.refused().size()));
}

void apply_log_level(const GatewayConfig& config) {
    LogLevel level = LogLevel::kInfo;
    if (parse_log_level(config.log_level, level)) log().set_level(level);
}

void collect_cache_metrics(const StageState& state, Metrics& m) {
    auto publish = [&m](const char* cache, const auto& lru) {
        m.set("memolib_cache_hits_total", {{"cache", cache}}, static_cast<double>(lru.hits()));
        m.set("memolib_cache_misses_total", {{"cache", cache}}, static_cast<double>(lru.misses()));
        m.set("memolib_cache_evictions_total", {{"cache", cache}},
              static_cast<double>(lru.evictions()));
    };
    publish("dedup", *state.dedup_index);
    publish("replay", *state.replay_cache);
}

// Computed when scraped, so that it grows while nothing is spooled or drained.
void collect_spool_age(const BatchWriter& writer, Metrics& m) {
    const std::optional<SpoolStats> spool = writer.spool_stats();
    if (!spool) return;
    const std::int64_t oldest = spool->depth > 0 ? spool->oldest_received_ms : 0;
    const std::int64_t age_ms = oldest > 0 ? std::max<std::int64_t>(now_ms() - oldest, 0) : 0;
    m.set("memolib_spool_oldest_age_seconds", {}, static_cast<double>(age_ms) / 1000.0);
}

// The nonce memory is shared where the rate-limit windows are: in Redis when instances share
// them, else in this process.
std::unique_ptr<NonceStore> make_nonce_store(const GatewayConfig& config) {
    const RateLimitFactory::Settings rate = RateLimitFactory::settings(config.root.at("pipeline"));
    if (rate.backend == "redis") return make_redis_nonce_store(rate.redis_url, rate.timeout_ms);
    return make_memory_nonce_store();
}

std::chrono::milliseconds dashboard_window(const GatewayConfig& config) {
    return std::chrono::milliseconds(config.root.at("monitoring").integer("window"));
}

// Builds a new generation from the config file and swaps it in; the running one stays
// when anything is wrong. Calls are serialized (they come from the admin worker thread).
class Reloader {
public:
    Reloader(std::string path, GatewayConfig started_with, PluginScan plugins,
             StageContext services, Router& handler)
        : path_(std::move(path)),
          started_with_(std::move(started_with)),
          plugins_(std::move(plugins)),
          services_(services),
          handler_(handler) {}

    ReloadOutcome operator()(const std::string& trigger) {
        std::lock_guard<std::mutex> lock(mutex_);
        ReloadOutcome outcome;
        outcome.generation = number_;
        std::unique_ptr<LoadedGateway> loaded = load_gateway(path_, outcome.errors, &plugins_);
        std::shared_ptr<const Generation> next;
        if (loaded) {
            outcome.restart_required = restart_required(started_with_, loaded->config);
            try {
                next = make_generation(std::move(loaded), services_, number_ + 1);
            } catch (const std::exception& e) {
                outcome.errors.emplace_back(e.what());
            }
        }
        if (!next) {
            for (const std::string& e : outcome.errors)
                log().error("config_invalid", {{"problem", e}});
            log().error("reload_failed", {{"trigger", trigger},
                                          {"config", path_},
                                          {"problems", outcome.errors.size()},
                                          {"generation", number_}});
            metrics().add("memolib_reloads_total", {{"result", "failed"}, {"trigger", trigger}});
            return outcome;
        }
        apply_log_level(next->config());
        const PluginRegistry& registry = *next->gateway->registry;
        publish_plugins(registry);
        plugins_ = registry.scan();
        std::string serving;
        for (const auto& [name, plugin] : registry.plugins()) {
            outcome.plugins.emplace_back(name, plugin->file);
            serving += (serving.empty() ? "" : ",") + name + "=" + plugin->file;
        }
        outcome.set_aside = registry.set_aside();
        number_ = next->number;
        outcome.ok = true;
        outcome.generation = number_;
        const std::size_t channels = next->channels.size();
        handler_.set_generation(std::move(next));
        metrics().set("memolib_config_generation", {}, static_cast<double>(number_));
        metrics().add("memolib_reloads_total", {{"result", "ok"}, {"trigger", trigger}});
        std::string pending;
        for (const std::string& key : outcome.restart_required)
            pending += (pending.empty() ? "" : ",") + key;
        log().info("reloaded", {{"trigger", trigger},
                                {"config", path_},
                                {"generation", number_},
                                {"channels", channels},
                                {"plugins", serving},
                                {"restart_required", pending}});
        return outcome;
    }

private:
    std::mutex mutex_;
    std::string path_;
    GatewayConfig started_with_;
    /// What the running configuration's plugins directory scan decided.
    PluginScan plugins_;
    StageContext services_;
    Router& handler_;
    std::uint64_t number_ = 1;
};

// Each connection is a file descriptor, and the usual soft limit (1024) is far below what a
// server needs; the hard limit is the administrator's.
void raise_open_file_limit() {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == limit.rlim_max) return;
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &raised) != 0) {
        log().warn("open_file_limit_not_raised",
                   {{"soft", static_cast<std::uint64_t>(limit.rlim_cur)},
                    {"hard", static_cast<std::uint64_t>(limit.rlim_max)},
                    {"error", std::strerror(errno)}});
    }
}

// The pending gauge (and the dashboard's alert) starts from what earlier runs left.
void load_quarantine_pending(Database& db) {
    quarantine_pending().reset_to(db.quarantine_pending());
    for (const auto& [channel, n] : db.quarantine_pending()) refresh_quarantine_oldest(db, channel);
}

}  // namespace

int serve(const std::string& config_path) {
    raise_open_file_limit();
    std::vector<std::string> errors;
    auto gateway = load_gateway(config_path, errors);
    if (!gateway) {
        for (const std::string& e : errors) log().error("config_invalid", {{"problem", e}});
        log().error("start_failed", {{"config", config_path}, {"reason", "invalid configuration"}});
        return 1;
    }
    apply_log_level(gateway->config);
    const GatewayConfig started_with = gateway->config;
    BatchWriter writer(started_with.storage, retry_policy(started_with));
    try {
        // Migrations run before the first request so that a 2xx never meets a missing table.
        auto db = Database::open(gateway->config.storage);
        db->migrate();
        load_quarantine_pending(*db);
    } catch (const StorageError& e) {
        if (!writer.spool_stats() || e.kind() == StorageError::Kind::kFatal) {
            log().error("start_failed", {{"reason", "storage"}, {"error", e.what()}});
            return 1;
        }
        // With a spool, an instance (re)started during an outage serves: its messages wait in
        // the spool, and the drainer applies the migrations once PostgreSQL answers.
        log().error("storage_unavailable_at_start", {{"error", e.what()}});
        writer.primary_unavailable_at_start(load_quarantine_pending);
    }
    try {
        writer.open_spool();
    } catch (const StorageError& e) {
        // A full disk is the spool's state, answered 503 until space is freed; anything else
        // is a path that cannot work.
        if (e.kind() == StorageError::Kind::kFull) {
            log().error("spool_unavailable_at_start", {{"error", e.what()}});
        } else {
            log().error("start_failed", {{"reason", "spool"},
                                         {"path", started_with.storage.spool_path},
                                         {"error", e.what()}});
            return 1;
        }
    }
    writer.on_quarantine_drained([](const QuarantineEntry& e) {
        quarantine_pending().add(e.channel, 1, parse_rfc3339_ms(e.received_at).value_or(0));
    });
    writer.start();
    StageState state;
    make_stage_states(started_with.root.at("pipeline"), state);
    auto nonces = make_nonce_store(started_with);
    const StageContext services{&writer, nonces.get(), &state};
    publish_plugins(*gateway->registry);
    metrics().set("memolib_config_generation", {}, 1);
    metrics().on_render([&state](Metrics& m) { collect_cache_metrics(state, m); });
    metrics().on_render([&writer](Metrics& m) { collect_spool_age(writer, m); });
    DashboardStats stats(dashboard_window(started_with));
    const std::size_t channels = gateway->channels.size();
    PluginScan plugins = gateway->registry->scan();
    Router handler(make_generation(std::move(gateway), services, 1), &stats, nullptr);
    Reloader reloader(config_path, started_with, std::move(plugins), services, handler);
    AdminApi admin(started_with.storage, writer, stats,
                   [&reloader](const std::string& trigger) { return reloader(trigger); });
    handler.set_admin(&admin);
    HttpServer server(started_with.server, handler);
    try {
        server.listen();
    } catch (const std::exception& e) {
        log().error("start_failed", {{"reason", e.what()}});
        return 1;
    }
    server.on_hangup([&admin] { admin.reload_in_background("signal"); });
    if (!started_with.stages_as_written.empty()) {
        const std::string written = joined_names(started_with.stages_as_written);
        const std::string stages = joined_names(started_with.stages);
        log().info("pipeline_stages_read_as", {{"written", written}, {"stages", stages}});
    }
    log().info("started", {{"version", MEMOLIB_GATEWAY_VERSION},
                           {"config", config_path},
                           {"channels", channels},
                           {"storage", started_with.storage.backend}});
    // Request lines go through the logger's writer thread while the server runs; whatever
    // is pending is written before the process ends, whichever way it ends.
    struct BackgroundLog {
        BackgroundLog() { log().start_background(); }
        ~BackgroundLog() { log().stop_background(); }
    } background_log;
    server.run();
    admin.stop();
    // The writer gets what is left of the grace (at least a moment) to commit what it holds.
    const auto deadline = std::max(server.shutdown_deadline(), std::chrono::steady_clock::now() +
                                                                   std::chrono::milliseconds(200));
    if (!writer.stop_until(deadline)) {
        // A commit still blocked (a lock, a hung server): its requests were never answered,
        // so their providers retry, and the database rolls it back when the process is gone.
        log().warn("shutdown_grace_exceeded", {{"waiting_for", "storage commit"}});
        log().info("stopped", {{"forced", true}});
        log().stop_background();
        std::_Exit(0);
    }
    // Its thread may hold the last reference to a connection too (a Redis check's callback).
    state.rate_limiter.reset();
    // The collector above refers to this function's state.
    metrics().reset();
    log().info("stopped", {});
    return 0;
}

}  // namespace memolib::core
