// libFuzzer target for the sms plugin's verify and parse: the first input byte picks how the
// rest arrives (0: JSON body, 1: urlencoded body, 2: GET query string). Seeds: a fixture
// prefixed with that byte (see the plugin's README).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "memolib/sdk/testing/fake_host.hpp"

extern "C" const memolib_plugin_descriptor_t* memolib_plugin_v1(void);

namespace {

using memolib::sdk::Status;
using memolib::sdk::testing::FakeHost;
using memolib::sdk::testing::FakeInstance;
using memolib::sdk::testing::FakeRequest;
using memolib::sdk::testing::FakeResult;

FakeHost& host() {
    static FakeHost h(memolib_plugin_v1());
    return h;
}

const FakeInstance& unsigned_sms() {
    static FakeInstance sms = host().create("sms", {{"default_region", "FR"},
                                                    {"vonage_signature_method", "md5hash"},
                                                    {"vonage_max_age", "0"}});
    if (!sms) std::abort();
    return sms;
}

const FakeInstance& signed_sms() {
    static FakeInstance sms = host().create("sms", {{"default_region", "FR"},
                                                    {"twilio_auth_token", "12345"},
                                                    {"vonage_signature_secret", "secret"},
                                                    {"vonage_signature_method", "sha256"},
                                                    {"vonage_max_age", "90000000"}});
    if (!sms) std::abort();
    return sms;
}

void check(const FakeResult& result, bool is_verify) {
    if (!result.violations.empty()) std::abort();
    if (is_verify) {
        if (result.status != Status::kOk && result.status != Status::kUnauthorized) std::abort();
        return;
    }
    // Only a well-formed outcome is acceptable: the guard's 500 would mean an exception escaped.
    const bool refused =
        result.status == Status::kInvalid || result.status == Status::kUnsupportedMediaType;
    const bool well_formed = result.status == Status::kOk ? result.messages.size() == 1
                                                          : refused && !result.errors.empty();
    if (!well_formed) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::string rest(reinterpret_cast<const char*>(data + 1), size - 1);
    FakeRequest request;
    request.path = "/webhooks/sms";
    request.public_url = "https://hooks.example.org/webhooks/sms";
    request.received_at_ms = 1577880000000LL;
    request.headers = {{"X-Twilio-Signature", "0/KCTR6DLpKmkAf8muzZqo1nDgQ="}};
    switch (data[0] % 3) {
        case 0:
            request.content_type = "application/json";
            request.body = rest;
            break;
        case 1:
            request.content_type = "application/x-www-form-urlencoded";
            request.body = rest;
            break;
        default:
            request.method = "GET";
            request.query = rest;
            request.public_url += "?" + rest;
            break;
    }
    check(signed_sms().verify(request), true);
    check(signed_sms().parse(request), false);
    check(unsigned_sms().parse(request), false);
    return 0;
}
