#include <condition_variable>
#include <deque>
#include <mutex>
#include <random>
#include <thread>

#include <hiredis/hiredis.h>

#include "observability/logger.hpp"
#include "stages/rate_limiter.hpp"
#include "util/redis_link.hpp"

namespace memolib::core {

namespace {

// Drops what left the window, then adds this request only when the window has room, in one
// atomic step; answers {allowed, ms until the oldest request leaves}.
constexpr const char* kScript = R"lua(
local key = KEYS[1]
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
if redis.call('ZCARD', key) < limit then
  redis.call('ZADD', key, now, ARGV[4])
  redis.call('PEXPIRE', key, window)
  return {1, 0}
end
local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
return {0, tonumber(oldest[2]) + window - now}
)lua";

// The windows live in Redis, behind a circuit breaker (RedisLink); the script runs on a thread
// of its own so that a round trip never blocks an I/O thread.
class RedisRateLimiter final : public RateLimiter {
public:
    RedisRateLimiter(const std::string& url, std::uint64_t timeout_ms)
        : link_(url, timeout_ms, "rate_limit_redis",
                "requests are let through until Redis answers again") {
        std::random_device rd;
        instance_ = std::to_string(rd()) + std::to_string(rd());
        thread_ = std::thread([this] { run(); });
    }

    ~RedisRateLimiter() override {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            stopping_ = true;
        }
        cv_.notify_all();
        thread_.join();
    }

    bool synchronous() const override { return false; }

    void hit(const std::string& key, std::uint32_t limit, std::uint64_t window_ms,
             std::int64_t now_ms, Callback done) override {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            if (!stopping_) {
                queue_.push_back(Job{key, limit, window_ms, now_ms, std::move(done)});
                cv_.notify_one();
                return;
            }
        }
        done({});
    }

private:
    struct Job {
        std::string key;
        std::uint32_t limit;
        std::uint64_t window_ms;
        std::int64_t now_ms;
        Callback done;
    };

    void run() {
        for (;;) {
            Job job;
            {
                std::unique_lock<std::mutex> lock(mutex_);
                cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
                if (queue_.empty()) return;
                job = std::move(queue_.front());
                queue_.pop_front();
            }
            job.done(decide(job));
        }
    }

    // Let through (the default decision) whenever Redis does not answer.
    RateDecision decide(const Job& job) {
        const std::string member =
            std::to_string(job.now_ms) + "-" + instance_ + "-" + std::to_string(++sequence_);
        const std::string now = std::to_string(job.now_ms);
        const std::string window = std::to_string(job.window_ms);
        const std::string limit = std::to_string(job.limit);
        const char* argv[] = {"EVAL",      kScript,        "1",           job.key.c_str(),
                              now.c_str(), window.c_str(), limit.c_str(), member.c_str()};
        RateDecision decision;
        link_.run([&](redisContext* context, std::string& error) {
            RedisReply r(static_cast<redisReply*>(redisCommandArgv(context, 8, argv, nullptr)));
            if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
                error = r && r->str != nullptr ? r->str : "bad reply";
                return false;
            }
            decision.allowed = r->element[0]->integer == 1;
            const long long retry = r->element[1]->integer;
            decision.retry_after_ms =
                decision.allowed ? 0 : static_cast<std::uint64_t>(retry > 0 ? retry : 0);
            return true;
        });
        return decision;
    }

    RedisLink link_;
    std::string instance_;
    std::uint64_t sequence_ = 0;
    std::mutex mutex_;
    std::condition_variable cv_;
    std::deque<Job> queue_;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace

std::unique_ptr<RateLimiter> make_redis_rate_limiter(const std::string& url,
                                                     std::uint64_t timeout_ms) {
    return std::make_unique<RedisRateLimiter>(url, timeout_ms);
}

}  // namespace memolib::core
