#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/gateway_config.hpp"
#include "pipeline/message.hpp"

namespace memolib::core {

class ChannelInstance;
class RequestView;
class StoreArrival;
struct Generation;
struct Route;

/// A configured channel: its settings and its plugin instance.
struct Channel {
    ChannelConfig config;
    std::shared_ptr<ChannelInstance> instance;
};

/// One request on its way through the pipeline, and its answer. Owned by a shared_ptr so
/// that asynchronous stages (persist) can keep it alive.
struct Exchange {
    // The request.
    std::string method;
    std::string target;
    std::string path;
    std::string query;
    std::vector<std::pair<std::string, std::string>> headers;
    std::optional<std::uint64_t> content_length;
    /// The Content-Type header, empty when absent.
    std::string content_type;
    std::string body;
    std::string remote_address;
    std::string request_id;
    std::int64_t received_at_ms = 0;
    std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
    bool dry_run = false;
    /// The route the router matched (app/route_table.hpp), and its `{param}`.
    const Route* route = nullptr;
    std::string route_param;
    /// The plugins' view of this request (plugins/request_view.hpp), built by the first hook
    /// that needs it and shared by the next ones; reset() keeps it for its buffers, unbuilt.
    std::shared_ptr<RequestView> request_view;
    bool request_view_built = false;
    /// True when the replay cache was consulted, and when it answered.
    bool cache_checked = false;
    bool replayed = false;
    /// kFailed when verification failed and `verify: report` let the request through: its
    /// messages get dedup keys and replay fingerprints of their own (DESIGN.md, step 6).
    Authenticity authenticity = Authenticity::kNotFailed;
    /// True when verify passed in `verify: enforce` on a channel whose plugin configuration
    /// holds a secret (channel_secrets()). If parse cannot turn the request into messages, it
    /// asks ChannelInstance::verified_by_secret() whether a secret is what admitted it, and
    /// then quarantines the request rather than refuse it.
    bool authenticated = false;
    /// The quarantine entry holding this request (0: none).
    std::int64_t quarantine_id = 0;
    /// Quarantined in the local spool while PostgreSQL is down: its entry has no id yet.
    bool quarantine_spooled = false;
    /// Set when an operator re-processes quarantine entry N (POST /api/quarantine/N/reprocess):
    /// verify, the rate limits and the replay caches let it through (it was verified on
    /// arrival), parse refuses it 422 rather than quarantine it again, and persist commits its
    /// messages with the entry's state change.
    std::int64_t reprocess_quarantine_id = 0;
    /// Whether that commit changed the entry's state (false: it was no longer pending).
    bool reprocessed = false;
    /// The replay cache's key for this request's raw form (empty when not looked up).
    std::string raw_fingerprint;
    /// What the log line names when there are no messages (a replay answered before parse).
    std::string replay_provider;
    std::string replay_sender_masked;

    /// The configuration this request runs on from its headers to its answer, whatever
    /// reloads happen meanwhile.
    std::shared_ptr<const Generation> generation;

    std::shared_ptr<const Channel> channel;
    std::vector<NormalizedMessage> messages;
    /// Held from the headers until the messages reach the storage writer (persist), so that
    /// the writer knows this request is on its way.
    std::shared_ptr<StoreArrival> store_arrival;

    // The answer; status 0 means "not decided yet".
    int status = 0;
    std::string reason;
    std::string response_content_type = "application/json";
    std::string response_body;
    std::vector<std::pair<std::string, std::string>> response_headers;
    /// The `messages` array of a success answer, as JSON (what the replay cache keeps).
    std::string messages_json;

    /// Runs `fn` on the I/O side of this exchange (its connection's strand); set by the server
    /// so that work finished on the storage thread comes back where it belongs.
    std::function<void(std::function<void()>)> dispatch;
    /// Runs `fn` through `dispatch` when the server set one, else at once.
    void on_own_thread(std::function<void()> fn) {
        if (dispatch)
            dispatch(std::move(fn));
        else
            fn();
    }

    /// Makes this exchange as a new one is, keeping the memory of its strings and vectors, so
    /// that a connection's next request reuses it (the server pools exchanges per thread).
    void reset();
    /// The first header named `name` (case-insensitive).
    const std::string* header(std::string_view name) const;
    /// Sets a JSON error answer `{error, message, details, request_id}`.
    void fail(int http_status, std::string_view error, std::string_view message,
              const std::vector<FieldError>& details = {});
};

/// `errors` as the JSON array of an error answer's `details`: `[{field, code, message}]`, any
/// text that is not UTF-8 shown as "(not UTF-8)".
std::string field_errors_json(const std::vector<FieldError>& errors);

}  // namespace memolib::core
