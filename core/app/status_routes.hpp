#pragma once

#include "pipeline/exchange.hpp"

namespace memolib::core {

/// GET /health: liveness.
void answer_health(Exchange& ex);
/// GET /version: the build's version, the SDK ABI and each loaded plugin's.
void answer_version(Exchange& ex);
/// GET /metrics: the Prometheus text format.
void answer_metrics(Exchange& ex);

}  // namespace memolib::core
