#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "util/redis_url.hpp"

struct redisContext;
struct redisReply;

namespace memolib::core {

struct RedisReplyFree {
    void operator()(redisReply* reply) const;
};
/// A hiredis reply, freed with it.
using RedisReply = std::unique_ptr<redisReply, RedisReplyFree>;

/// One Redis connection behind a circuit breaker, for the features that fail open (the rate
/// limiter, the signature nonces). While Redis fails — down, or hung: a stopped server still
/// accepts connections and never answers — callers are let through at once without touching
/// it, and a thread of its own tries a new connection once a second, handed over only after
/// Redis answered a command on it. One `<event>_unavailable` line per outage, one
/// `<event>_recovered` line when it ends.
class RedisLink {
public:
    /// A command on a live connection: true when Redis answered as expected, else false with
    /// `error` set (the breaker then opens).
    using Command = std::function<bool(redisContext* context, std::string& error)>;

    /// `event` names the log lines ("rate_limit_redis"); `effect` says what an outage means.
    RedisLink(const std::string& url, std::uint64_t timeout_ms, std::string event,
              std::string effect);
    ~RedisLink();
    RedisLink(const RedisLink&) = delete;
    RedisLink& operator=(const RedisLink&) = delete;

    /// Runs `command` under the link's lock; false without running it while the breaker is
    /// open, or when it failed (which opens the breaker).
    bool run(const Command& command);

private:
    redisContext* open_connection(std::string& error) const;
    void probe();
    void trip(const std::string& error);

    RedisAddress address_;
    std::uint64_t timeout_ms_;
    std::string event_;
    std::string effect_;
    /// Serializes commands on `context_`.
    std::mutex command_mutex_;
    redisContext* context_ = nullptr;
    /// Guards the breaker: open (callers go through without Redis), the connection the probe
    /// made for the next command to take, and stopping.
    std::mutex mutex_;
    std::condition_variable probe_cv_;
    bool open_ = false;
    redisContext* spare_ = nullptr;
    bool stopping_ = false;
    std::thread prober_;
};

}  // namespace memolib::core
