// libFuzzer target for the email plugin's verify and parse: the first input byte picks the
// content type, the rest is the body. Seeds: a fixture prefixed with 0 (message/rfc822),
// 1 (JSON), 2 (urlencoded), 3 (multipart, boundary xYzZY) or 4 (multipart, the Mailgun
// capture's boundary); see README.md.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "memolib/plugins/common/text.hpp"
#include "memolib/sdk/testing/fake_host.hpp"

extern "C" const memolib_plugin_descriptor_t* memolib_plugin_v1(void);

namespace {

using memolib::sdk::Status;
using memolib::sdk::testing::FakeHost;
using memolib::sdk::testing::FakeInstance;
using memolib::sdk::testing::FakeRequest;
using memolib::sdk::testing::FakeResult;

constexpr const char* kContentTypes[] = {
    "message/rfc822",
    "application/json",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=xYzZY",
    "multipart/form-data; boundary=515e0b8d-a7e3-43ef-808e-f27b75edf470",
};
constexpr std::size_t kContentTypeCount = sizeof(kContentTypes) / sizeof(kContentTypes[0]);

// What the host demands of every text it stores (it refuses the request otherwise).
bool storable(const std::string& s) {
    return memolib::plugins::common::is_valid_utf8(s) && s.find('\0') == std::string::npos;
}

bool storable(const memolib::sdk::Message& m) {
    for (const std::string* s : {&m.provider, &m.external_id, &m.sender, &m.sender_name,
                                 &m.recipient, &m.subject, &m.text, &m.html, &m.metadata_json}) {
        if (!storable(*s)) return false;
    }
    for (const memolib::sdk::Attachment& a : m.attachments) {
        if (!storable(a.name) || !storable(a.content_type) || !storable(a.url) ||
            !storable(a.provider_id)) {
            return false;
        }
    }
    return !m.sender.empty();
}

// Secrets configured, so that verify runs the Mailgun and Postmark checks too.
const FakeInstance& instance() {
    static FakeHost host(memolib_plugin_v1());
    static FakeInstance email =
        host.create("email", {{"mailgun_signing_key", "fuzz-key"},
                              {"mailgun_max_age", "900000"},
                              {"postmark_basic_auth", "postmark:fuzz"},
                              {"providers", "mailgun,sendgrid,postmark,mime"}});
    if (!email) std::abort();
    return email;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    FakeRequest request;
    request.path = "/webhooks/email";
    request.content_type = kContentTypes[data[0] % kContentTypeCount];
    request.headers = {{"Authorization", "Basic cG9zdG1hcms6ZnV6eg=="}};
    request.received_at_ms = 1770920772000;
    request.body.assign(reinterpret_cast<const char*>(data + 1), size - 1);

    const FakeResult verified = instance().verify(request);
    if (verified.status != Status::kOk && verified.status != Status::kUnauthorized) std::abort();
    if (!verified.violations.empty()) std::abort();

    const FakeResult parsed = instance().parse(request);
    // Only a well-formed outcome is acceptable: the guard's 500 would mean an exception escaped.
    if (parsed.status != Status::kOk && parsed.status != Status::kInvalid) std::abort();
    if (!parsed.violations.empty()) std::abort();
    if (parsed.status == Status::kOk &&
        (parsed.messages.size() != 1 || !storable(parsed.messages[0]))) {
        std::abort();
    }
    if (parsed.status == Status::kInvalid && parsed.errors.empty()) std::abort();
    return 0;
}
