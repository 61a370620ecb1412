#pragma once

#include "memolib/sdk/adapter.hpp"
#include "settings.hpp"

namespace memolib::plugins::sms {

// The SMS channel: Twilio's incoming-message webhook and Vonage's inbound SMS (JSON, form or
// GET), each normalized into one message. Immutable after construction, so verify and parse
// run concurrently without locks.
class SmsAdapter : public sdk::Adapter {
public:
    // Throws sdk::ConfigError naming the key when the configuration cannot work; logs once per
    // provider whose requests will be accepted unsigned.
    SmsAdapter(const sdk::Config& config, const sdk::Host& host);

    static const sdk::PluginInfo& info();

    sdk::Status verify(const sdk::Request& request, const sdk::Host& host) const override;
    sdk::Status parse(const sdk::Request& request, const sdk::Host& host) const override;
    // Twilio gets TwiML for every success; Vonage, whose docs ask for 200 or 204, the host's
    // JSON.
    sdk::Status answer(const sdk::Request& request, const sdk::Outcome& outcome,
                       const sdk::Host& host) const override;

private:
    Settings settings_;
};

}  // namespace memolib::plugins::sms
