#pragma once

#include "pipeline/exchange.hpp"

namespace memolib::core {

class DashboardStats;
struct CompressionSettings;

/// What happens to every answer just before it is written, whatever route it took: gzip when
/// the client accepts it and it pays, the metrics, the dashboard's figures and the request's
/// log line.
class RequestObserver {
public:
    /// `stats` may be null (the offline dry run has none).
    explicit RequestObserver(DashboardStats* stats) : stats_(stats) {}

    void completed(Exchange& ex, const CompressionSettings& compression) const;

private:
    DashboardStats* stats_;
};

}  // namespace memolib::core
