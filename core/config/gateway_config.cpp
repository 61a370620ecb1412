#include "config/gateway_config.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

#include <yaml-cpp/yaml.h>

namespace memolib::core {

const std::vector<std::string>& available_stages() {
    static const std::vector<std::string> kStages = {
        "size_limit", "rate_limit", "verify", "parse", "enrich", "dedup", "cache", "persist"};
    return kStages;
}

namespace {

bool parse_listen(const std::string& text, std::string& host, std::uint16_t& port) {
    std::size_t colon = text.rfind(':');
    if (colon == std::string::npos || colon + 1 >= text.size()) return false;
    host = text.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
    }
    if (host.empty()) return false;
    std::string p = text.substr(colon + 1);
    if (!std::all_of(p.begin(), p.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
        p.size() > 5) {
        return false;
    }
    unsigned long n = std::stoul(p);
    if (n > 65535) return false;
    port = static_cast<std::uint16_t>(n);
    return true;
}

void check_stages(const ConfigValue& pipeline, Validator& v, std::vector<std::string>& out) {
    const ConfigValue* stages = pipeline.find("stages");
    if (stages == nullptr || stages->kind != ConfigValue::Kind::kList || stages->items.empty()) {
        out = available_stages();
        return;
    }
    const auto& order = available_stages();
    std::ptrdiff_t last = -1;
    for (std::size_t i = 0; i < stages->items.size(); ++i) {
        const ConfigValue& s = stages->items[i];
        std::string key = "pipeline.stages[" + std::to_string(i) + "]";
        auto pos = std::find(order.begin(), order.end(), s.scalar) - order.begin();
        if (pos == static_cast<std::ptrdiff_t>(order.size())) continue;  // enum error already given
        if (pos == last) {
            v.error(s.mark, key, "stage '" + s.scalar + "' appears twice");
            continue;
        }
        if (pos < last) {
            v.error(s.mark, key,
                    "stage '" + s.scalar + "' cannot run after '" + order[last] +
                        "' (order: size_limit, rate_limit, verify, parse, enrich, dedup, cache, "
                        "persist)");
            continue;
        }
        last = pos;
        out.push_back(s.scalar);
    }
    auto has = [&](const char* name) {
        return std::find(out.begin(), out.end(), name) != out.end();
    };
    for (const char* required : {"parse", "persist"}) {
        if (!has(required)) {
            v.error(stages->mark, "pipeline.stages",
                    std::string("stage '") + required + "' is required");
        }
    }
    if (has("persist") && !has("dedup")) {
        v.error(stages->mark, "pipeline.stages",
                "stage 'persist' needs 'dedup' before it (it stores by dedup key)");
    }
}

}  // namespace

std::optional<GatewayConfig> load_config(const std::string& path,
                                         const PluginLookupFactory& plugins,
                                         std::vector<ConfigError>& errors) {
    std::ifstream in(path);
    if (!in) {
        errors.push_back({path, {}, "", "cannot open the file"});
        return std::nullopt;
    }
    std::stringstream text;
    text << in.rdbuf();
    YAML::Node root;
    try {
        root = YAML::Load(text.str());
    } catch (const YAML::Exception& e) {
        errors.push_back(
            {path, {e.mark.line + 1, e.mark.column + 1}, "", "not valid YAML: " + e.msg});
        return std::nullopt;
    }
    Validator v(path, errors);
    GatewayConfig cfg;
    cfg.file = path;
    cfg.root = v.validate(root, core_schema(), "");
    const std::size_t core_errors = errors.size();

    const ConfigValue* server = cfg.root.find("server");
    if (server != nullptr) {
        const ConfigValue* listen = server->find("listen");
        if (listen != nullptr && !parse_listen(listen->scalar, cfg.server.host, cfg.server.port)) {
            v.error(listen->mark, "server.listen",
                    "expected host:port, got '" + listen->scalar + "'");
        }
        cfg.server.threads = static_cast<int>(server->get_int("threads", 2));
        cfg.server.header_timeout_ms = server->get_int("header_timeout", 10000);
        cfg.server.body_timeout_ms = server->get_int("body_timeout", 30000);
        cfg.server.idle_timeout_ms = server->get_int("idle_timeout", 60000);
        cfg.server.max_header_bytes = server->get_int("max_header_bytes", 16384);
        cfg.server.shutdown_grace_ms = server->get_int("shutdown_grace", 10000);
        cfg.server.max_connections = server->get_int("max_connections", 0);
    }
    if (const ConfigValue* logging = cfg.root.find("logging"))
        cfg.log_level = logging->get("level", "info");
    if (const ConfigValue* p = cfg.root.find("plugins"))
        cfg.plugins_directory = p->get("directory");
    if (const ConfigValue* s = cfg.root.find("storage")) {
        cfg.storage.backend = s->get("backend", "sqlite");
        cfg.storage.url = s->get("url");
        cfg.storage.pool = static_cast<int>(s->get_int("pool", 4));
        cfg.storage.timeout_ms = s->get_int("timeout", 5000);
        if (const ConfigValue* b = s->find("batch")) {
            cfg.storage.batch_max_messages = static_cast<int>(b->get_int("max_messages", 256));
            cfg.storage.batch_max_delay_ms = b->get_int("max_delay", 2);
        }
        if (cfg.storage.url.empty()) v.error(s->mark, "storage.url", "must not be empty");
    }
    int default_duplicate_status = 409;
    if (const ConfigValue* p = cfg.root.find("pipeline")) {
        check_stages(*p, v, cfg.stages);
        if (const ConfigValue* d = p->find("dedup")) {
            default_duplicate_status = static_cast<int>(d->get_int("duplicate_status", 409));
        }
    }

    // Channel blocks are validated against core's channel keys plus their plugin's schema,
    // so the plugins are loaded only once the core part is sound.
    const ConfigValue* channels = cfg.root.find("channels");
    YAML::Node channel_nodes = root.IsMap() ? root["channels"] : YAML::Node();
    if (errors.size() == core_errors && channels != nullptr && channel_nodes.IsMap()) {
        auto lookup = plugins(cfg.plugins_directory);
        for (const auto& kv : channel_nodes) {
            std::string name = kv.first.Scalar();
            std::string key = "channels." + name;
            ChannelConfig ch;
            ch.name = name;
            ch.mark = {kv.first.Mark().line + 1, kv.first.Mark().column + 1};
            bool name_ok = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
                return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
            });
            if (!name_ok) {
                v.error(ch.mark, key, "a channel name uses only a-z, 0-9, '_' and '-'");
                continue;
            }
            ch.plugin = channels->find(name)->get("plugin");
            const PluginSchemaInfo* info = lookup ? lookup(ch.plugin) : nullptr;
            if (info == nullptr) {
                v.error(ch.mark, key + ".plugin",
                        "no plugin named '" + ch.plugin + "' was loaded from '" +
                            cfg.plugins_directory + "'");
                continue;
            }
            ch.block = v.validate_merged(kv.second, {&channel_core_schema(), info->schema}, key);
            ch.max_body = static_cast<std::uint64_t>(
                ch.block.get_int("max_body", static_cast<long long>(info->default_max_body)));
            ch.verify_mode = ch.block.get("verify", "enforce");
            ch.public_url = ch.block.get("public_url");
            ch.rate_requests = info->default_rate_requests;
            ch.rate_window_ms = info->default_rate_window_ms;
            if (const ConfigValue* rate = ch.block.find("rate_limit")) {
                ch.rate_requests = static_cast<std::uint32_t>(
                    rate->get_int("requests", static_cast<long long>(ch.rate_requests)));
                ch.rate_window_ms = static_cast<std::uint64_t>(
                    rate->get_int("window", static_cast<long long>(ch.rate_window_ms)));
                ch.rate_key = rate->get("key", "ip");
            }
            ch.duplicate_status =
                static_cast<int>(ch.block.get_int("duplicate_status", default_duplicate_status));
            cfg.channels.push_back(std::move(ch));
        }
    }
    if (!errors.empty()) return std::nullopt;
    return cfg;
}

}  // namespace memolib::core
