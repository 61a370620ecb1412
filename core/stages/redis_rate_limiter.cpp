#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <random>
#include <thread>

#include <hiredis/hiredis.h>

#include "observability/logger.hpp"
#include "stages/rate_limiter.hpp"
#include "util/redis_url.hpp"

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

struct ReplyFree {
    void operator()(redisReply* r) const { freeReplyObject(r); }
};
using Reply = std::unique_ptr<redisReply, ReplyFree>;

class RedisRateLimiter final : public RateLimiter {
public:
    RedisRateLimiter(const std::string& url, std::uint64_t timeout_ms)
        : address_(parse_redis_url(url)), timeout_ms_(timeout_ms) {
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
        if (context_ != nullptr) redisFree(context_);
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

    bool connect() {
        auto now = std::chrono::steady_clock::now();
        // While Redis is down every request would otherwise pay a connect timeout.
        if (now < next_attempt_) return false;
        next_attempt_ = now + std::chrono::seconds(1);
        timeval tv{static_cast<time_t>(timeout_ms_ / 1000),
                   static_cast<suseconds_t>((timeout_ms_ % 1000) * 1000)};
        redisContext* c = redisConnectWithTimeout(address_.host.c_str(), address_.port, tv);
        if (c == nullptr || c->err != 0) {
            report(c != nullptr ? c->errstr : "cannot allocate a context");
            if (c != nullptr) redisFree(c);
            return false;
        }
        redisSetTimeout(c, tv);
        if (address_.db != 0) {
            Reply r(static_cast<redisReply*>(redisCommand(c, "SELECT %d", address_.db)));
            if (!r || r->type == REDIS_REPLY_ERROR) {
                report("SELECT failed");
                redisFree(c);
                return false;
            }
        }
        context_ = c;
        if (!healthy_) log().info("rate_limit_redis_recovered", {{"host", address_.host}});
        healthy_ = true;
        return true;
    }

    RateDecision decide(const Job& job) {
        if (context_ == nullptr && !connect()) return {};
        std::string member =
            std::to_string(job.now_ms) + "-" + instance_ + "-" + std::to_string(++sequence_);
        std::string now = std::to_string(job.now_ms);
        std::string window = std::to_string(job.window_ms);
        std::string limit = std::to_string(job.limit);
        const char* argv[] = {"EVAL",      kScript,        "1",           job.key.c_str(),
                              now.c_str(), window.c_str(), limit.c_str(), member.c_str()};
        Reply r(static_cast<redisReply*>(redisCommandArgv(context_, 8, argv, nullptr)));
        if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
            report(context_->err != 0 ? context_->errstr
                                      : (r && r->str != nullptr ? r->str : "bad reply"));
            redisFree(context_);
            context_ = nullptr;
            return {};
        }
        const bool allowed = r->element[0]->integer == 1;
        const long long retry = r->element[1]->integer;
        return {allowed, allowed ? 0 : static_cast<std::uint64_t>(retry > 0 ? retry : 0)};
    }

    void report(const std::string& error) {
        healthy_ = false;
        auto now = std::chrono::steady_clock::now();
        if (now - last_report_ < std::chrono::seconds(10)) return;
        last_report_ = now;
        log().warn("rate_limit_redis_unavailable",
                   {{"host", address_.host},
                    {"port", address_.port},
                    {"error", error},
                    {"effect", "requests are let through until Redis answers again"}});
    }

    RedisAddress address_;
    std::uint64_t timeout_ms_;
    std::string instance_;
    std::uint64_t sequence_ = 0;
    redisContext* context_ = nullptr;
    bool healthy_ = true;
    std::chrono::steady_clock::time_point next_attempt_{};
    std::chrono::steady_clock::time_point last_report_{};
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
