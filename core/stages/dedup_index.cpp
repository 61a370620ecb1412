#include "stages/dedup_index.hpp"

#include <cstring>

namespace memolib::core {

DedupIndex::DedupIndex(std::size_t capacity) : capacity_(capacity) {
    if (capacity_ == 0) return;
    std::size_t slots = 16;
    while (slots < capacity_ * 2) slots <<= 1;
    table_.assign(slots, kNone);
    mask_ = slots - 1;
}

std::size_t DedupIndex::home(const Digest& d) const {
    // A SHA-256 digest is already uniform: its first bytes are the hash.
    std::uint64_t h = 0;
    std::memcpy(&h, d.data(), sizeof h);
    return static_cast<std::size_t>(h) & mask_;
}

std::size_t DedupIndex::find_slot(const Digest& d) const {
    std::size_t slot = home(d);
    while (table_[slot] != kNone && nodes_[table_[slot]].digest != d) slot = (slot + 1) & mask_;
    return slot;
}

void DedupIndex::erase_slot(std::size_t slot) {
    // Backward-shift deletion keeps every probe chain unbroken without tombstones.
    std::size_t hole = slot;
    for (std::size_t next = (hole + 1) & mask_; table_[next] != kNone; next = (next + 1) & mask_) {
        std::size_t want = home(nodes_[table_[next]].digest);
        bool stays = hole <= next ? (hole < want && want <= next) : (hole < want || want <= next);
        if (stays) continue;
        table_[hole] = table_[next];
        hole = next;
    }
    table_[hole] = kNone;
}

void DedupIndex::unlink(std::uint32_t n) {
    Node& node = nodes_[n];
    if (node.prev != kNone)
        nodes_[node.prev].next = node.next;
    else
        head_ = node.next;
    if (node.next != kNone)
        nodes_[node.next].prev = node.prev;
    else
        tail_ = node.prev;
}

void DedupIndex::push_front(std::uint32_t n) {
    nodes_[n].prev = kNone;
    nodes_[n].next = head_;
    if (head_ != kNone) nodes_[head_].prev = n;
    head_ = n;
    if (tail_ == kNone) tail_ = n;
}

std::optional<std::int64_t> DedupIndex::get(const Digest& d) {
    if (capacity_ == 0) {
        ++misses_;
        return std::nullopt;
    }
    std::lock_guard<std::mutex> lock(mutex_);
    std::uint32_t n = table_[find_slot(d)];
    if (n == kNone) {
        ++misses_;
        return std::nullopt;
    }
    if (head_ != n) {
        unlink(n);
        push_front(n);
    }
    ++hits_;
    return nodes_[n].id;
}

void DedupIndex::put(const Digest& d, std::int64_t id) {
    if (capacity_ == 0) return;
    std::lock_guard<std::mutex> lock(mutex_);
    std::size_t slot = find_slot(d);
    std::uint32_t n = table_[slot];
    if (n != kNone) {
        nodes_[n].id = id;
        if (head_ != n) {
            unlink(n);
            push_front(n);
        }
        return;
    }
    if (nodes_.size() < capacity_) {
        n = static_cast<std::uint32_t>(nodes_.size());
        nodes_.push_back(Node{d, id, kNone, kNone});
    } else {
        // Full: the least recently used node is reused for the new key.
        n = tail_;
        unlink(n);
        erase_slot(find_slot(nodes_[n].digest));
        nodes_[n].digest = d;
        nodes_[n].id = id;
        ++evictions_;
        slot = find_slot(d);
    }
    table_[slot] = n;
    push_front(n);
}

std::size_t DedupIndex::size() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return nodes_.size();
}

}  // namespace memolib::core
