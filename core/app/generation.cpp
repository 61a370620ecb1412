#include "app/generation.hpp"

namespace memolib::core {

namespace {

bool same(const ConfigValue& a, const ConfigValue& b) {
    if (a.kind != b.kind || a.scalar != b.scalar || a.entries.size() != b.entries.size() ||
        a.items.size() != b.items.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.entries.size(); ++i) {
        if (a.entries[i].first != b.entries[i].first ||
            !same(a.entries[i].second, b.entries[i].second)) {
            return false;
        }
    }
    for (std::size_t i = 0; i < a.items.size(); ++i) {
        if (!same(a.items[i], b.items[i])) return false;
    }
    return true;
}

const ConfigValue* at(const ConfigValue& root, const std::string& path) {
    const ConfigValue* node = &root;
    std::size_t start = 0;
    while (node != nullptr && start <= path.size()) {
        const std::size_t dot = path.find('.', start);
        node = node->find(path.substr(start, dot == std::string::npos ? dot : dot - start));
        if (dot == std::string::npos) break;
        start = dot + 1;
    }
    return node;
}

}  // namespace

std::vector<std::string> Generation::channel_names() const {
    std::vector<std::string> out;
    for (const auto& [name, channel] : channels) out.push_back(name);
    return out;
}

std::shared_ptr<const Generation> make_generation(std::unique_ptr<LoadedGateway> gateway,
                                                  const StageContext& services,
                                                  std::uint64_t number) {
    auto g = std::make_shared<Generation>();
    g->number = number;
    g->gateway = std::move(gateway);
    const ConfigValue& root = g->gateway->config.root;
    const ConfigValue& pipeline = root.at("pipeline");
    g->pipeline = std::make_unique<const Pipeline>(
        build_stages(g->gateway->config.stages, pipeline, services));
    for (const auto& c : g->gateway->channels) g->channels.emplace(c->config.name, c);
    const ConfigValue& compression = pipeline.at("compression");
    g->compression.min_bytes = static_cast<std::size_t>(compression.integer("min_bytes"));
    g->compression.level = static_cast<int>(compression.integer("level"));
    g->compression.min_savings = compression.number("min_savings");
    const ConfigValue& monitoring = root.at("monitoring");
    g->admin_token = monitoring.get("admin_token");
    const ConfigValue& alerts = monitoring.at("alerts");
    g->alerts.error_rate = alerts.number("error_rate");
    g->alerts.duplicate_rate = alerts.number("duplicate_rate");
    g->alerts.p99_ms = alerts.number("p99");
    g->alerts.spool_age_ms = alerts.number("spool_age");
    return g;
}

std::vector<std::string> restart_required(const GatewayConfig& running,
                                          const GatewayConfig& loaded) {
    // The listener, the storage writer and the dashboard window are built once at start, and
    // so is the state each stage keeps across reloads.
    std::vector<std::string> paths = {"server", "storage"};
    for (const StageFactory* factory : stage_factories()) {
        for (std::string& key : factory->restart_keys()) paths.push_back(std::move(key));
    }
    paths.emplace_back("pipeline.retry");
    paths.emplace_back("monitoring.window");
    std::vector<std::string> out;
    for (const std::string& path : paths) {
        const ConfigValue* a = at(running.root, path);
        const ConfigValue* b = at(loaded.root, path);
        if ((a == nullptr) != (b == nullptr) || (a != nullptr && !same(*a, *b)))
            out.emplace_back(path);
    }
    return out;
}

}  // namespace memolib::core
