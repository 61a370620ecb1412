#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "util/clock.hpp"

namespace memolib::core {

/// monitoring.alerts: a channel is in alert above any of these over the window.
struct AlertThresholds {
    double error_rate = 0.05;
    double duplicate_rate = 0.10;
    double p99_ms = 5000;
    /// Not per channel: the instance's spool holds a message older than this.
    double spool_age_ms = 60000;
};

/// The spool as the dashboard shows it (present only when there is one: PostgreSQL with
/// storage.spool.path set).
struct SpoolSummary {
    std::int64_t depth = 0;
    /// Age of the oldest spooled message; negative when the spool is empty.
    double oldest_age_seconds = -1;
    std::uint64_t bytes = 0;
    std::uint64_t max_bytes = 0;
    /// Quarantine entries waiting in the spool for PostgreSQL's table.
    std::int64_t quarantined = 0;
};

/// A channel's quarantine as the dashboard shows it (present only when quarantine is enabled).
struct QuarantineSummary {
    std::uint64_t pending = 0;
    /// Age of the oldest pending entry; negative when nothing is pending.
    double oldest_age_seconds = -1;
};

/// What one answered webhook request tells the dashboard.
struct RequestOutcome {
    int status = 0;
    /// Every message was already stored (a 409, a 200 by duplicate_status, or a replay).
    bool duplicate = false;
    /// The replay cache was consulted, and whether it answered.
    bool cache_checked = false;
    bool cache_hit = false;
    double latency_ms = 0;
};

/// Per-channel rates and latency percentiles over a sliding window, for
/// /api/monitoring/metrics-dashboard. The window is a ring of time slots, each with counts and
/// a log-scale latency histogram (buckets 10 % wide), so memory is fixed and a percentile is
/// exact to within its bucket. A request counts from its slot's start until `window` later,
/// so it leaves the window between `window - window / slots` and `window` after it was
/// recorded. Each channel also gets its series over the window, one point per slot, oldest
/// first (the last slot is the one still filling). Thread-safe.
class DashboardStats {
public:
    explicit DashboardStats(std::chrono::milliseconds window = std::chrono::minutes(5),
                            std::size_t slots = 60, Clock& clock = real_clock());

    void record(const std::string& channel, const RequestOutcome& outcome);
    /// The dashboard JSON, with an entry for each of `channels` (idle ones too). A channel in
    /// `quarantine` gets a `quarantine` object; none does when it is null. `spool` is null
    /// without a spool (the JSON's `spool` is null then).
    std::string to_json(const std::vector<std::string>& channels, const AlertThresholds& thresholds,
                        const std::map<std::string, QuarantineSummary>* quarantine = nullptr,
                        const SpoolSummary* spool = nullptr);

    /// `{depth, oldest_age_seconds, bytes, max_bytes}`, as the dashboard JSON has it.
    static std::string spool_json(const SpoolSummary& spool);

    /// The latency a histogram bucket stands for (its geometric middle), in milliseconds.
    static double bucket_value_ms(std::size_t bucket);
    static std::size_t bucket_of(double latency_ms);

private:
    struct Slot {
        std::int64_t index = -1;
        std::uint64_t requests = 0, success = 0, errors = 0, duplicates = 0;
        std::uint64_t cache_checks = 0, cache_hits = 0;
        std::vector<std::uint32_t> latency;
    };
    using Ring = std::vector<Slot>;

    std::int64_t window_ms_;
    std::int64_t slot_ms_;
    std::size_t slots_;
    Clock& clock_;
    std::mutex mutex_;
    std::map<std::string, Ring> channels_;
};

}  // namespace memolib::core
