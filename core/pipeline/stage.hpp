#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "pipeline/exchange.hpp"

namespace memolib::core {

/// What a stage tells the pipeline.
enum class StageResult {
    /// Go on with the next stage.
    kContinue,
    /// The exchange has its answer (ex.status set): stop here.
    kRespond,
    /// The stage finishes later and calls the resume function it was given.
    kSuspend,
};

struct PipelineRun;

/// Called by a suspended stage, exactly once, with kContinue or kRespond: continues the
/// pipeline after that stage. A handle on the run rather than a std::function, so that the
/// stages that never suspend cost no allocation; a copy keeps the run (and its exchange) alive.
class Resume {
public:
    Resume(std::shared_ptr<PipelineRun> run, std::size_t next)
        : run_(std::move(run)), next_(next) {}
    void operator()(StageResult result) const;

private:
    std::shared_ptr<PipelineRun> run_;
    std::size_t next_;
};

/// One step of the webhook pipeline: one small class with one job (Envoy's filters,
/// userver's middlewares), run where `pipeline.stages` lists it. Stages are built once per
/// configuration and shared by every request, so they keep no per-request state.
class Stage {
public:
    virtual ~Stage() = default;
    virtual const char* name() const = 0;
    /// Runs once the headers are read, before the body: the place to refuse early.
    virtual StageResult on_headers(Exchange&) const { return StageResult::kContinue; }
    /// Runs once the body is read. A stage returning kSuspend calls `resume` later.
    virtual StageResult process(Exchange& ex, const Resume& resume) const = 0;
    /// Runs once the answer is final, whichever stage decided it (the replay cache records it).
    virtual void on_complete(const Exchange&) const {}
};

}  // namespace memolib::core
