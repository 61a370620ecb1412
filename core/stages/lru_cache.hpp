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

#include "util/clock.hpp"

namespace memolib::core {

/// A bounded, thread-safe LRU map from string keys to values, with an optional time to live.
/// The replay cache's store; counts hits, misses and evictions.
template <class Value>
class LruCache {
public:
    /// `capacity` 0 disables the cache; `ttl` 0 means entries never expire. An entry is
    /// answered while at most `ttl` has passed since it was last stored.
    LruCache(std::size_t capacity, std::chrono::milliseconds ttl, Clock& clock = real_clock())
        : capacity_(capacity), ttl_(ttl.count()), clock_(clock) {}

    std::optional<Value> get(const std::string& key) {
        std::lock_guard<std::mutex> lock(mutex_);
        auto it = index_.find(key);
        if (it == index_.end()) {
            ++misses_;
            return std::nullopt;
        }
        if (ttl_ > 0 && clock_.now_ms() - it->second->stored_ms > ttl_) {
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
            it->second->stored_ms = clock_.now_ms();
            entries_.splice(entries_.begin(), entries_, it->second);
            return;
        }
        entries_.push_front(Entry{key, std::move(value), clock_.now_ms()});
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
        std::int64_t stored_ms;
    };

    const std::size_t capacity_;
    const std::int64_t ttl_;
    Clock& clock_;
    mutable std::mutex mutex_;
    std::list<Entry> entries_;
    std::unordered_map<std::string, typename std::list<Entry>::iterator> index_;
    std::atomic<std::uint64_t> hits_{0};
    std::atomic<std::uint64_t> misses_{0};
    std::atomic<std::uint64_t> evictions_{0};
};

}  // namespace memolib::core
