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
    /// `received_at_ms` (of an entry added) becomes the channel's oldest when it had none.
    void add(const std::string& channel, std::int64_t delta, std::int64_t received_at_ms = 0);
    std::map<std::string, std::int64_t> snapshot() const;
    /// The arrival of the channel's oldest pending entry (0: none), as the table says: set at
    /// start and after an entry leaves the pending state.
    void set_oldest(const std::string& channel, std::int64_t received_at_ms);
    /// Channel → arrival of its oldest pending entry (channels without one left out).
    std::map<std::string, std::int64_t> oldest() const;
};

inline QuarantinePending& quarantine_pending() { return QuarantinePending::instance(); }

}  // namespace memolib::core
