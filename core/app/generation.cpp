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
                                                  const SharedServices& services,
                                                  std::uint64_t number) {
    auto g = std::make_shared<Generation>();
    g->number = number;
    g->gateway = std::move(gateway);
    const ConfigValue& root = g->gateway->config.root;
    const ConfigValue* pipeline = root.find("pipeline");
    StageContext context{services.writer, services.state, services.rate_limiter, pipeline,
                         services.nonces};
    g->pipeline = std::make_unique<const Pipeline>(g->gateway->config.stages, context);
    for (const auto& c : g->gateway->channels) g->channels.emplace(c->config.name, c);
    if (const ConfigValue* c = pipeline != nullptr ? pipeline->find("compression") : nullptr) {
        g->compression.min_bytes = static_cast<std::size_t>(c->get_int("min_bytes", 1024));
        g->compression.level = static_cast<int>(c->get_int("level", 6));
        g->compression.min_savings = c->get_number("min_savings", 0.20);
    }
    if (const ConfigValue* monitoring = root.find("monitoring")) {
        g->admin_token = monitoring->get("admin_token");
        if (const ConfigValue* a = monitoring->find("alerts")) {
            g->alerts.error_rate = a->get_number("error_rate", g->alerts.error_rate);
            g->alerts.duplicate_rate = a->get_number("duplicate_rate", g->alerts.duplicate_rate);
            g->alerts.p99_ms = a->get_number("p99", g->alerts.p99_ms);
        }
    }
    return g;
}

std::vector<std::string> restart_required(const GatewayConfig& running,
                                          const GatewayConfig& loaded) {
    static const char* const kPaths[] = {
        "server",         "storage",        "pipeline.rate_limit", "pipeline.dedup.cache_entries",
        "pipeline.retry", "pipeline.cache", "monitoring.window"};
    std::vector<std::string> out;
    for (const char* path : kPaths) {
        const ConfigValue* a = at(running.root, path);
        const ConfigValue* b = at(loaded.root, path);
        if ((a == nullptr) != (b == nullptr) || (a != nullptr && !same(*a, *b)))
            out.emplace_back(path);
    }
    return out;
}

}  // namespace memolib::core
