#include <algorithm>
#include <array>
#include <atomic>
#include <map>
#include <mutex>
#include <unordered_map>
#include <vector>

#include <boost/intrusive/list.hpp>

#include "stages/rate_limiter.hpp"

namespace memolib::core {

namespace {

namespace bi = boost::intrusive;

// Keys whose window has passed are dropped from every shard at most this often, besides the
// shard each request touches.
constexpr std::int64_t kSweepEveryMs = 1000;
constexpr std::size_t kShards = 16;

// One key's exact sliding log: the times of the requests it let through in its window, oldest
// first, never more than the limit.
struct KeyWindow {
    bi::list_member_hook<bi::link_mode<bi::auto_unlink>> hook;
    const std::string* key = nullptr;
    std::int64_t window_ms = 0;
    std::int64_t last_hit_ms = 0;
    std::vector<std::int64_t> times;

    bool expired(std::int64_t now) const {
        return times.empty() || times.back() <= now - window_ms;
    }
};

// Keys of one window length, least recently hit first.
using RecencyList =
    bi::list<KeyWindow, bi::member_hook<KeyWindow, decltype(KeyWindow::hook), &KeyWindow::hook>,
             bi::constant_time_size<false>>;

struct Shard {
    std::mutex mutex;
    std::unordered_map<std::string, KeyWindow> keys;
    // One list per window length (one per channel configuration): the front of each is the
    // key that leaves its window first, so expiring costs only the keys that expired.
    std::map<std::int64_t, RecencyList> by_window;

    void erase(KeyWindow& entry) { keys.erase(keys.find(*entry.key)); }

    void expire(std::int64_t now) {
        for (auto it = by_window.begin(); it != by_window.end();) {
            RecencyList& list = it->second;
            while (!list.empty() && list.front().expired(now)) erase(list.front());
            it = list.empty() ? by_window.erase(it) : std::next(it);
        }
    }

    // The key hit least recently, whatever its window, makes room for a new one.
    void evict_least_recent() {
        KeyWindow* oldest = nullptr;
        for (auto& [window, list] : by_window) {
            if (!list.empty() &&
                (oldest == nullptr || list.front().last_hit_ms < oldest->last_hit_ms))
                oldest = &list.front();
        }
        if (oldest != nullptr) erase(*oldest);
    }

    void touch(KeyWindow& entry, std::int64_t window, std::int64_t now) {
        entry.hook.unlink();
        entry.window_ms = window;
        entry.last_hit_ms = now;
        by_window[window].push_back(entry);
    }
};

}  // namespace

class MemoryRateLimiter::Impl {
public:
    explicit Impl(std::size_t max_keys)
        : max_keys_per_shard_(std::max<std::size_t>(1, (max_keys + kShards - 1) / kShards)) {}

    RateDecision decide(const std::string& key, std::uint32_t limit, std::int64_t window,
                        std::int64_t now) {
        if (limit == 0) return {};
        sweep_if_due(now);
        Shard& shard = shards_[std::hash<std::string>{}(key) % kShards];
        std::lock_guard<std::mutex> lock(shard.mutex);
        shard.expire(now);
        auto it = shard.keys.find(key);
        if (it == shard.keys.end()) {
            // Every key held is in its window: an attacker's one-shot keys are the ones hit
            // least recently, so the keys in use keep their counts and the new key is counted.
            if (shard.keys.size() >= max_keys_per_shard_) shard.evict_least_recent();
            it = shard.keys.try_emplace(key).first;
            it->second.key = &it->first;
        }
        KeyWindow& entry = it->second;
        shard.touch(entry, window, now);
        std::vector<std::int64_t>& times = entry.times;
        times.erase(times.begin(), std::find_if(times.begin(), times.end(),
                                                [&](std::int64_t t) { return t > now - window; }));
        if (times.size() < limit) {
            times.push_back(now);
            return {};
        }
        return {false, static_cast<std::uint64_t>(times.front() + window - now)};
    }

    std::size_t size() {
        std::size_t n = 0;
        for (Shard& shard : shards_) {
            std::lock_guard<std::mutex> lock(shard.mutex);
            n += shard.keys.size();
        }
        return n;
    }

private:
    // The shards no request touches would keep their expired keys: once a second, one request
    // expires them all. Its cost is the keys that expired, each freed once.
    void sweep_if_due(std::int64_t now) {
        std::int64_t due = next_sweep_ms_.load(std::memory_order_relaxed);
        if (now < due || !next_sweep_ms_.compare_exchange_strong(due, now + kSweepEveryMs,
                                                                 std::memory_order_relaxed))
            return;
        for (Shard& shard : shards_) {
            std::lock_guard<std::mutex> lock(shard.mutex);
            shard.expire(now);
        }
    }

    const std::size_t max_keys_per_shard_;
    std::array<Shard, kShards> shards_;
    std::atomic<std::int64_t> next_sweep_ms_{0};
};

MemoryRateLimiter::MemoryRateLimiter(std::size_t max_keys, Clock& clock)
    : impl_(std::make_unique<Impl>(max_keys)), clock_(clock) {}

MemoryRateLimiter::~MemoryRateLimiter() = default;

void MemoryRateLimiter::hit(const std::string& key, std::uint32_t limit, std::uint64_t window_ms,
                            std::int64_t, Callback done) {
    done(impl_->decide(key, limit, static_cast<std::int64_t>(window_ms), clock_.now_ms()));
}

std::size_t MemoryRateLimiter::size() const { return impl_->size(); }

std::unique_ptr<RateLimiter> make_memory_rate_limiter(std::size_t max_keys, Clock& clock) {
    return std::make_unique<MemoryRateLimiter>(max_keys, clock);
}

}  // namespace memolib::core
