// libFuzzer target for the form plugin's verify and parse: the first input byte picks the
// content type, the rest is the body. Seeds: a fixture prefixed with 0 (JSON: website or
// Typeform), 1 (urlencoded) or 2 (multipart, boundary ----WebKitFormBoundary7MA4YWxkTrZu0gW).
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

constexpr const char* kContentTypes[] = {
    "application/json",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW",
};

const FakeInstance& instance() {
    static FakeHost host(memolib_plugin_v1());
    // With a Typeform secret, so that verify runs its detection and signature check too.
    static FakeInstance form =
        host.create("form", {{"default_region", "FR"}, {"typeform_secret", "fuzz"}});
    if (!form) std::abort();
    return form;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    FakeRequest request;
    request.path = "/webhooks/form";
    request.content_type = kContentTypes[data[0] % 3];
    request.body.assign(reinterpret_cast<const char*>(data + 1), size - 1);
    request.headers.emplace_back("Typeform-Signature", "sha256=AAAA");
    const FakeResult verified = instance().verify(request);
    if (verified.status != Status::kOk && verified.status != Status::kUnauthorized) std::abort();
    if (!verified.violations.empty()) std::abort();
    const FakeResult result = instance().parse(request);
    // Only a well-formed outcome is acceptable: the guard's 500 would mean an exception escaped.
    if (result.status != Status::kOk && result.status != Status::kInvalid) std::abort();
    if (!result.violations.empty()) std::abort();
    if (result.status == Status::kOk && result.messages.size() != 1) std::abort();
    return 0;
}
