#pragma once

#include <memory>
#include <string>

#include "pipeline/exchange.hpp"

namespace memolib::core {

class BatchWriter;

/// What a stage tells the pipeline.
enum class StageResult {
    /// Go on with the next stage.
    kContinue,
    /// The exchange has its answer (ex.status set): stop here.
    kRespond,
    /// The stage finishes later and calls the resume function it was given.
    kSuspend,
};

/// Called by a suspended stage, exactly once, with kContinue or kRespond.
using Resume = std::function<void(StageResult)>;

/// One step of the webhook pipeline: one small class with one job (Envoy's filters,
/// userver's middlewares). Stages are built once per configuration and shared by every
/// request, so they keep no per-request state.
class Stage {
public:
    virtual ~Stage() = default;
    virtual const char* name() const = 0;
    /// Runs once the headers are read, before the body: the place to refuse early.
    virtual StageResult on_headers(Exchange&) const { return StageResult::kContinue; }
    /// Runs once the body is read. A stage returning kSuspend calls `resume` later.
    virtual StageResult process(Exchange& ex, const Resume& resume) const = 0;
};

/// What stages may need from the gateway.
struct StageContext {
    BatchWriter* writer = nullptr;
};

/// Builds the stage called `name` (one of available_stages()); nullptr when unknown.
std::unique_ptr<Stage> make_stage(const std::string& name, const StageContext& context);

}  // namespace memolib::core
