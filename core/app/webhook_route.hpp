#pragma once

#include <functional>
#include <memory>

#include "pipeline/exchange.hpp"

namespace memolib::core {

/// Sets ex.channel to the channel the route's `{channel}` names; answers 404 and returns false
/// when no channel of that name is configured.
bool find_channel(Exchange& ex);

/// Admits a request to a found channel once its headers are read: the plugin's handshake for
/// a GET it takes as one, then the pipeline's header steps. False when `ex` is answered
/// already.
bool admit_webhook(Exchange& ex);

/// Runs the channel's pipeline on an admitted webhook; `done` runs once, when it is answered.
void run_webhook(const std::shared_ptr<Exchange>& ex, std::function<void()> done);

}  // namespace memolib::core
