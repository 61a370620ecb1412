#pragma once

#include <string>

#include "memolib/sdk/adapter.hpp"

namespace memolib::plugins::form {

// The form channel: a website's contact form (a JSON object, application/x-www-form-urlencoded
// or multipart/form-data, from the "website" provider) and Typeform webhooks (a JSON
// `form_response` event, from the "typeform" provider), each normalized into one message.
// Immutable after construction, so verify and parse run concurrently without locks.
class FormAdapter : public sdk::Adapter {
public:
    // Throws sdk::ConfigError("default_region", ...) when libphonenumber does not know the
    // region. Logs once through `host` when Typeform webhooks will be accepted unsigned.
    FormAdapter(const sdk::Config& config, const sdk::Host& host);

    static const sdk::PluginInfo& info();

    // Website forms carry no signature; a Typeform webhook must carry a valid one when
    // `typeform_secret` is configured.
    sdk::Status verify(const sdk::Request& request, const sdk::Host& host) const override;

    sdk::Status parse(const sdk::Request& request, const sdk::Host& host) const override;

    // The region national phone numbers are read in, upper-cased ("FR").
    const std::string& default_region() const noexcept { return default_region_; }

private:
    std::string default_region_;
    std::string typeform_secret_;
};

}  // namespace memolib::plugins::form
