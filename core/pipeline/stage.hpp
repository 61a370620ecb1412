#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "pipeline/exchange.hpp"
#include "stages/dedup_index.hpp"
#include "stages/lru_cache.hpp"

namespace memolib::core {

class BatchWriter;
class NonceStore;
class RateLimiter;

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
    /// True when the stage also has an after_parse step.
    virtual bool wants_after_parse() const { return false; }
    /// For a stage placed before parse: runs right after parse, once the messages are known
    /// (rate limits per sender). Same contract as process.
    virtual StageResult after_parse(Exchange&, const Resume&) const {
        return StageResult::kContinue;
    }
    /// True when the stage also has a before_parse step.
    virtual bool wants_before_parse() const { return false; }
    /// For a stage placed after parse: runs right before parse, once the request is verified,
    /// to answer from the raw request alone (the replay cache). Same contract as process.
    virtual StageResult before_parse(Exchange&, const Resume&) const {
        return StageResult::kContinue;
    }
    /// Runs once the answer is final, whichever stage decided it (the replay cache records it).
    virtual void on_complete(const Exchange&) const {}
};

/// An answer the replay cache keeps (only 200s are): its `messages` array as JSON.
struct CachedAnswer {
    std::string messages_json;
    /// What the request log line names for a replay answered before parse.
    std::string provider;
    std::string sender_masked;
};

/// Answers are shared, not copied, out of the cache: a replay reads one and lets it go.
using ReplayCache = LruCache<std::shared_ptr<const CachedAnswer>>;

/// State the stages share across requests, owned by the gateway.
struct StageState {
    StageState(std::size_t dedup_entries, std::size_t cache_entries, std::chrono::milliseconds ttl)
        : dedup_index(dedup_entries),
          // Two keys per answer (its raw form and its messages): room for `cache_entries`.
          replay_cache(cache_entries * 2, ttl) {}
    /// dedup key → id of the row holding it: the fast path in front of the UNIQUE constraint.
    DedupIndex dedup_index;
    ReplayCache replay_cache;
};

/// What stages may need from the gateway.
struct StageContext {
    BatchWriter* writer = nullptr;
    StageState* state = nullptr;
    RateLimiter* rate_limiter = nullptr;
    /// The validated `pipeline` block (stage settings).
    const ConfigValue* pipeline = nullptr;
    /// The signature nonces claimed so far (memolib_host_t::claim_nonce); null for none.
    NonceStore* nonces = nullptr;
};

/// Builds the stage called `name` (one of available_stages()); nullptr when unknown.
std::unique_ptr<Stage> make_stage(const std::string& name, const StageContext& context);

}  // namespace memolib::core
