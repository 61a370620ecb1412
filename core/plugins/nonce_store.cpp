#include "plugins/nonce_store.hpp"

#include <chrono>
#include <deque>
#include <mutex>
#include <unordered_map>

#include <hiredis/hiredis.h>

#include "observability/logger.hpp"
#include "stages/sha256.hpp"
#include "util/redis_url.hpp"

namespace memolib::core {

namespace {

// The key of a claim: SHA-256 of its scope and nonce, so that a long nonce costs no more
// memory than a short one and no two scopes share a claim.
std::string claim_key(std::string_view scope, std::string_view nonce) {
    const Sha256Digest digest = sha256({scope, std::string_view("\0", 1), nonce});
    return std::string(reinterpret_cast<const char*>(digest.data()), digest.size());
}

class MemoryNonceStore final : public NonceStore {
public:
    explicit MemoryNonceStore(std::size_t max_entries) : max_entries_(max_entries) {}

    Claim claim(std::string_view scope, std::string_view nonce, std::string_view body_digest,
                std::int64_t ttl_ms, std::int64_t now_ms) override {
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
    std::mutex mutex_;
    std::unordered_map<std::string, Entry> claims_;
    std::deque<std::pair<std::int64_t, std::string>> order_;
};

struct ReplyFree {
    void operator()(redisReply* r) const { freeReplyObject(r); }
};
using Reply = std::unique_ptr<redisReply, ReplyFree>;

class RedisNonceStore final : public NonceStore {
public:
    RedisNonceStore(const std::string& url, std::uint64_t timeout_ms)
        : address_(parse_redis_url(url)), timeout_ms_(timeout_ms) {}

    ~RedisNonceStore() override {
        if (context_ != nullptr) redisFree(context_);
    }

    Claim claim(std::string_view scope, std::string_view nonce, std::string_view body_digest,
                std::int64_t ttl_ms, std::int64_t) override {
        const std::string key =
            "memolib:nonce:" + to_hex(sha256({scope, std::string_view("\0", 1), nonce}));
        const std::string digest(body_digest);
        const std::string ttl = std::to_string(ttl_ms);
        std::lock_guard<std::mutex> lock(mutex_);
        if (context_ == nullptr && !connect()) return Claim::kUnknown;
        const char* set[] = {"SET", key.c_str(), digest.c_str(), "NX", "PX", ttl.c_str()};
        Reply r(static_cast<redisReply*>(redisCommandArgv(context_, 6, set, nullptr)));
        if (!r || (r->type != REDIS_REPLY_STATUS && r->type != REDIS_REPLY_NIL)) {
            return failed(r.get());
        }
        if (r->type == REDIS_REPLY_STATUS) return Claim::kNew;
        const char* get[] = {"GET", key.c_str()};
        Reply held(static_cast<redisReply*>(redisCommandArgv(context_, 2, get, nullptr)));
        if (!held || (held->type != REDIS_REPLY_STRING && held->type != REDIS_REPLY_NIL)) {
            return failed(held.get());
        }
        // Expired between the two commands: nobody holds it now, and this request is genuine
        // as far as the store can tell.
        if (held->type == REDIS_REPLY_NIL) return Claim::kNew;
        return std::string_view(held->str, held->len) == digest ? Claim::kSameBody
                                                                : Claim::kOtherBody;
    }

private:
    bool connect() {
        auto now = std::chrono::steady_clock::now();
        // While Redis is down every request would otherwise pay a connect timeout.
        if (now < next_attempt_) return false;
        next_attempt_ = now + std::chrono::seconds(1);
        timeval tv{static_cast<time_t>(timeout_ms_ / 1000),
                   static_cast<suseconds_t>((timeout_ms_ % 1000) * 1000)};
        redisContext* c = redisConnectWithTimeout(address_.host.c_str(), address_.port, tv);
        if (c == nullptr || c->err != 0) {
            report(c != nullptr ? c->errstr : "cannot allocate a context");
            if (c != nullptr) redisFree(c);
            return false;
        }
        redisSetTimeout(c, tv);
        if (address_.db != 0) {
            Reply r(static_cast<redisReply*>(redisCommand(c, "SELECT %d", address_.db)));
            if (!r || r->type == REDIS_REPLY_ERROR) {
                report("SELECT failed");
                redisFree(c);
                return false;
            }
        }
        context_ = c;
        if (!healthy_) log().info("nonce_store_redis_recovered", {{"host", address_.host}});
        healthy_ = true;
        return true;
    }

    Claim failed(const redisReply* r) {
        report(context_->err != 0 ? context_->errstr
                                  : (r != nullptr && r->str != nullptr ? r->str : "bad reply"));
        redisFree(context_);
        context_ = nullptr;
        return Claim::kUnknown;
    }

    void report(const std::string& error) {
        healthy_ = false;
        auto now = std::chrono::steady_clock::now();
        if (now - last_report_ < std::chrono::seconds(10)) return;
        last_report_ = now;
        log().warn("nonce_store_redis_unavailable",
                   {{"host", address_.host},
                    {"port", address_.port},
                    {"error", error},
                    {"effect", "replayed signatures are not detected until Redis answers again"}});
    }

    RedisAddress address_;
    std::uint64_t timeout_ms_;
    std::mutex mutex_;
    redisContext* context_ = nullptr;
    bool healthy_ = true;
    std::chrono::steady_clock::time_point next_attempt_{};
    std::chrono::steady_clock::time_point last_report_{};
};

}  // namespace

std::unique_ptr<NonceStore> make_memory_nonce_store(std::size_t max_entries) {
    return std::make_unique<MemoryNonceStore>(max_entries);
}

std::unique_ptr<NonceStore> make_redis_nonce_store(const std::string& url,
                                                   std::uint64_t timeout_ms) {
    return std::make_unique<RedisNonceStore>(url, timeout_ms);
}

}  // namespace memolib::core
