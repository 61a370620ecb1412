#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "http/server.hpp"

namespace memolib::core {

class AdminApi;
class BatchWriter;
class DashboardStats;
struct Generation;

/// Routes requests: /webhooks/{channel} through the current generation's pipeline,
/// /health, /version and /metrics itself, the operator's routes to the AdminApi.
class WebhookHandler final : public HttpHandler {
public:
    /// `stats` and `admin` may be null (the offline dry run has neither).
    WebhookHandler(std::shared_ptr<const Generation> generation, DashboardStats* stats,
                   AdminApi* admin);

    /// What new requests run on from now; requests already admitted keep theirs.
    void set_generation(std::shared_ptr<const Generation> generation);
    std::shared_ptr<const Generation> generation() const;
    /// Set before the server starts.
    void set_admin(AdminApi* admin) { admin_ = admin; }

    std::optional<std::uint64_t> admit(Exchange& ex) override;
    void handle(const std::shared_ptr<Exchange>& ex, std::function<void()> done) override;
    void completed(Exchange& ex) override;

private:
    std::optional<std::uint64_t> admit_webhook(Exchange& ex, const std::string& channel);
    void answer_success(Exchange& ex) const;
    void answer_json(Exchange& ex, int status, std::string body) const;

    mutable std::mutex mutex_;
    std::shared_ptr<const Generation> generation_;
    DashboardStats* stats_;
    AdminApi* admin_;
};

}  // namespace memolib::core
