#pragma once

#include <string>

#include "memolib/sdk/adapter.hpp"

namespace memolib::plugins::whatsapp {

// The WhatsApp channel: Meta WhatsApp Cloud API notifications (JSON, signed with
// X-Hub-Signature-256, plus Meta's GET verification handshake) and Twilio WhatsApp webhooks
// (form-encoded, signed with X-Twilio-Signature). Immutable after construction, so the hooks run
// concurrently without locks.
class WhatsAppAdapter : public sdk::Adapter {
public:
    // Logs once, through `host`, each provider whose secret is not configured (its requests are
    // accepted unsigned) and a missing verify_token (the handshake is then refused).
    WhatsAppAdapter(const sdk::Config& config, const sdk::Host& host);

    static const sdk::PluginInfo& info();

    sdk::Status verify(const sdk::Request& request, const sdk::Host& host) const override;
    sdk::Status handshake(const sdk::Request& request, const sdk::Host& host) const override;
    sdk::Status parse(const sdk::Request& request, const sdk::Host& host) const override;
    // Twilio (a form post) gets TwiML for every success; Meta, which wants a 200, the host's
    // JSON.
    sdk::Status answer(const sdk::Request& request, const sdk::Outcome& outcome,
                       const sdk::Host& host) const override;

private:
    sdk::Status verify_meta(const sdk::Request& request, const sdk::Host& host) const;
    sdk::Status verify_twilio(const sdk::Request& request, const sdk::Host& host) const;

    // Empty when not configured.
    std::string app_secret_;
    std::string verify_token_;
    std::string twilio_auth_token_;
};

}  // namespace memolib::plugins::whatsapp
