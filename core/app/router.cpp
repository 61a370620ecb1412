#include "app/router.hpp"

#include "app/admin_api.hpp"
#include "app/bearer_token.hpp"
#include "app/generation.hpp"
#include "app/status_routes.hpp"
#include "app/webhook_route.hpp"

namespace memolib::core {

namespace {

// Answers 403 or 401 and returns false unless the request carries the admin token.
bool check_token(Exchange& ex) {
    const std::string& token = ex.generation->admin_token;
    if (token.empty()) {
        ex.fail(403, "admin_disabled", "set monitoring.admin_token to use the admin and read APIs");
        return false;
    }
    if (!bearer_matches(ex, token)) {
        ex.response_headers.emplace_back("WWW-Authenticate", "Bearer realm=\"memolib\"");
        ex.fail(401, "unauthorized", "a valid 'Authorization: Bearer <token>' is required");
        return false;
    }
    return true;
}

// The routes answered from their headers alone.
void answer_from_headers(Exchange& ex) {
    switch (ex.route->id) {
        case RouteId::kHealth:
            return answer_health(ex);
        case RouteId::kVersion:
            return answer_version(ex);
        case RouteId::kMetrics:
            return answer_metrics(ex);
        default:
            ex.fail(404, "not_found", "no route for " + ex.path);
    }
}

}  // namespace

Router::Router(std::shared_ptr<const Generation> generation, DashboardStats* stats, AdminApi* admin)
    : routes_(gateway_routes()),
      observer_(stats),
      generation_(std::move(generation)),
      admin_(admin) {}

void Router::set_generation(std::shared_ptr<const Generation> generation) {
    std::lock_guard<std::mutex> lock(mutex_);
    generation_ = std::move(generation);
}

std::shared_ptr<const Generation> Router::generation() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return generation_;
}

bool Router::serves(const Route& route) const {
    return admin_ != nullptr || route.runs_on == RunsOn::kHeaders ||
           route.runs_on == RunsOn::kPipeline;
}

std::optional<std::uint64_t> Router::admit(Exchange& ex) {
    ex.generation = generation();
    RouteMatch match = routes_.match(ex.method, ex.path);
    if (match.route == nullptr || !serves(*match.route)) {
        ex.fail(404, "not_found", "no route for " + ex.path);
        return std::nullopt;
    }
    const Route& route = *match.route;
    ex.route = &route;
    ex.route_param = std::move(match.param);
    // A channel that is not configured is a path that does not exist, whatever the method.
    if (route.id == RouteId::kWebhook && !find_channel(ex)) return std::nullopt;
    if (match.result == RouteMatch::Result::kMethodNotAllowed) {
        ex.response_headers.emplace_back("Allow", RouteTable::allow(route));
        ex.fail(405, "method_not_allowed", RouteTable::wrong_method(route, ex.path));
        return std::nullopt;
    }
    if (route.needs_token && !check_token(ex)) return std::nullopt;
    if (route.runs_on == RunsOn::kHeaders) {
        answer_from_headers(ex);
        return std::nullopt;
    }
    if (route.runs_on == RunsOn::kPipeline && !admit_webhook(ex)) return std::nullopt;
    return route.body_limit == kChannelBodyLimit ? ex.channel->config.max_body : route.body_limit;
}

void Router::handle(const std::shared_ptr<Exchange>& ex, std::function<void()> done) {
    if (ex->route->runs_on == RunsOn::kPipeline) return run_webhook(ex, std::move(done));
    admin_->handle(ex, std::move(done));
}

void Router::completed(Exchange& ex) {
    if (!ex.generation) ex.generation = generation();
    observer_.completed(ex, ex.generation->compression);
}

}  // namespace memolib::core
