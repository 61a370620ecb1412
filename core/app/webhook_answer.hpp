#pragma once

#include "pipeline/exchange.hpp"

namespace memolib::core {

/// Answers a webhook whose pipeline decided nothing else: the messages as a dry run shows
/// them, or the client's view of what was stored (`{status, request_id, messages}`), or the
/// channel's duplicate answer when every message was stored before.
void answer_webhook_success(Exchange& ex);

}  // namespace memolib::core
