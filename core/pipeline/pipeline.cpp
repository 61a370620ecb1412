#include "pipeline/pipeline.hpp"

#include <utility>

namespace memolib::core {

Pipeline::Pipeline(std::vector<std::unique_ptr<Stage>> stages) : stages_(std::move(stages)) {}

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
    const std::vector<std::unique_ptr<Stage>>& stages = run->pipeline->stages_;
    Exchange& ex = *run->ex;
    for (std::size_t i = index; i < stages.size(); ++i) {
        const StageResult r = stages[i]->process(ex, Resume(run, i + 1));
        if (r == StageResult::kSuspend) return;
        if (r == StageResult::kRespond) break;
    }
    run->finish();
}

}  // namespace memolib::core
