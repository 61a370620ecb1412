#pragma once

#include <string>
#include <string_view>

#include "pipeline/stage.hpp"
#include "stages/stage_factory.hpp"
#include "stages/stage_state.hpp"

namespace memolib::core {

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

enum class StoreOutcome;
/// Answers a request whose store job neither committed nor spooled: 503 with Retry-After for
/// an unavailable storage or a full spool, which go away by themselves, and 500 naming `what`
/// (message, request) the storage refused.
void fail_storage(Exchange& ex, StoreOutcome outcome, const char* what);

}  // namespace memolib::core
