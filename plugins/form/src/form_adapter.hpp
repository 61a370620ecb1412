#pragma once

#include <string>

#include "memolib/sdk/adapter.hpp"

namespace memolib::plugins::form {

// The website contact form channel: reads a form posted as a JSON object, as
// application/x-www-form-urlencoded or as multipart/form-data, and normalizes it into one
// message from the "website" provider. Immutable after construction, so parse runs
// concurrently without locks.
class FormAdapter : public sdk::Adapter {
public:
    // Throws sdk::ConfigError("default_region", ...) when libphonenumber does not know the
    // region.
    explicit FormAdapter(const sdk::Config& config);

    static const sdk::PluginInfo& info();

    sdk::Status parse(const sdk::Request& request, const sdk::Host& host) const override;

    // The region national phone numbers are read in, upper-cased ("FR").
    const std::string& default_region() const noexcept { return default_region_; }

private:
    std::string default_region_;
};

}  // namespace memolib::plugins::form
