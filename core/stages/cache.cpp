#include <algorithm>

#include "stages/stages.hpp"
#include "util/sha256.hpp"

namespace memolib::core {

namespace {

// The fingerprint of a request: its channel and the sorted dedup keys of its messages (their
// bytes), so a provider's retry of the same webhook finds the first answer whatever the order
// inside.
std::string fingerprint(const Exchange& ex) {
    std::vector<const Sha256Digest*> keys;
    keys.reserve(ex.messages.size());
    for (const NormalizedMessage& m : ex.messages) keys.push_back(&m.dedup_key);
    std::sort(keys.begin(), keys.end(),
              [](const Sha256Digest* a, const Sha256Digest* b) { return *a < *b; });
    std::string out = ex.channel ? ex.channel->config.name : std::string();
    out.reserve(out.size() + keys.size() * (1 + sizeof(Sha256Digest)));
    for (const Sha256Digest* k : keys) {
        out += ':';
        out.append(digest_bytes(*k));
    }
    return out;
}

// The fingerprint of a raw request: what it carries (query, media type, body) and whether it
// failed verification, so that a byte-identical retry is known before it is parsed. Plugins
// are deterministic (the SDK requires it; memolib-plugin-check checks it), so the same bytes
// are the same messages with the same dedup keys, and a request that failed verification
// (`verify: report`) never gets the answer of one that passed, nor the reverse.
void set_raw_fingerprint(Exchange& ex) {
    const std::string_view nul("\0", 1);
    const std::string_view authenticity =
        ex.authenticity == Authenticity::kFailed ? std::string_view("failed") : std::string_view();
    const Sha256Digest digest =
        sha256({ex.method, nul, ex.query, nul, ex.content_type, nul, authenticity, nul, ex.body});
    const std::string_view channel = ex.channel ? ex.channel->config.name : std::string_view();
    std::string& out = ex.raw_fingerprint;
    out.assign("raw:").append(channel) += ':';
    out.append(reinterpret_cast<const char*>(digest.data()), digest.size());
}

// An idempotent answer, as replayed from the cache.
StageResult replay(Exchange& ex, const CachedAnswer& hit) {
    ex.status = 200;
    ex.reason = "replayed";
    ex.replayed = true;
    ex.response_content_type = "application/json";
    constexpr std::string_view kHead = R"({"status":"stored","request_id":")";
    constexpr std::string_view kMiddle = R"(","replayed":true,"messages":)";
    std::string& body = ex.response_body;
    body.clear();
    body.reserve(kHead.size() + ex.request_id.size() + kMiddle.size() + hit.messages_json.size() +
                 1);
    body.append(kHead).append(ex.request_id).append(kMiddle).append(hit.messages_json) += '}';
    ex.response_headers.emplace_back("X-Idempotent-Replay", "true");
    return StageResult::kRespond;
}

// A byte-identical retry (what providers send) is answered before parse, once verified, from
// the answers the cache stage keeps.
class ReplayStage final : public Stage {
public:
    explicit ReplayStage(ReplayCache& cache) : cache_(cache) {}
    const char* name() const override { return "replay"; }

    StageResult process(Exchange& ex, const Resume&) const override {
        // A re-processing must reach persist, which commits the entry's state change.
        if (ex.dry_run || ex.reprocess_quarantine_id != 0) return StageResult::kContinue;
        set_raw_fingerprint(ex);
        ex.cache_checked = true;
        auto hit = cache_.get(ex.raw_fingerprint);
        if (!hit) return StageResult::kContinue;
        const CachedAnswer& answer = **hit;
        ex.replay_provider = answer.provider;
        ex.replay_sender_masked = answer.sender_masked;
        return replay(ex, answer);
    }

private:
    ReplayCache& cache_;
};

// Idempotent replay: a request whose messages were all stored by an earlier request in the
// last `ttl` gets that request's answer again, without touching the database: a retry that
// differs in its bytes but not in its messages, after dedup. Keeps the answers replay reads.
class CacheStage final : public Stage {
public:
    explicit CacheStage(ReplayCache& cache) : cache_(cache) {}
    const char* name() const override { return "cache"; }

    StageResult process(Exchange& ex, const Resume&) const override {
        if (ex.dry_run || ex.messages.empty() || ex.reprocess_quarantine_id != 0)
            return StageResult::kContinue;
        ex.cache_checked = true;
        auto hit = cache_.get(fingerprint(ex));
        if (!hit) return StageResult::kContinue;
        return replay(ex, **hit);
    }

    void on_complete(const Exchange& ex) const override {
        const bool stored_any =
            std::any_of(ex.messages.begin(), ex.messages.end(), [](const NormalizedMessage& m) {
                return m.status == NormalizedMessage::Status::kStored;
            });
        // Only a first answer is worth replaying: one that stored something.
        if (ex.dry_run || ex.replayed || ex.status != 200 || !stored_any) return;
        auto answer = std::make_shared<const CachedAnswer>(CachedAnswer{
            ex.messages_json, ex.messages.front().provider, ex.messages.front().sender_masked});
        if (!ex.raw_fingerprint.empty()) cache_.put(ex.raw_fingerprint, answer);
        cache_.put(fingerprint(ex), std::move(answer));
    }

private:
    ReplayCache& cache_;
};

}  // namespace

CacheFactory::Settings CacheFactory::settings(const ConfigValue& pipeline) {
    const ConfigValue& cache = pipeline.at("cache");
    return {static_cast<std::size_t>(cache.integer("max_entries")),
            std::chrono::milliseconds(cache.integer("ttl"))};
}

std::string_view CacheFactory::settings_schema() const {
    return R"yaml(
type: object
properties:
  max_entries: {type: integer, default: 1000, minimum: 0, description: "Answers kept for idempotent replay"}
  ttl: {type: duration, default: 60s, description: "How long an answer is replayed"}
)yaml";
}

void CacheFactory::make_state(const ConfigValue& pipeline, StageState& state) const {
    const Settings s = settings(pipeline);
    // Two keys per answer (its raw form and its messages): room for `max_entries`.
    state.replay_cache = std::make_unique<ReplayCache>(s.max_entries * 2, s.ttl);
}

std::unique_ptr<Stage> CacheFactory::make(const ConfigValue&, const StageContext& context) const {
    if (context.state == nullptr || !context.state->replay_cache) return nullptr;
    return std::make_unique<CacheStage>(*context.state->replay_cache);
}

std::unique_ptr<Stage> ReplayFactory::make(const ConfigValue&, const StageContext& context) const {
    if (context.state == nullptr || !context.state->replay_cache) return nullptr;
    return std::make_unique<ReplayStage>(*context.state->replay_cache);
}

}  // namespace memolib::core
