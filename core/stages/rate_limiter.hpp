#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "util/clock.hpp"

namespace memolib::core {

/// One sliding-window decision.
struct RateDecision {
    bool allowed = true;
    /// When refused: milliseconds until the oldest request of the window leaves it.
    std::uint64_t retry_after_ms = 0;
};

/// Counts requests per key in a sliding window. Implementations are thread-safe.
class RateLimiter {
public:
    using Callback = std::function<void(RateDecision)>;
    virtual ~RateLimiter() = default;
    /// True when hit() answers before returning (no I/O): it may then run on an I/O thread.
    virtual bool synchronous() const = 0;
    /// Records a request for `key` when fewer than `limit` were recorded in the last `window_ms`
    /// and calls `done` with the decision, possibly on another thread. `now_ms` is the wall
    /// clock, for a backend whose windows several hosts share; one of a single process reads
    /// its own steady clock instead.
    virtual void hit(const std::string& key, std::uint32_t limit, std::uint64_t window_ms,
                     std::int64_t now_ms, Callback done) = 0;
};

/// The in-memory backend (one gateway instance): an exact sliding log per key (the times of
/// the requests it let through in its window, never more than the limit). A key goes once its
/// window has passed; at most `max_keys` keys are held, and past the cap the key hit least
/// recently makes room, so the keys in use keep their counts and a new key is counted too.
/// Its windows are `clock`'s, so that a step of the wall clock neither refuses a key for the
/// step's length nor frees it early.
class MemoryRateLimiter final : public RateLimiter {
public:
    explicit MemoryRateLimiter(std::size_t max_keys = 100000, Clock& clock = real_clock());
    ~MemoryRateLimiter() override;
    MemoryRateLimiter(const MemoryRateLimiter&) = delete;
    MemoryRateLimiter& operator=(const MemoryRateLimiter&) = delete;

    bool synchronous() const override { return true; }
    /// Ignores `now_ms`: the window is the steady clock's.
    void hit(const std::string& key, std::uint32_t limit, std::uint64_t window_ms,
             std::int64_t now_ms, Callback done) override;
    /// Keys held. Expired keys are dropped from the shard a request touches, and from every
    /// shard by the first request of each second.
    std::size_t size() const;

private:
    class Impl;
    std::unique_ptr<Impl> impl_;
    Clock& clock_;
};

std::unique_ptr<RateLimiter> make_memory_rate_limiter(std::size_t max_keys = 100000,
                                                      Clock& clock = real_clock());

/// The Redis backend (windows shared by several instances): a sorted set per key, updated by
/// one Lua script so that check-and-add is atomic, on a dedicated thread. When a command fails
/// or times out, that request is let through (fail open) and so is every request after it, at
/// once, until a background probe, trying once a second, got an answer from Redis again: one
/// log line when it fails, one when it answers. A rate limiter must not take the gateway down.
std::unique_ptr<RateLimiter> make_redis_rate_limiter(const std::string& url,
                                                     std::uint64_t timeout_ms);

}  // namespace memolib::core
