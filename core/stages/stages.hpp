#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/stage.hpp"

namespace memolib::core {

class BatchWriter;

class NonceStore;
class RateLimiter;

std::unique_ptr<Stage> make_size_limit_stage();
std::unique_ptr<Stage> make_rate_limit_stage(RateLimiter& limiter);
std::unique_ptr<Stage> make_verify_stage(NonceStore* nonces);
std::unique_ptr<Stage> make_parse_stage();
std::unique_ptr<Stage> make_enrich_stage(const std::vector<std::string>& high,
                                         const std::vector<std::string>& low);
std::unique_ptr<Stage> make_dedup_stage(DedupIndex* index);
std::unique_ptr<Stage> make_cache_stage(ReplayCache& cache);
std::unique_ptr<Stage> make_persist_stage(BatchWriter& writer, DedupIndex* index);

/// `text` case- and width-folded, accents removed, every run of characters that are not
/// letters or digits one space, with a space at both ends: keywords folded the same way match
/// as whole words.
std::string fold_for_keywords(std::string_view text);

/// The dedup key of a message: SHA-256 of the channel, the provider and the provider's
/// message id, or, when there is none, of the channel, provider, sender, whitespace-normalized
/// text and provider time; a message whose request failed verification (and was let through by
/// `verify: report`) gets a key of its own kind, so that it never suppresses a signed one.
Sha256Digest dedup_key(const NormalizedMessage& message,
                       Authenticity authenticity = Authenticity::kNotFailed);

}  // namespace memolib::core
