#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <vector>

#include "util/sha256.hpp"

namespace memolib::core {

/// The dedup fast path: a bounded, thread-safe LRU map from a dedup key (its SHA-256 digest)
/// to the id of the row that holds it. Each entry is the digest, the id and two list links in
/// one flat array, found through an open-addressing table, so that the default 100,000 entries
/// cost a fraction of a node-based map of strings.
class DedupIndex {
public:
    /// `capacity` 0 disables the index.
    explicit DedupIndex(std::size_t capacity);

    std::optional<std::int64_t> get(const Sha256Digest& key);
    /// Inserts or refreshes `key`; evicts the least recently used entry when full.
    void put(const Sha256Digest& key, std::int64_t id);

    std::size_t size() const;
    std::uint64_t hits() const { return hits_; }
    std::uint64_t misses() const { return misses_; }
    std::uint64_t evictions() const { return evictions_; }

private:
    using Digest = Sha256Digest;
    static constexpr std::uint32_t kNone = 0xffffffffU;
    struct Node {
        Digest digest;
        std::int64_t id;
        std::uint32_t prev;
        std::uint32_t next;
    };

    std::size_t home(const Digest& d) const;
    /// The table slot holding `d`, or the empty slot where it would go.
    std::size_t find_slot(const Digest& d) const;
    void erase_slot(std::size_t slot);
    void unlink(std::uint32_t n);
    void push_front(std::uint32_t n);

    const std::size_t capacity_;
    mutable std::mutex mutex_;
    std::vector<Node> nodes_;
    /// Node index per slot; kNone when empty. Twice the capacity, rounded up to a power of 2.
    std::vector<std::uint32_t> table_;
    std::size_t mask_ = 0;
    std::uint32_t head_ = kNone;
    std::uint32_t tail_ = kNone;
    std::atomic<std::uint64_t> hits_{0};
    std::atomic<std::uint64_t> misses_{0};
    std::atomic<std::uint64_t> evictions_{0};
};

}  // namespace memolib::core
