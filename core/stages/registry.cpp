#include "stages/stages.hpp"

namespace memolib::core {

std::unique_ptr<Stage> make_stage(const std::string& name, const StageContext& context) {
    if (name == "size_limit") return make_size_limit_stage();
    if (name == "verify") return make_verify_stage();
    if (name == "parse") return make_parse_stage();
    if (name == "dedup") return make_dedup_stage();
    if (name == "persist" && context.writer != nullptr) return make_persist_stage(*context.writer);
    return nullptr;
}

}  // namespace memolib::core
