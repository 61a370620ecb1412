#pragma once

#include <memory>
#include <string>

#include "stages/dedup_index.hpp"
#include "stages/lru_cache.hpp"
#include "stages/rate_limiter.hpp"

namespace memolib::core {

/// An answer the replay cache keeps (only 200s are): its `messages` array as JSON.
struct CachedAnswer {
    std::string messages_json;
    /// What the request log line names for a replay answered before parse.
    std::string provider;
    std::string sender_masked;
};

/// Answers are shared, not copied, out of the cache: a replay reads one and lets it go.
using ReplayCache = LruCache<std::shared_ptr<const CachedAnswer>>;

/// What the stages keep across reloads, built once from the configuration the gateway started
/// with (so a change to the settings sizing it takes a restart). Each part is built by the
/// stage factory named beside it; the stages named after it read it too.
struct StageState {
    /// dedup's: dedup key → id of the row holding it, the fast path in front of the UNIQUE
    /// constraint (persist fills it after COMMIT).
    std::unique_ptr<DedupIndex> dedup_index;
    /// cache's: the answers replayed (replay reads it before parse).
    std::unique_ptr<ReplayCache> replay_cache;
    /// rate_limit's: the sliding windows (sender_rate_limit counts in them too).
    std::unique_ptr<RateLimiter> rate_limiter;
};

}  // namespace memolib::core
