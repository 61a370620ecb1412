#include <stdexcept>

#include "stages/stages.hpp"

namespace memolib::core {

// An explicit table rather than self-registration at static-initialization time, which a
// static library's linker drops for object files nothing else refers to.
const std::vector<const StageFactory*>& stage_factories() {
    static const SizeLimitFactory kSizeLimit;
    static const RateLimitFactory kRateLimit;
    static const VerifyFactory kVerify;
    static const ReplayFactory kReplay;
    static const ParseFactory kParse;
    static const SenderRateLimitFactory kSenderRateLimit;
    static const EnrichFactory kEnrich;
    static const DedupFactory kDedup;
    static const CacheFactory kCache;
    static const PersistFactory kPersist;
    static const std::vector<const StageFactory*> kFactories = {
        &kSizeLimit,       &kRateLimit, &kVerify, &kReplay, &kParse,
        &kSenderRateLimit, &kEnrich,    &kDedup,  &kCache,  &kPersist};
    return kFactories;
}

const StageFactory* find_stage_factory(std::string_view name) {
    for (const StageFactory* factory : stage_factories()) {
        if (factory->name() == name) return factory;
    }
    return nullptr;
}

std::vector<std::unique_ptr<Stage>> build_stages(const std::vector<std::string>& names,
                                                 const ConfigValue& pipeline,
                                                 const StageContext& context) {
    std::vector<std::unique_ptr<Stage>> stages;
    for (const std::string& name : names) {
        const StageFactory* factory = find_stage_factory(name);
        std::unique_ptr<Stage> stage =
            factory != nullptr ? factory->make(pipeline, context) : nullptr;
        if (!stage) throw std::invalid_argument("stage '" + name + "' cannot be built");
        stages.push_back(std::move(stage));
    }
    return stages;
}

void make_stage_states(const ConfigValue& pipeline, StageState& state) {
    for (const StageFactory* factory : stage_factories()) factory->make_state(pipeline, state);
}

}  // namespace memolib::core
