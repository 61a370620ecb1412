#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <vector>

#include "pipeline/stage.hpp"

namespace memolib::core {

class Pipeline;

/// One request's way through a pipeline: what a suspended stage's Resume continues.
struct PipelineRun {
    const Pipeline* pipeline;
    std::shared_ptr<Exchange> ex;
    std::function<void()> done;
    /// Set by the first call of `finish`: a stage that resumed twice must not answer twice
    /// (the second answer would change a body that is being written).
    std::atomic<bool> finished{false};
    void finish() {
        if (!finished.exchange(true)) done();
    }
};

/// The configured chain of stages, run in the order given for every webhook request.
class Pipeline {
public:
    explicit Pipeline(std::vector<std::unique_ptr<Stage>> stages);

    /// Runs every stage's on_headers; false when one of them answered already.
    bool run_headers(Exchange& ex) const;
    /// Runs the stages from the first; `done` runs once, when the answer is decided or every
    /// stage has continued (then ex.status is still 0), possibly on another thread.
    void run(const std::shared_ptr<Exchange>& ex, std::function<void()> done) const;
    /// Tells every stage the answer is final.
    void complete(const Exchange& ex) const;

private:
    friend class Resume;
    static void run_from(const std::shared_ptr<PipelineRun>& run, std::size_t index);

    std::vector<std::unique_ptr<Stage>> stages_;
};

}  // namespace memolib::core
