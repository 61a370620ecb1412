#pragma once

#include <string>
#include <vector>

namespace memolib::core {

/// `memolib-gateway dry-run CHANNEL FILE`: runs a payload file through the channel's pipeline
/// offline, as `POST /webhooks/CHANNEL?dry_run=1` would, and prints the JSON answer. Nothing
/// is stored and no port is opened. `headers` are "Name: value" (signatures, Content-Type).
/// Returns 0 when the answer is 200, else 1.
int dry_run(const std::string& config_path, const std::string& channel, const std::string& file,
            const std::string& content_type, const std::vector<std::string>& headers);

}  // namespace memolib::core
