#pragma once

#include <memory>
#include <mutex>

#include "app/request_observer.hpp"
#include "app/route_table.hpp"
#include "http/server.hpp"

namespace memolib::core {

class AdminApi;
class DashboardStats;
struct Generation;

/// The server's handler: finds each request's route in the route table (404, 405 + Allow, the
/// bearer token), then hands it to the webhook pipeline, the status answers or the AdminApi.
class Router final : public HttpHandler {
public:
    /// `stats` and `admin` may be null (the offline dry run has neither: the operator's routes
    /// are then not found).
    Router(std::shared_ptr<const Generation> generation, DashboardStats* stats, AdminApi* admin);

    /// What new requests run on from now; requests already admitted keep theirs.
    void set_generation(std::shared_ptr<const Generation> generation);
    std::shared_ptr<const Generation> generation() const;
    /// Set before the server starts.
    void set_admin(AdminApi* admin) { admin_ = admin; }

    std::optional<std::uint64_t> admit(Exchange& ex) override;
    void handle(const std::shared_ptr<Exchange>& ex, std::function<void()> done) override;
    void completed(Exchange& ex) override;

private:
    bool serves(const Route& route) const;

    const RouteTable& routes_;
    RequestObserver observer_;
    mutable std::mutex mutex_;
    std::shared_ptr<const Generation> generation_;
    AdminApi* admin_;
};

}  // namespace memolib::core
