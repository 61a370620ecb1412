#pragma once

#include <memory>
#include <string>

#include "pipeline/stage.hpp"

namespace memolib::core {

class BatchWriter;

std::unique_ptr<Stage> make_size_limit_stage();
std::unique_ptr<Stage> make_verify_stage();
std::unique_ptr<Stage> make_parse_stage();
std::unique_ptr<Stage> make_dedup_stage();
std::unique_ptr<Stage> make_persist_stage(BatchWriter& writer);

/// The dedup key of a message: SHA-256 (hex) of the channel and the provider's message id, or,
/// when there is none, of the channel, sender, whitespace-normalized text and provider time.
std::string dedup_key(const NormalizedMessage& message);

}  // namespace memolib::core
