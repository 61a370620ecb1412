#include "observability/quarantine_pending.hpp"

#include <mutex>

#include "observability/metrics.hpp"

namespace memolib::core {

namespace {

std::mutex& counts_mutex() {
    static std::mutex m;
    return m;
}

std::map<std::string, std::int64_t>& counts() {
    static std::map<std::string, std::int64_t> c;
    return c;
}

std::map<std::string, std::int64_t>& oldest_ms() {
    static std::map<std::string, std::int64_t> o;
    return o;
}

}  // namespace

QuarantinePending& QuarantinePending::instance() {
    static QuarantinePending p;
    return p;
}

void QuarantinePending::reset_to(const std::vector<std::pair<std::string, std::int64_t>>& table) {
    std::lock_guard<std::mutex> lock(counts_mutex());
    counts().clear();
    oldest_ms().clear();
    metrics().clear("memolib_quarantine_pending");
    for (const auto& [channel, n] : table) {
        counts()[channel] = n;
        metrics().set("memolib_quarantine_pending", {{"channel", channel}}, static_cast<double>(n));
    }
}

void QuarantinePending::add(const std::string& channel, std::int64_t delta,
                            std::int64_t received_at_ms) {
    std::lock_guard<std::mutex> lock(counts_mutex());
    std::int64_t& n = counts()[channel];
    n += delta;
    if (n <= 0) oldest_ms().erase(channel);
    if (delta > 0 && received_at_ms > 0) oldest_ms().emplace(channel, received_at_ms);
    metrics().set("memolib_quarantine_pending", {{"channel", channel}}, static_cast<double>(n));
}

std::map<std::string, std::int64_t> QuarantinePending::snapshot() const {
    std::lock_guard<std::mutex> lock(counts_mutex());
    return counts();
}

void QuarantinePending::set_oldest(const std::string& channel, std::int64_t received_at_ms) {
    std::lock_guard<std::mutex> lock(counts_mutex());
    if (received_at_ms > 0)
        oldest_ms()[channel] = received_at_ms;
    else
        oldest_ms().erase(channel);
}

std::map<std::string, std::int64_t> QuarantinePending::oldest() const {
    std::lock_guard<std::mutex> lock(counts_mutex());
    return oldest_ms();
}

}  // namespace memolib::core
