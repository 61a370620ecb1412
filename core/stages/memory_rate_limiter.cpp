#include <array>
#include <deque>
#include <mutex>
#include <unordered_map>

#include "stages/rate_limiter.hpp"

namespace memolib::core {

namespace {

class MemoryRateLimiter final : public RateLimiter {
public:
    explicit MemoryRateLimiter(std::size_t max_keys)
        : max_keys_per_shard_(max_keys / kShards + 1) {}

    bool synchronous() const override { return true; }

    void hit(const std::string& key, std::uint32_t limit, std::uint64_t window_ms,
             std::int64_t now_ms, Callback done) override {
        done(decide(key, limit, static_cast<std::int64_t>(window_ms), now_ms));
    }

private:
    static constexpr std::size_t kShards = 16;
    struct Shard {
        std::mutex mutex;
        std::unordered_map<std::string, std::deque<std::int64_t>> windows;
    };

    RateDecision decide(const std::string& key, std::uint32_t limit, std::int64_t window,
                        std::int64_t now) {
        Shard& shard = shards_[std::hash<std::string>{}(key) % kShards];
        std::lock_guard<std::mutex> lock(shard.mutex);
        auto it = shard.windows.find(key);
        if (it == shard.windows.end()) {
            if (shard.windows.size() >= max_keys_per_shard_) sweep(shard, window, now);
            // Past the cap an attacker would evict honest keys: letting the new key through
            // keeps the limits of everyone already counted.
            if (shard.windows.size() >= max_keys_per_shard_) return {};
            it = shard.windows.emplace(key, std::deque<std::int64_t>{}).first;
        }
        std::deque<std::int64_t>& log = it->second;
        while (!log.empty() && log.front() <= now - window) log.pop_front();
        if (log.size() < limit) {
            log.push_back(now);
            return {};
        }
        return {false, static_cast<std::uint64_t>(log.front() + window - now)};
    }

    static void sweep(Shard& shard, std::int64_t window, std::int64_t now) {
        for (auto it = shard.windows.begin(); it != shard.windows.end();) {
            if (it->second.empty() || it->second.back() <= now - window)
                it = shard.windows.erase(it);
            else
                ++it;
        }
    }

    const std::size_t max_keys_per_shard_;
    std::array<Shard, kShards> shards_;
};

}  // namespace

std::unique_ptr<RateLimiter> make_memory_rate_limiter(std::size_t max_keys) {
    return std::make_unique<MemoryRateLimiter>(max_keys);
}

}  // namespace memolib::core
