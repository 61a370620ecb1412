#include "pipeline/pipeline.hpp"

#include <stdexcept>

namespace memolib::core {

Pipeline::Pipeline(const std::vector<std::string>& names, const StageContext& context) {
    for (const std::string& name : names) {
        auto stage = make_stage(name, context);
        if (!stage) throw std::invalid_argument("unknown stage '" + name + "'");
        stages_.push_back(std::move(stage));
    }
    for (std::size_t i = 0; i < stages_.size(); ++i) {
        const bool parse = std::string(stages_[i]->name()) == "parse";
        if (parse) {
            for (std::size_t j = i + 1; j < stages_.size(); ++j) {
                if (stages_[j]->wants_before_parse())
                    steps_.push_back({stages_[j].get(), StepKind::kBeforeParse});
            }
        }
        steps_.push_back({stages_[i].get(), StepKind::kProcess});
        if (!parse) continue;
        for (std::size_t j = 0; j < i; ++j) {
            if (stages_[j]->wants_after_parse())
                steps_.push_back({stages_[j].get(), StepKind::kAfterParse});
        }
    }
}

bool Pipeline::run_headers(Exchange& ex) const {
    for (const auto& stage : stages_) {
        if (stage->on_headers(ex) != StageResult::kContinue) return false;
    }
    return true;
}

void Pipeline::complete(const Exchange& ex) const {
    for (const auto& stage : stages_) stage->on_complete(ex);
}

void Pipeline::run(const std::shared_ptr<Exchange>& ex, std::function<void()> done) const {
    auto run = std::make_shared<PipelineRun>();
    run->pipeline = this;
    run->ex = ex;
    run->done = std::move(done);
    run_from(run, 0);
}

void Resume::operator()(StageResult result) const {
    // A copy: the stage may drop this Resume while the pipeline goes on.
    const std::shared_ptr<PipelineRun> run = run_;
    if (result == StageResult::kContinue)
        Pipeline::run_from(run, next_);
    else
        run->finish();
}

void Pipeline::run_from(const std::shared_ptr<PipelineRun>& run, std::size_t index) {
    const std::vector<Step>& steps = run->pipeline->steps_;
    Exchange& ex = *run->ex;
    for (std::size_t i = index; i < steps.size(); ++i) {
        const Resume resume(run, i + 1);
        const Step& step = steps[i];
        StageResult r = step.kind == StepKind::kAfterParse    ? step.stage->after_parse(ex, resume)
                        : step.kind == StepKind::kBeforeParse ? step.stage->before_parse(ex, resume)
                                                              : step.stage->process(ex, resume);
        if (r == StageResult::kSuspend) return;
        if (r == StageResult::kRespond) break;
    }
    run->finish();
}

}  // namespace memolib::core
