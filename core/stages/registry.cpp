#include "stages/stages.hpp"

namespace memolib::core {

namespace {

// pipeline.priority.<level>, or the French and English defaults when the YAML gives none.
std::vector<std::string> keywords(const StageContext& context, const char* level,
                                  std::vector<std::string> defaults) {
    const ConfigValue* priority =
        context.pipeline != nullptr ? context.pipeline->find("priority") : nullptr;
    const ConfigValue* list = priority != nullptr ? priority->find(level) : nullptr;
    if (list == nullptr || list->kind != ConfigValue::Kind::kList) return defaults;
    std::vector<std::string> out;
    for (const ConfigValue& item : list->items) out.push_back(item.scalar);
    return out;
}

}  // namespace

std::unique_ptr<Stage> make_stage(const std::string& name, const StageContext& context) {
    if (name == "size_limit") return make_size_limit_stage();
    if (name == "rate_limit" && context.rate_limiter != nullptr) {
        return make_rate_limit_stage(*context.rate_limiter);
    }
    if (name == "verify") return make_verify_stage(context.nonces);
    if (name == "parse") return make_parse_stage();
    if (name == "enrich") {
        return make_enrich_stage(
            keywords(context, "high",
                     {"urgent", "urgence", "asap", "au plus vite", "immédiatement"}),
            keywords(context, "low", {"newsletter"}));
    }
    DedupIndex* index = context.state != nullptr ? &context.state->dedup_index : nullptr;
    if (name == "dedup") return make_dedup_stage(index);
    if (name == "cache" && context.state != nullptr)
        return make_cache_stage(context.state->replay_cache);
    if (name == "persist" && context.writer != nullptr)
        return make_persist_stage(*context.writer, index);
    return nullptr;
}

}  // namespace memolib::core
