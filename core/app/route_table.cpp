#include "app/route_table.hpp"

#include <algorithm>
#include <optional>

namespace memolib::core {

namespace {

// None of the operator's routes takes a body: whatever is sent is read and ignored, up to this.
constexpr std::uint64_t kIgnoredBodyLimit = std::uint64_t{64} * 1024;

// The value of the pattern's {param} (empty when it has none), or nullopt when `path` does not
// match.
std::optional<std::string_view> match_pattern(std::string_view pattern, std::string_view path) {
    const std::size_t open = pattern.find('{');
    if (open == std::string_view::npos) {
        return pattern == path ? std::optional<std::string_view>(std::string_view()) : std::nullopt;
    }
    const std::size_t close = pattern.find('}', open);
    const std::string_view prefix = pattern.substr(0, open);
    const std::string_view suffix = pattern.substr(close + 1);
    if (path.substr(0, prefix.size()) != prefix) return std::nullopt;
    const std::string_view rest = path.substr(prefix.size());
    if (suffix.empty()) return rest;
    if (rest.size() <= suffix.size() || rest.substr(rest.size() - suffix.size()) != suffix) {
        return std::nullopt;
    }
    const std::string_view param = rest.substr(0, rest.size() - suffix.size());
    if (param.find('/') != std::string_view::npos) return std::nullopt;
    return param;
}

}  // namespace

RouteTable::RouteTable(std::vector<Route> routes) : routes_(std::move(routes)) {}

RouteMatch RouteTable::match(std::string_view method, std::string_view path) const {
    RouteMatch found;
    for (const Route& route : routes_) {
        std::optional<std::string_view> param = match_pattern(route.pattern, path);
        if (!param) continue;
        found.route = &route;
        found.param = std::string(*param);
        const bool takes =
            std::find(route.methods.begin(), route.methods.end(), method) != route.methods.end();
        found.result = takes ? RouteMatch::Result::kFound : RouteMatch::Result::kMethodNotAllowed;
        return found;
    }
    return found;
}

std::string RouteTable::allow(const Route& route) {
    std::string allow;
    for (std::string_view method : route.methods) {
        if (!allow.empty()) allow += ", ";
        allow += method;
    }
    return allow;
}

std::string RouteTable::wrong_method(const Route& route, std::string_view path) {
    if (!route.wrong_method_message.empty()) return std::string(route.wrong_method_message);
    return "use " + std::string(route.methods.front()) + " on " + std::string(path);
}

const RouteTable& gateway_routes() {
    static const RouteTable kRoutes({
        {RouteId::kWebhook,
         "/webhooks/{channel}",
         {"GET", "POST"},
         false,
         kChannelBodyLimit,
         RunsOn::kPipeline,
         "webhooks take POST (and GET for a handshake)"},
        {RouteId::kHealth, "/health", {"GET", "HEAD"}, false, 0, RunsOn::kHeaders, {}},
        {RouteId::kVersion, "/version", {"GET", "HEAD"}, false, 0, RunsOn::kHeaders, {}},
        {RouteId::kMetrics, "/metrics", {"GET", "HEAD"}, false, 0, RunsOn::kHeaders, {}},
        {RouteId::kReady,
         "/ready",
         {"GET", "HEAD"},
         false,
         kIgnoredBodyLimit,
         RunsOn::kReadyWorker,
         {}},
        {RouteId::kDashboard,
         "/dashboard",
         {"GET", "HEAD"},
         false,
         kIgnoredBodyLimit,
         RunsOn::kIoThread,
         {}},
        {RouteId::kDashboardJson,
         "/api/monitoring/metrics-dashboard",
         {"GET", "HEAD"},
         false,
         kIgnoredBodyLimit,
         RunsOn::kIoThread,
         {}},
        {RouteId::kMessages,
         "/api/messages",
         {"GET", "HEAD"},
         true,
         kIgnoredBodyLimit,
         RunsOn::kAdminWorker,
         {}},
        {RouteId::kMessage,
         "/api/messages/{id}",
         {"GET", "HEAD"},
         true,
         kIgnoredBodyLimit,
         RunsOn::kAdminWorker,
         {}},
        {RouteId::kReload,
         "/api/admin/reload",
         {"POST"},
         true,
         kIgnoredBodyLimit,
         RunsOn::kAdminWorker,
         {}},
        {RouteId::kQuarantineList,
         "/api/quarantine",
         {"GET", "HEAD"},
         true,
         kIgnoredBodyLimit,
         RunsOn::kAdminWorker,
         {}},
        {RouteId::kQuarantineReprocess,
         "/api/quarantine/{id}/reprocess",
         {"POST"},
         true,
         kIgnoredBodyLimit,
         RunsOn::kAdminWorker,
         {}},
        // Its {id} takes the rest of the path: the routes of one entry's actions come before it.
        {RouteId::kQuarantineEntry,
         "/api/quarantine/{id}",
         {"GET", "HEAD", "DELETE"},
         true,
         kIgnoredBodyLimit,
         RunsOn::kAdminWorker,
         {}},
    });
    return kRoutes;
}

}  // namespace memolib::core
