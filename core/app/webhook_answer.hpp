#pragma once

#include "pipeline/exchange.hpp"

namespace memolib::core {

struct PluginCallResult;

/// Answers a webhook whose pipeline decided nothing else: the messages as a dry run shows
/// them, or the client's view of what was stored (`{status, request_id, messages}`), or the
/// channel's duplicate answer when every message was stored before.
void answer_webhook_success(Exchange& ex);

/// Lets the channel's plugin give the answer its provider's form (SDK 1.1 on_answer): TwiML
/// for Twilio, a challenge's echo, a provider's "do not retry" status. The outcome stays the
/// host's: a status of another class is refused and logged (`plugin_answer_refused`). Answers
/// a provider should retry (429, 5xx), dry runs and plugins without the hook are left as they
/// are.
void shape_answer(Exchange& ex);

/// Answers with what a plugin set through set_response (its status must be set): its body, and
/// its content type or text/plain.
void answer_from_plugin(Exchange& ex, PluginCallResult& result);

}  // namespace memolib::core
