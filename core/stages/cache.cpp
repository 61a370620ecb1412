#include <algorithm>

#include "stages/stages.hpp"

namespace memolib::core {

namespace {

// The fingerprint of a request: its channel and the sorted dedup keys of its messages, so a
// provider's retry of the same webhook finds the first answer whatever the order inside.
std::string fingerprint(const Exchange& ex) {
    std::vector<std::string> keys;
    keys.reserve(ex.messages.size());
    for (const NormalizedMessage& m : ex.messages) keys.push_back(m.dedup_key);
    std::sort(keys.begin(), keys.end());
    std::string out = ex.channel ? ex.channel->config.name : std::string();
    for (const std::string& k : keys) out += ":" + k;
    return out;
}

// Idempotent replay: a request whose messages were all stored by an earlier request in the
// last `ttl` gets that request's answer again, without touching the database.
class CacheStage final : public Stage {
public:
    explicit CacheStage(LruCache<CachedAnswer>& cache) : cache_(cache) {}
    const char* name() const override { return "cache"; }

    StageResult process(Exchange& ex, const Resume&) const override {
        if (ex.dry_run || ex.messages.empty()) return StageResult::kContinue;
        ex.cache_checked = true;
        auto hit = cache_.get(fingerprint(ex));
        if (!hit) return StageResult::kContinue;
        ex.status = hit->status;
        ex.reason = "replayed";
        ex.replayed = true;
        ex.messages_json = hit->messages_json;
        ex.response_content_type = "application/json";
        ex.response_body = R"({"status":"stored","request_id":")" + ex.request_id +
                           R"(","replayed":true,"messages":)" + hit->messages_json + "}";
        ex.response_headers.emplace_back("X-Idempotent-Replay", "true");
        return StageResult::kRespond;
    }

    void on_complete(const Exchange& ex) const override {
        const bool stored_any =
            std::any_of(ex.messages.begin(), ex.messages.end(), [](const NormalizedMessage& m) {
                return m.status == NormalizedMessage::Status::kStored;
            });
        // Only a first answer is worth replaying: one that stored something.
        if (ex.dry_run || ex.replayed || ex.status != 200 || !stored_any) return;
        cache_.put(fingerprint(ex), CachedAnswer{ex.status, ex.messages_json});
    }

private:
    LruCache<CachedAnswer>& cache_;
};

}  // namespace

std::unique_ptr<Stage> make_cache_stage(LruCache<CachedAnswer>& cache) {
    return std::make_unique<CacheStage>(cache);
}

}  // namespace memolib::core
