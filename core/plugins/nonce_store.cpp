#include "plugins/nonce_store.hpp"

#include <chrono>
#include <deque>
#include <mutex>
#include <unordered_map>

#include <hiredis/hiredis.h>

#include "observability/logger.hpp"
#include "util/redis_link.hpp"
#include "util/sha256.hpp"

namespace memolib::core {

namespace {

// A claim is known by SHA-256 of its scope and nonce, so that a long nonce costs no more
// memory than a short one and no two scopes share a claim.
Sha256Digest claim_digest(std::string_view scope, std::string_view nonce) {
    return sha256({scope, std::string_view("\0", 1), nonce});
}

std::string claim_key(std::string_view scope, std::string_view nonce) {
    const Sha256Digest digest = claim_digest(scope, nonce);
    return std::string(reinterpret_cast<const char*>(digest.data()), digest.size());
}

class MemoryNonceStore final : public NonceStore {
public:
    MemoryNonceStore(std::size_t max_entries, Clock& clock)
        : max_entries_(max_entries), clock_(clock) {}

    Claim claim(std::string_view scope, std::string_view nonce, std::string_view body_digest,
                std::int64_t ttl_ms) override {
        const std::int64_t now_ms = clock_.now_ms();
        std::string key = claim_key(scope, nonce);
        std::lock_guard<std::mutex> lock(mutex_);
        drop_expired(now_ms);
        auto it = claims_.find(key);
        if (it != claims_.end() && it->second.expires_at_ms > now_ms) {
            return it->second.body_digest == body_digest ? Claim::kSameBody : Claim::kOtherBody;
        }
        // Full of unexpired claims: the oldest goes, since only signed requests claim at all.
        while (claims_.size() >= max_entries_ && !order_.empty()) drop_front();
        const std::int64_t expires = now_ms + ttl_ms;
        claims_[key] = Entry{std::string(body_digest), expires};
        order_.emplace_back(expires, std::move(key));
        return Claim::kNew;
    }

private:
    struct Entry {
        std::string body_digest;
        std::int64_t expires_at_ms;
    };

    // Claims leave in the order they came; one whose TTL is longer than a later one's stays
    // until it is at the front (it is expired when looked up all the same).
    void drop_expired(std::int64_t now_ms) {
        while (!order_.empty() && order_.front().first <= now_ms) drop_front();
    }

    void drop_front() {
        auto it = claims_.find(order_.front().second);
        // The entry may be a newer claim of the same key, made after this one expired.
        if (it != claims_.end() && it->second.expires_at_ms == order_.front().first) {
            claims_.erase(it);
        }
        order_.pop_front();
    }

    const std::size_t max_entries_;
    Clock& clock_;
    std::mutex mutex_;
    std::unordered_map<std::string, Entry> claims_;
    std::deque<std::pair<std::int64_t, std::string>> order_;
};

// Claims shared by every instance, behind a circuit breaker (RedisLink): while Redis fails,
// a claim is unknown at once instead of each request waiting for a timeout on its I/O thread.
class RedisNonceStore final : public NonceStore {
public:
    RedisNonceStore(const std::string& url, std::uint64_t timeout_ms)
        : link_(url, timeout_ms, "nonce_store_redis",
                "replayed signatures are not detected until Redis answers again") {}

    Claim claim(std::string_view scope, std::string_view nonce, std::string_view body_digest,
                std::int64_t ttl_ms) override {
        const std::string key = "memolib:nonce:" + to_hex(claim_digest(scope, nonce));
        const std::string digest(body_digest);
        const std::string ttl = std::to_string(ttl_ms);
        Claim claim = Claim::kUnknown;
        link_.run([&](redisContext* context, std::string& error) {
            const char* set[] = {"SET", key.c_str(), digest.c_str(), "NX", "PX", ttl.c_str()};
            RedisReply r(static_cast<redisReply*>(redisCommandArgv(context, 6, set, nullptr)));
            if (!r || (r->type != REDIS_REPLY_STATUS && r->type != REDIS_REPLY_NIL)) {
                error = r && r->str != nullptr ? r->str : "bad reply";
                return false;
            }
            if (r->type == REDIS_REPLY_STATUS) {
                claim = Claim::kNew;
                return true;
            }
            const char* get[] = {"GET", key.c_str()};
            RedisReply held(static_cast<redisReply*>(redisCommandArgv(context, 2, get, nullptr)));
            if (!held || (held->type != REDIS_REPLY_STRING && held->type != REDIS_REPLY_NIL)) {
                error = held && held->str != nullptr ? held->str : "bad reply";
                return false;
            }
            // Expired between the two commands: nobody holds it now, and this request is
            // genuine as far as the store can tell.
            if (held->type == REDIS_REPLY_NIL)
                claim = Claim::kNew;
            else
                claim = std::string_view(held->str, held->len) == digest ? Claim::kSameBody
                                                                         : Claim::kOtherBody;
            return true;
        });
        return claim;
    }

private:
    RedisLink link_;
};

}  // namespace

std::unique_ptr<NonceStore> make_memory_nonce_store(std::size_t max_entries, Clock& clock) {
    return std::make_unique<MemoryNonceStore>(max_entries, clock);
}

std::unique_ptr<NonceStore> make_redis_nonce_store(const std::string& url,
                                                   std::uint64_t timeout_ms) {
    return std::make_unique<RedisNonceStore>(url, timeout_ms);
}

}  // namespace memolib::core
