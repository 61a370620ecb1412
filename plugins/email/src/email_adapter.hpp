#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>

#include "mailgun_tokens.hpp"
#include "memolib/sdk/adapter.hpp"

namespace memolib::plugins::email {

// The providers of the channel, in the order of kProviderNames.
enum class Provider { kMailgun, kSendgrid, kPostmark, kMime };

// The e-mail channel: Mailgun routes, SendGrid Inbound Parse, Postmark inbound webhooks and raw
// RFC 822 messages, each normalized into one message. Immutable after construction but for the
// Mailgun tokens' memory, which locks itself, so verify and parse run concurrently.
class EmailAdapter : public sdk::Adapter {
public:
    // Throws sdk::ConfigError on a key that cannot work (postmark_basic_auth without ':', an
    // unknown provider in `providers`, a non-positive mailgun_max_age); logs once per enabled
    // provider that will be accepted unsigned.
    EmailAdapter(const sdk::Config& config, const sdk::Host& host);

    static const sdk::PluginInfo& info();

    sdk::Status verify(const sdk::Request& request, const sdk::Host& host) const override;
    sdk::Status parse(const sdk::Request& request, const sdk::Host& host) const override;
    // An unsigned payload refused as invalid gets its provider's "rejected, do not retry":
    // Mailgun 406, Postmark 403 (both would retry a 400 for hours, and it would fail the same
    // way). A signed one keeps its 400: it is authentic, and retrying may yet bring it in.
    sdk::Status answer(const sdk::Request& request, const sdk::Outcome& outcome,
                       const sdk::Host& host) const override;

private:
    sdk::Status verify_mailgun(const std::string& timestamp, const std::string& token,
                               const std::string& signature, const sdk::Request& request,
                               const sdk::Host& host) const;
    sdk::Status verify_postmark(const sdk::Request& request, const sdk::Host& host) const;
    bool enabled(Provider provider) const noexcept {
        return enabled_[static_cast<std::size_t>(provider)];
    }

    std::string mailgun_signing_key_;
    std::int64_t mailgun_max_age_ms_;
    std::string postmark_basic_auth_;
    std::array<bool, 4> enabled_{};
    // Used by a host older than ABI 1.1 only; held by pointer since it holds a mutex.
    std::unique_ptr<MailgunTokens> mailgun_tokens_ = std::make_unique<MailgunTokens>();
};

}  // namespace memolib::plugins::email
