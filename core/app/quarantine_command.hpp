#pragma once

#include <string>

namespace memolib::core {

/// What `memolib-gateway quarantine …` was asked.
struct QuarantineCommand {
    /// list, show, reprocess or discard.
    std::string action;
    /// The entry (show, reprocess, discard); 0 with `all` for every pending entry of `channel`.
    long long id = 0;
    bool all = false;
    std::string channel;
    std::string state;
    /// The running gateway's base URL (http://host:port); empty: server.host and server.port
    /// of the config.
    std::string url;
};

/// `memolib-gateway quarantine …`: asks the running gateway's API (/api/quarantine, with the
/// config's monitoring.admin_token), so that a re-processing runs the plugin the gateway
/// serves and its pending gauge follows. Prints the answers' JSON (list: one line per entry).
/// Returns 0 when every answer was a success, else 1.
int quarantine(const std::string& config_path, const QuarantineCommand& command);

}  // namespace memolib::core
