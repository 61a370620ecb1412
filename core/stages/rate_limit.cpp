#include <algorithm>

#include "stages/rate_limiter.hpp"
#include "stages/stages.hpp"

namespace memolib::core {

namespace {

// A sliding window per channel and key. `ip` and `channel` keys are counted before the body
// is read (memory backend) or right after it (Redis, whose round trip must not block an I/O
// thread); `sender` keys once parse has named the sender.
class RateLimitStage final : public Stage {
public:
    explicit RateLimitStage(RateLimiter& limiter) : limiter_(limiter) {}
    const char* name() const override { return "rate_limit"; }
    bool wants_after_parse() const override { return true; }

    StageResult on_headers(Exchange& ex) const override {
        const ChannelConfig& c = ex.channel->config;
        if (!limiter_.synchronous() || c.rate_key == "sender" || c.rate_requests == 0) {
            return StageResult::kContinue;
        }
        StageResult result = StageResult::kContinue;
        limiter_.hit(key_for(ex, ""), c.rate_requests, c.rate_window_ms, ex.received_at_ms,
                     [&](RateDecision d) { result = apply(ex, d); });
        return result;
    }

    StageResult process(Exchange& ex, const Resume& resume) const override {
        const ChannelConfig& c = ex.channel->config;
        if (limiter_.synchronous() || c.rate_key == "sender" || c.rate_requests == 0) {
            return StageResult::kContinue;
        }
        return check_async(ex, key_for(ex, ""), resume);
    }

    StageResult after_parse(Exchange& ex, const Resume& resume) const override {
        const ChannelConfig& c = ex.channel->config;
        if (c.rate_key != "sender" || c.rate_requests == 0 || ex.messages.empty()) {
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
        return check_async(ex, key_for(ex, senders.front()), resume);
    }

private:
    static std::string key_for(const Exchange& ex, const std::string& sender) {
        const ChannelConfig& c = ex.channel->config;
        // A dry run is a developer's tool: it has a budget of its own, so that trying a
        // payload neither spends nor is refused by the channel's real one.
        std::string key =
            "memolib:rl:" + c.name + (ex.dry_run ? ":dry_run:" : ":") + c.rate_key + ":";
        if (c.rate_key == "ip")
            key += ex.remote_address;
        else if (c.rate_key == "sender")
            key += sender;
        return key;
    }

    static StageResult apply(Exchange& ex, RateDecision d) {
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

    StageResult check_async(Exchange& ex, const std::string& key, const Resume& resume) const {
        const ChannelConfig& c = ex.channel->config;
        auto owner = std::make_shared<Resume>(resume);
        Exchange* exp = &ex;
        limiter_.hit(key, c.rate_requests, c.rate_window_ms, ex.received_at_ms,
                     [owner, exp](RateDecision d) {
                         auto finish = [owner, exp, d] { (*owner)(apply(*exp, d)); };
                         if (exp->dispatch)
                             exp->dispatch(finish);
                         else
                             finish();
                     });
        return StageResult::kSuspend;
    }

    RateLimiter& limiter_;
};

}  // namespace

std::unique_ptr<Stage> make_rate_limit_stage(RateLimiter& limiter) {
    return std::make_unique<RateLimitStage>(limiter);
}

}  // namespace memolib::core
