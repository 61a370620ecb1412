#include "config/gateway_config.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "stages/stage_factory.hpp"

namespace memolib::core {

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

// A list naming neither replay nor sender_rate_limit was written before they were steps of
// their own, when listing cache also ran its replay right before parse and listing rate_limit
// also counted senders right after it: it is read that way.
std::vector<std::string> expand_old_form(const std::vector<std::string>& names) {
    auto has = [&](std::string_view name) {
        return std::find(names.begin(), names.end(), name) != names.end();
    };
    if (has(ReplayFactory::kName) || has(SenderRateLimitFactory::kName)) return names;
    std::vector<std::string> out;
    for (const std::string& name : names) {
        if (name == ParseFactory::kName && has(CacheFactory::kName))
            out.emplace_back(ReplayFactory::kName);
        out.push_back(name);
        if (name == ParseFactory::kName && has(RateLimitFactory::kName))
            out.emplace_back(SenderRateLimitFactory::kName);
    }
    return out;
}

// The stages run in the order of the factory table; some need another one to work.
void check_stages(const ConfigValue& pipeline, Validator& v, GatewayConfig& cfg) {
    const ConfigValue* list = pipeline.find("stages");
    std::vector<std::string> order;
    for (const StageFactory* factory : stage_factories()) order.emplace_back(factory->name());
    // An empty list means the default one, as it always did.
    if (list == nullptr || list->kind != ConfigValue::Kind::kList || list->items.empty()) {
        cfg.stages = order;
        return;
    }
    const ConfigValue& stages = *list;
    std::vector<std::string> written;
    std::ptrdiff_t last = -1;
    for (std::size_t i = 0; i < stages.items.size(); ++i) {
        const ConfigValue& s = stages.items[i];
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
                        "' (order: " + joined_names(order) + ")");
            continue;
        }
        last = pos;
        written.push_back(s.scalar);
    }
    auto has = [&](std::string_view name) {
        return std::find(written.begin(), written.end(), name) != written.end();
    };
    for (std::string_view required : {ParseFactory::kName, PersistFactory::kName}) {
        if (!has(required)) {
            v.error(stages.mark, "pipeline.stages",
                    "stage '" + std::string(required) + "' is required");
        }
    }
    if (has(PersistFactory::kName) && !has(DedupFactory::kName)) {
        v.error(stages.mark, "pipeline.stages",
                "stage 'persist' needs 'dedup' before it (it stores by dedup key)");
    }
    if (has(ReplayFactory::kName) && !has(CacheFactory::kName)) {
        v.error(stages.mark, "pipeline.stages",
                "stage 'replay' needs 'cache' after it (it replays the answers cache keeps)");
    }
    cfg.stages = expand_old_form(written);
    if (cfg.stages != written) cfg.stages_as_written = std::move(written);
}

}  // namespace

std::string joined_names(const std::vector<std::string>& names) {
    std::string out;
    for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
    return out;
}

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
    const std::size_t before = errors.size();
    cfg.root = v.validate(root, core_schema(), "");
    const std::size_t core_errors = errors.size();
    // Defaults are filled wherever the schema validated; only then may the code rely on them.
    const bool core_valid = core_errors == before;

    if (const ConfigValue* server = cfg.root.find("server")) {
        const ConfigValue* listen = server->find("listen");
        if (listen != nullptr && !parse_listen(listen->scalar, cfg.server.host, cfg.server.port)) {
            v.error(listen->mark, "server.listen",
                    "expected host:port, got '" + listen->scalar + "'");
        }
    }
    if (const ConfigValue* s = cfg.root.find("storage")) {
        const ConfigValue* url = s->find("url");
        if (url != nullptr && url->scalar.empty())
            v.error(s->mark, "storage.url", "must not be empty");
    }
    if (const ConfigValue* p = cfg.root.find("plugins"))
        cfg.plugins_directory = p->get("directory");
    if (const ConfigValue* p = cfg.root.find("pipeline")) check_stages(*p, v, cfg);
    int default_duplicate_status = 0;
    if (core_valid) {
        const ConfigValue& server = cfg.root.at("server");
        cfg.server.threads = static_cast<int>(server.integer("threads"));
        cfg.server.header_timeout_ms = server.integer("header_timeout");
        cfg.server.body_timeout_ms = server.integer("body_timeout");
        cfg.server.idle_timeout_ms = server.integer("idle_timeout");
        cfg.server.max_header_bytes = server.integer("max_header_bytes");
        cfg.server.shutdown_grace_ms = server.integer("shutdown_grace");
        cfg.server.max_connections = server.integer("max_connections");
        cfg.log_level = cfg.root.at("logging").text("level");
        const ConfigValue& storage = cfg.root.at("storage");
        cfg.storage.backend = storage.text("backend");
        cfg.storage.url = storage.text("url");
        cfg.storage.pool = static_cast<int>(storage.integer("pool"));
        cfg.storage.timeout_ms = storage.integer("timeout");
        cfg.storage.batch_max_messages =
            static_cast<int>(storage.at("batch").integer("max_messages"));
        cfg.storage.batch_max_delay_ms = storage.at("batch").integer("max_delay");
        cfg.storage.spool_path = storage.at("spool").text("path");
        cfg.storage.spool_max_bytes = storage.at("spool").integer("max_size");
        default_duplicate_status = DedupFactory::settings(cfg.root.at("pipeline")).duplicate_status;
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
            const std::size_t errors_before = errors.size();
            ch.block = v.validate_merged(kv.second, {&channel_core_schema(), info->schema}, key);
            if (errors.size() != errors_before) continue;
            ch.max_body = static_cast<std::uint64_t>(
                ch.block.get_int("max_body", static_cast<long long>(info->default_max_body)));
            ch.verify_mode = ch.block.text("verify");
            ch.public_url = ch.block.get("public_url");
            ch.rate_requests = info->default_rate_requests;
            ch.rate_window_ms = info->default_rate_window_ms;
            if (const ConfigValue* rate = ch.block.find("rate_limit")) {
                ch.rate_requests = static_cast<std::uint32_t>(
                    rate->get_int("requests", static_cast<long long>(ch.rate_requests)));
                ch.rate_window_ms = static_cast<std::uint64_t>(
                    rate->get_int("window", static_cast<long long>(ch.rate_window_ms)));
                ch.rate_key = rate->text("key");
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
