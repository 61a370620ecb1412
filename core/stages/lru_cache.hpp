#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

namespace memolib::core {

/// A bounded, thread-safe LRU map from string keys to values, with an optional time to live.
/// The replay cache's store; counts hits, misses and evictions.
template <class Value>
class LruCache {
public:
    using Clock = std::chrono::steady_clock;

    /// `capacity` 0 disables the cache; `ttl` 0 means entries never expire.
    LruCache(std::size_t capacity, std::chrono::milliseconds ttl)
        : capacity_(capacity), ttl_(ttl) {}

    std::optional<Value> get(const std::string& key) {
        std::lock_guard<std::mutex> lock(mutex_);
        auto it = index_.find(key);
        if (it == index_.end()) {
            ++misses_;
            return std::nullopt;
        }
        if (ttl_.count() > 0 && Clock::now() - it->second->stored > ttl_) {
            entries_.erase(it->second);
            index_.erase(it);
            ++evictions_;
            ++misses_;
            return std::nullopt;
        }
        entries_.splice(entries_.begin(), entries_, it->second);
        ++hits_;
        return it->second->value;
    }

    void put(const std::string& key, Value value) {
        if (capacity_ == 0) return;
        std::lock_guard<std::mutex> lock(mutex_);
        auto it = index_.find(key);
        if (it != index_.end()) {
            it->second->value = std::move(value);
            it->second->stored = Clock::now();
            entries_.splice(entries_.begin(), entries_, it->second);
            return;
        }
        entries_.push_front(Entry{key, std::move(value), Clock::now()});
        index_.emplace(key, entries_.begin());
        if (entries_.size() > capacity_) {
            index_.erase(entries_.back().key);
            entries_.pop_back();
            ++evictions_;
        }
    }

    std::size_t size() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return entries_.size();
    }
    std::uint64_t hits() const { return hits_; }
    std::uint64_t misses() const { return misses_; }
    std::uint64_t evictions() const { return evictions_; }

private:
    struct Entry {
        std::string key;
        Value value;
        Clock::time_point stored;
    };

    const std::size_t capacity_;
    const std::chrono::milliseconds ttl_;
    mutable std::mutex mutex_;
    std::list<Entry> entries_;
    std::unordered_map<std::string, typename std::list<Entry>::iterator> index_;
    std::atomic<std::uint64_t> hits_{0};
    std::atomic<std::uint64_t> misses_{0};
    std::atomic<std::uint64_t> evictions_{0};
};

}  // namespace memolib::core
