#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace memolib::core {

/// The pending quarantine entries per channel, as the table holds them: read from it at start,
/// counted up on each insert. Mirrored in the gauge `memolib_quarantine_pending{channel}` and
/// read by the dashboard's `quarantine_pending` alert. Thread-safe.
class QuarantinePending {
public:
    static QuarantinePending& instance();
    /// Replaces every count with the table's (channels missing from `counts` have none).
    void reset_to(const std::vector<std::pair<std::string, std::int64_t>>& counts);
    void add(const std::string& channel, std::int64_t delta);
    std::map<std::string, std::int64_t> snapshot() const;
};

inline QuarantinePending& quarantine_pending() { return QuarantinePending::instance(); }

}  // namespace memolib::core
