#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <utility>

#include "memolib/sdk/adapter.hpp"

namespace memolib::plugins::email {

// Mailgun signs only timestamp + token, so a captured signature would carry any body while its
// timestamp is fresh. Each token is claimed with the body it came with: through the host
// (memolib_host_t::claim_nonce, shared by the gateway's instances), or, in a host older than
// ABI 1.1, in this bounded memory of the plugin instance.
class MailgunTokens {
public:
    // kUnauthorized, with a `replayed_token` error, when `token` was used within its validity
    // with another body; `ttl_ms` is how long it stays valid from the request's arrival.
    sdk::Status claim(const std::string& token, std::int64_t ttl_ms, const sdk::Request& request,
                      const sdk::Host& host);

private:
    bool replayed_here(const std::string& token, std::int64_t ttl_ms, const sdk::Request& request);

    static constexpr std::size_t kMaxTokens = 10000;
    struct Claim {
        std::string body_digest;
        std::int64_t expires_at_ms;
    };
    std::mutex mutex_;
    std::map<std::string, Claim> claims_;
    std::deque<std::pair<std::int64_t, std::string>> order_;
};

}  // namespace memolib::plugins::email
