#include <algorithm>

#include "stages/rate_limiter.hpp"
#include "stages/stages.hpp"

namespace memolib::core {

namespace {

std::string key_for(const Exchange& ex, const std::string& sender) {
    const ChannelConfig& c = ex.channel->config;
    // A dry run is a developer's tool: it has a budget of its own, so that trying a
    // payload neither spends nor is refused by the channel's real one.
    std::string key = "memolib:rl:" + c.name + (ex.dry_run ? ":dry_run:" : ":") + c.rate_key + ":";
    if (c.rate_key == "ip")
        key += ex.remote_address;
    else if (c.rate_key == "sender")
        key += sender;
    return key;
}

StageResult apply(Exchange& ex, RateDecision d) {
    if (d.allowed) return StageResult::kContinue;
    const ChannelConfig& c = ex.channel->config;
    const std::uint64_t seconds = std::max<std::uint64_t>(1, (d.retry_after_ms + 999) / 1000);
    ex.fail(429, "rate_limited",
            "more than " + std::to_string(c.rate_requests) + " requests per " +
                std::to_string(c.rate_window_ms / 1000) + " s on channel '" + c.name +
                "' (key: " + c.rate_key + "); retry in " + std::to_string(seconds) + " s");
    ex.response_headers.emplace_back("Retry-After", std::to_string(seconds));
    return StageResult::kRespond;
}

StageResult check_async(RateLimiter& limiter, Exchange& ex, const std::string& key,
                        const Resume& resume) {
    const ChannelConfig& c = ex.channel->config;
    auto owner = std::make_shared<Resume>(resume);
    Exchange* exp = &ex;
    limiter.hit(key, c.rate_requests, c.rate_window_ms, ex.received_at_ms,
                [owner, exp](RateDecision d) {
                    exp->on_own_thread([owner, exp, d] { (*owner)(apply(*exp, d)); });
                });
    return StageResult::kSuspend;
}

// A sliding window per channel and key. `ip` and `channel` keys are counted before the body
// is read (memory backend) or right after it (Redis, whose round trip must not block an I/O
// thread); `sender` keys by sender_rate_limit, once parse has named the sender.
class RateLimitStage final : public Stage {
public:
    explicit RateLimitStage(RateLimiter& limiter) : limiter_(limiter) {}
    const char* name() const override { return "rate_limit"; }

    StageResult on_headers(Exchange& ex) const override {
        const ChannelConfig& c = ex.channel->config;
        if (!limiter_.synchronous() || c.rate_key == "sender" || c.rate_requests == 0)
            return StageResult::kContinue;
        StageResult result = StageResult::kContinue;
        limiter_.hit(key_for(ex, ""), c.rate_requests, c.rate_window_ms, ex.received_at_ms,
                     [&](RateDecision d) { result = apply(ex, d); });
        return result;
    }

    StageResult process(Exchange& ex, const Resume& resume) const override {
        const ChannelConfig& c = ex.channel->config;
        // An operator's re-processing is not the provider's traffic.
        if (limiter_.synchronous() || c.rate_key == "sender" || c.rate_requests == 0 ||
            ex.reprocess_quarantine_id != 0) {
            return StageResult::kContinue;
        }
        return check_async(limiter_, ex, key_for(ex, ""), resume);
    }

private:
    RateLimiter& limiter_;
};

// The windows of channels keyed by `sender`, counted once parse has named the senders.
class SenderRateLimitStage final : public Stage {
public:
    explicit SenderRateLimitStage(RateLimiter& limiter) : limiter_(limiter) {}
    const char* name() const override { return "sender_rate_limit"; }

    StageResult process(Exchange& ex, const Resume& resume) const override {
        const ChannelConfig& c = ex.channel->config;
        if (c.rate_key != "sender" || c.rate_requests == 0 || ex.messages.empty() ||
            ex.reprocess_quarantine_id != 0) {
            return StageResult::kContinue;
        }
        // A batch is counted against each distinct sender it carries.
        std::vector<std::string> senders;
        for (const NormalizedMessage& m : ex.messages) senders.push_back(m.sender);
        std::sort(senders.begin(), senders.end());
        senders.erase(std::unique(senders.begin(), senders.end()), senders.end());
        if (limiter_.synchronous()) {
            for (const std::string& s : senders) {
                StageResult result = StageResult::kContinue;
                limiter_.hit(key_for(ex, s), c.rate_requests, c.rate_window_ms, ex.received_at_ms,
                             [&](RateDecision d) { result = apply(ex, d); });
                if (result != StageResult::kContinue) return result;
            }
            return StageResult::kContinue;
        }
        // Redis: the first sender decides; a batch from several senders is rare enough.
        return check_async(limiter_, ex, key_for(ex, senders.front()), resume);
    }

private:
    RateLimiter& limiter_;
};

}  // namespace

RateLimitFactory::Settings RateLimitFactory::settings(const ConfigValue& pipeline) {
    const ConfigValue& rate = pipeline.at("rate_limit");
    return {rate.text("backend"), rate.text("redis_url"),
            static_cast<std::uint64_t>(rate.integer("timeout")),
            static_cast<std::size_t>(rate.integer("max_keys"))};
}

std::string_view RateLimitFactory::settings_schema() const {
    return R"yaml(
type: object
properties:
  backend: {type: string, default: memory, enum: [memory, redis], description: "memory (one instance) or redis (windows shared by every instance)"}
  redis_url: {type: string, default: "redis://127.0.0.1:6379", description: "redis://host:port/db of the redis backend"}
  timeout: {type: duration, default: 200ms, description: "Connect and command timeout of the redis backend; past it the request is let through"}
  max_keys: {type: integer, default: 100000, minimum: 1, description: "Keys the memory backend holds at most (about 250 bytes each); keys whose window has passed are dropped, and past the cap the key hit least recently makes room"}
)yaml";
}

void RateLimitFactory::make_state(const ConfigValue& pipeline, StageState& state) const {
    const Settings s = settings(pipeline);
    state.rate_limiter = s.backend == "redis" ? make_redis_rate_limiter(s.redis_url, s.timeout_ms)
                                              : make_memory_rate_limiter(s.max_keys);
}

std::unique_ptr<Stage> RateLimitFactory::make(const ConfigValue&,
                                              const StageContext& context) const {
    if (context.state == nullptr || !context.state->rate_limiter) return nullptr;
    return std::make_unique<RateLimitStage>(*context.state->rate_limiter);
}

std::unique_ptr<Stage> SenderRateLimitFactory::make(const ConfigValue&,
                                                    const StageContext& context) const {
    if (context.state == nullptr || !context.state->rate_limiter) return nullptr;
    return std::make_unique<SenderRateLimitStage>(*context.state->rate_limiter);
}

}  // namespace memolib::core
