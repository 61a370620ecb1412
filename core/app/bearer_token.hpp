#pragma once

#include <string>

#include "pipeline/exchange.hpp"

namespace memolib::core {

/// True when the request carries `token` (non-empty) as its `Authorization: Bearer` token.
bool bearer_matches(const Exchange& ex, const std::string& token);

}  // namespace memolib::core
