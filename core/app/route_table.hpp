#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace memolib::core {

/// What answers a route; the router and the admin API dispatch on it.
enum class RouteId {
    kWebhook,
    kHealth,
    kVersion,
    kMetrics,
    kReady,
    kDashboard,
    kDashboardJson,
    kMessages,
    kMessage,
    kReload,
    kQuarantineList,
    kQuarantineEntry,
    kQuarantineReprocess,
};

/// Where a route's answer is made.
enum class RunsOn {
    /// On the I/O thread as soon as the headers are read; no body is read.
    kHeaders,
    /// On the I/O thread once the body is read.
    kIoThread,
    /// Through the channel's pipeline, whose stages choose their threads.
    kPipeline,
    /// On the admin worker thread (database reads, reloads), never on an I/O thread.
    kAdminWorker,
    /// On the readiness worker, which waits a bounded time for the storage.
    kReadyWorker,
};

/// The body limit of a route whose channel sets it (`max_body`).
constexpr std::uint64_t kChannelBodyLimit = std::numeric_limits<std::uint64_t>::max();

/// One route of the HTTP API. A pattern holds at most one `{param}`: followed by more of the
/// pattern it takes one non-empty path segment; at the end it takes the rest of the path,
/// whatever it is (the handler judges it, so `/webhooks/a/b` names the unknown channel "a/b").
struct Route {
    RouteId id;
    std::string_view pattern;
    /// The methods it takes, in the order the Allow header lists them.
    std::vector<std::string_view> methods;
    /// True when the admin bearer token is required.
    bool needs_token = false;
    /// The largest body read; what these routes do not use is read and ignored.
    std::uint64_t body_limit = 0;
    RunsOn runs_on = RunsOn::kHeaders;
    /// The message of a 405; empty for "use <first method> on <path>".
    std::string_view wrong_method_message;
};

/// What a request's method and path found.
struct RouteMatch {
    enum class Result { kFound, kNotFound, kMethodNotAllowed };
    Result result = Result::kNotFound;
    /// The route of the path (kFound, kMethodNotAllowed).
    const Route* route = nullptr;
    /// The value of the route's `{param}`, empty when it has none.
    std::string param;
};

/// Routes in the order they are tried; the first whose pattern matches the path decides.
class RouteTable {
public:
    explicit RouteTable(std::vector<Route> routes);

    RouteMatch match(std::string_view method, std::string_view path) const;
    const std::vector<Route>& routes() const { return routes_; }

    /// The Allow header of a route: its methods, comma-separated.
    static std::string allow(const Route& route);
    /// The message of a 405 on `path`.
    static std::string wrong_method(const Route& route, std::string_view path);

private:
    std::vector<Route> routes_;
};

/// Every route the gateway serves (docs/api.md).
const RouteTable& gateway_routes();

}  // namespace memolib::core
