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

// A circuit breaker around one connection: while Redis fails (down, or hung: a stopped server
// still accepts connections and never answers), requests are let through at once without
// touching it, and a thread of its own tries a new connection once a second, which is handed
// over only after Redis answered a command on it.
class RedisRateLimiter final : public RateLimiter {
public:
    RedisRateLimiter(const std::string& url, std::uint64_t timeout_ms)
        : address_(parse_redis_url(url)), timeout_ms_(timeout_ms) {
        std::random_device rd;
        instance_ = std::to_string(rd()) + std::to_string(rd());
        std::string error;
        context_ = open_connection(error);
        if (context_ == nullptr) trip(error);
        thread_ = std::thread([this] { run(); });
        prober_ = std::thread([this] { probe(); });
    }

    ~RedisRateLimiter() override {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            stopping_ = true;
        }
        cv_.notify_all();
        probe_cv_.notify_all();
        thread_.join();
        prober_.join();
        if (context_ != nullptr) redisFree(context_);
        if (spare_ != nullptr) redisFree(spare_);
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

    // A connection on which Redis answered PING, or nullptr with `error` set.
    redisContext* open_connection(std::string& error) const {
        timeval tv{static_cast<time_t>(timeout_ms_ / 1000),
                   static_cast<suseconds_t>((timeout_ms_ % 1000) * 1000)};
        redisContext* c = redisConnectWithTimeout(address_.host.c_str(), address_.port, tv);
        if (c == nullptr || c->err != 0) {
            error = c != nullptr ? c->errstr : "cannot allocate a context";
            if (c != nullptr) redisFree(c);
            return nullptr;
        }
        redisSetTimeout(c, tv);
        Reply r(static_cast<redisReply*>(address_.db != 0
                                             ? redisCommand(c, "SELECT %d", address_.db)
                                             : redisCommand(c, "PING")));
        if (!r || r->type == REDIS_REPLY_ERROR) {
            error = c->err != 0 ? c->errstr : (r && r->str != nullptr ? r->str : "no reply");
            redisFree(c);
            return nullptr;
        }
        return c;
    }

    // The breaker's probe: while it is open, a new connection once a second.
    void probe() {
        std::unique_lock<std::mutex> lock(mutex_);
        for (;;) {
            probe_cv_.wait(lock, [&] { return stopping_ || open_; });
            if (probe_cv_.wait_for(lock, std::chrono::seconds(1), [&] { return stopping_; }))
                return;
            lock.unlock();
            std::string error;
            redisContext* c = open_connection(error);
            lock.lock();
            if (c == nullptr) continue;
            if (stopping_) {
                redisFree(c);
                return;
            }
            spare_ = c;
            open_ = false;
            log().info("rate_limit_redis_recovered",
                       {{"host", address_.host}, {"port", address_.port}});
        }
    }

    // Opens the breaker: one log line, then requests go through until the probe reconnects.
    void trip(const std::string& error) {
        std::lock_guard<std::mutex> lock(mutex_);
        if (open_) return;
        open_ = true;
        log().warn("rate_limit_redis_unavailable",
                   {{"host", address_.host},
                    {"port", address_.port},
                    {"error", error},
                    {"effect", "requests are let through until Redis answers again"}});
        probe_cv_.notify_all();
    }

    RateDecision decide(const Job& job) {
        if (context_ == nullptr) {
            std::lock_guard<std::mutex> lock(mutex_);
            context_ = spare_;
            spare_ = nullptr;
        }
        if (context_ == nullptr) return {};
        std::string member =
            std::to_string(job.now_ms) + "-" + instance_ + "-" + std::to_string(++sequence_);
        std::string now = std::to_string(job.now_ms);
        std::string window = std::to_string(job.window_ms);
        std::string limit = std::to_string(job.limit);
        const char* argv[] = {"EVAL",      kScript,        "1",           job.key.c_str(),
                              now.c_str(), window.c_str(), limit.c_str(), member.c_str()};
        Reply r(static_cast<redisReply*>(redisCommandArgv(context_, 8, argv, nullptr)));
        if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
            const std::string error = context_->err != 0
                                          ? context_->errstr
                                          : (r && r->str != nullptr ? r->str : "bad reply");
            redisFree(context_);
            context_ = nullptr;
            trip(error);
            return {};
        }
        const bool allowed = r->element[0]->integer == 1;
        const long long retry = r->element[1]->integer;
        return {allowed, allowed ? 0 : static_cast<std::uint64_t>(retry > 0 ? retry : 0)};
    }

    RedisAddress address_;
    std::uint64_t timeout_ms_;
    std::string instance_;
    std::uint64_t sequence_ = 0;
    /// The worker thread's connection.
    redisContext* context_ = nullptr;
    std::mutex mutex_;
    std::condition_variable cv_;
    std::condition_variable probe_cv_;
    std::deque<Job> queue_;
    /// Guarded by mutex_: the breaker is open (requests go through without Redis), and the
    /// connection the probe made for the worker to take.
    bool open_ = false;
    redisContext* spare_ = nullptr;
    bool stopping_ = false;
    std::thread thread_;
    std::thread prober_;
};

}  // namespace

std::unique_ptr<RateLimiter> make_redis_rate_limiter(const std::string& url,
                                                     std::uint64_t timeout_ms) {
    return std::make_unique<RedisRateLimiter>(url, timeout_ms);
}

}  // namespace memolib::core
