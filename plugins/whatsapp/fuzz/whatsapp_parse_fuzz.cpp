// libFuzzer target for the whatsapp plugin's parse (and verify and handshake, which read the
// same untrusted bytes): the first input byte picks the content type, the rest is the body.
// Seeds: a fixture prefixed with 0 (JSON, Meta) or 1 (form-encoded, Twilio).
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

constexpr const char* kContentTypes[] = {"application/json", "application/x-www-form-urlencoded"};

const FakeInstance& instance() {
    static FakeHost host(memolib_plugin_v1());
    static FakeInstance whatsapp = host.create(
        "whatsapp",
        {{"app_secret", "secret"}, {"verify_token", "token"}, {"twilio_auth_token", "12345"}});
    if (!whatsapp) std::abort();
    return whatsapp;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    FakeRequest request;
    request.path = "/webhooks/whatsapp";
    request.public_url = "https://hooks.example.org/webhooks/whatsapp";
    request.content_type = kContentTypes[data[0] % 2];
    request.body.assign(reinterpret_cast<const char*>(data + 1), size - 1);
    request.headers = {{"X-Hub-Signature-256", "sha256=00"}, {"X-Twilio-Signature", "AA=="}};

    // Only a well-formed outcome is acceptable: the guard's 500 would mean an exception escaped.
    const FakeResult parsed = instance().parse(request);
    if (parsed.status != Status::kOk && parsed.status != Status::kInvalid) std::abort();
    if (!parsed.violations.empty()) std::abort();
    if (parsed.status == Status::kInvalid && parsed.errors.empty()) std::abort();

    const FakeResult verified = instance().verify(request);
    if (verified.status != Status::kOk && verified.status != Status::kUnauthorized) std::abort();

    // The same bytes as the query string of Meta's GET handshake.
    FakeRequest get;
    get.method = "GET";
    get.query = request.body;
    const FakeResult shaken = instance().handshake(get);
    if (shaken.status != Status::kOk && shaken.status != Status::kForbidden &&
        shaken.status != Status::kInvalid) {
        std::abort();
    }
    if (!shaken.violations.empty()) std::abort();
    return 0;
}
