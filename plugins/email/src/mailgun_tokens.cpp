#include "mailgun_tokens.hpp"

#include "memolib/plugins/common/crypto.hpp"

namespace memolib::plugins::email {

sdk::Status MailgunTokens::claim(const std::string& token, std::int64_t ttl_ms,
                                 const sdk::Request& request, const sdk::Host& host) {
    sdk::NonceClaim claim = host.claim_nonce(token, ttl_ms);
    if (claim == sdk::NonceClaim::kUnsupported) {
        claim = replayed_here(token, ttl_ms, request) ? sdk::NonceClaim::kReplayed
                                                      : sdk::NonceClaim::kFresh;
    }
    if (claim != sdk::NonceClaim::kReplayed) return sdk::Status::kOk;
    host.error("token", "replayed_token",
               "this Mailgun token was already used with another request body while its "
               "timestamp was valid: a replayed signature");
    return sdk::Status::kUnauthorized;
}

bool MailgunTokens::replayed_here(const std::string& token, std::int64_t ttl_ms,
                                  const sdk::Request& request) {
    const std::int64_t now = request.received_at_ms();
    std::string digest = common::sha256(request.body());
    std::lock_guard<std::mutex> lock(mutex_);
    while (!order_.empty() && (order_.front().first <= now || claims_.size() >= kMaxTokens)) {
        auto it = claims_.find(order_.front().second);
        if (it != claims_.end() && it->second.expires_at_ms == order_.front().first) {
            claims_.erase(it);
        }
        order_.pop_front();
    }
    auto it = claims_.find(token);
    if (it != claims_.end() && it->second.expires_at_ms > now) {
        return it->second.body_digest != digest;
    }
    claims_[token] = Claim{std::move(digest), now + ttl_ms};
    order_.emplace_back(now + ttl_ms, token);
    return false;
}

}  // namespace memolib::plugins::email
