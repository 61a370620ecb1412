#include "stages/stages.hpp"
#include "util/sha256.hpp"

namespace memolib::core {

namespace {

// Collapses runs of whitespace and trims, so a re-sent form with other line breaks is the same.
std::string normalize_text(const std::string& text) {
    std::string out;
    bool space = false;
    for (char c : text) {
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
            space = !out.empty();
            continue;
        }
        if (space) out += ' ';
        space = false;
        out += c;
    }
    return out;
}

// Computes each message's dedup key. The database's UNIQUE constraint on that key decides
// (see persist): the window is unlimited, since Meta retries for seven days.
// A key found in the bounded in-memory index of recently stored keys is answered as a
// duplicate without a database round trip; the index only ever holds committed keys.
class DedupStage final : public Stage {
public:
    explicit DedupStage(DedupIndex* index) : index_(index) {}
    const char* name() const override { return "dedup"; }

    StageResult process(Exchange& ex, const Resume&) const override {
        for (NormalizedMessage& m : ex.messages) {
            m.dedup_key = dedup_key(m, ex.authenticity);
            if (index_ == nullptr || ex.dry_run) continue;
            if (auto id = index_->get(m.dedup_key)) {
                m.status = NormalizedMessage::Status::kDuplicate;
                m.id = *id;
            }
        }
        return StageResult::kContinue;
    }

private:
    DedupIndex* index_;
};

}  // namespace

Sha256Digest dedup_key(const NormalizedMessage& m, Authenticity authenticity) {
    // Fields are separated by NUL, which no field holds, so no two inputs share a preimage.
    // The provider is part of the key, and so is a failed verification, so that no request a
    // provider did not sign can take the place of one it did.
    const std::string_view version = authenticity == Authenticity::kFailed
                                         ? std::string_view("v2-failed\0", 10)
                                         : std::string_view("v2\0", 3);
    constexpr std::string_view kNul("\0", 1);
    if (!m.external_id.empty()) {
        return sha256({version, std::string_view("id\0", 3), m.channel, kNul, m.provider, kNul,
                       m.external_id});
    }
    const std::string text = normalize_text(m.text);
    const std::string timestamp = std::to_string(m.provider_timestamp_ms);
    return sha256({version, std::string_view("content\0", 8), m.channel, kNul, m.provider, kNul,
                   m.sender, kNul, text, kNul, timestamp});
}

DedupFactory::Settings DedupFactory::settings(const ConfigValue& pipeline) {
    const ConfigValue& dedup = pipeline.at("dedup");
    return {static_cast<std::size_t>(dedup.integer("cache_entries")),
            static_cast<int>(dedup.get_int("duplicate_status", 0))};
}

std::string_view DedupFactory::settings_schema() const {
    return R"yaml(
type: object
properties:
  cache_entries: {type: integer, default: 100000, minimum: 0, description: "Recent dedup keys kept in memory in front of the database"}
  duplicate_status: {type: integer, enum: ["200", "409"], description: "Status of a request whose every message is a duplicate, on every channel without its own; unset, each provider gets its plugin's answer: 200 (a provider retries anything else for days), 409 where a person reads it (the website form)"}
)yaml";
}

void DedupFactory::make_state(const ConfigValue& pipeline, StageState& state) const {
    state.dedup_index = std::make_unique<DedupIndex>(settings(pipeline).cache_entries);
}

std::unique_ptr<Stage> DedupFactory::make(const ConfigValue&, const StageContext& context) const {
    return std::make_unique<DedupStage>(context.state != nullptr ? context.state->dedup_index.get()
                                                                 : nullptr);
}

}  // namespace memolib::core
