// Unit test of the Slack plugin with the SDK's fake host: it loads slack.so with dlopen, as the
// gateway does, and drives its hooks with the fixtures, signed as Slack signs them. No test
// framework, so that the example needs nothing beyond the SDK: each failed check prints
// itself, and the exit status is the number of failures.
#include <cstdint>
#include <cstdio>
#include <string>

#include "memolib/sdk/signing.hpp"
#include "memolib/sdk/testing/fake_host.hpp"

namespace {

namespace sdk = memolib::sdk;
using sdk::Status;
using sdk::testing::FakeHost;
using sdk::testing::FakeInstance;
using sdk::testing::FakeOutcome;
using sdk::testing::FakeRequest;
using sdk::testing::FakeResult;

int failures = 0;

#define CHECK(condition)                                                                       \
    do {                                                                                       \
        if (!(condition)) {                                                                    \
            ++failures;                                                                        \
            std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #condition); \
        }                                                                                      \
    } while (false)

// Slack's documentation's example secret; the signatures below were made with it at kSignedAt.
constexpr const char* kSecret = "8f742231b10e8888abcd99yyyzzz85a5";
constexpr const char* kSignedAt = "1531420618";
constexpr std::int64_t kSignedAtMs = 1531420618000;
constexpr const char* kMessageSignature =
    "v0=53bdd8b9c7baa569f15ead3850b5b85f6803bfe7efa2b51309ef8dbb1c392a8b";
constexpr const char* kChallengeSignature =
    "v0=2b88ed3bb56a461e596e03f0937cc529c82a904ae710e253ca9328908562c585";

std::string fixture(const std::string& name) {
    return sdk::testing::read_file(std::string(SLACK_FIXTURES) + "/" + name);
}

FakeRequest event(const std::string& name, const std::string& signature,
                  std::int64_t now_ms = kSignedAtMs + 30000) {
    FakeRequest r;
    r.path = "/webhooks/slack";
    r.content_type = "application/json";
    r.body = fixture(name);
    r.received_at_ms = now_ms;
    r.headers.emplace_back("X-Slack-Request-Timestamp", kSignedAt);
    if (!signature.empty()) r.headers.emplace_back("X-Slack-Signature", signature);
    return r;
}

void a_signed_message_is_verified_and_normalized(const FakeInstance& slack) {
    const FakeRequest request = event("message.json", kMessageSignature);
    const FakeResult v = slack.verify(request);
    CHECK(v.status == Status::kOk);
    CHECK(v.violations.empty());
    const FakeResult p = slack.parse(request);
    CHECK(p.status == Status::kOk);
    CHECK(p.messages.size() == 1);
    if (p.messages.size() != 1) return;
    CHECK(p.messages[0].external_id == "Ev123ABC456");
    CHECK(p.messages[0].sender == "slack:U123ABC456");
    CHECK(p.messages[0].text == "Bonjour, pouvez-vous me rappeler ?");
    CHECK(p.messages[0].provider_timestamp_ms == 1355517523000);
}

void a_wrong_or_stale_signature_is_refused(const FakeInstance& slack) {
    const FakeResult wrong = slack.verify(event("message.json", kChallengeSignature));
    CHECK(wrong.status == Status::kUnauthorized);
    CHECK(wrong.has_error("X-Slack-Signature", "bad_signature"));
    const FakeResult missing = slack.verify(event("message.json", ""));
    CHECK(missing.has_error("X-Slack-Signature", "missing_signature"));
    const FakeResult stale =
        slack.verify(event("message.json", kMessageSignature, kSignedAtMs + 6 * 60 * 1000));
    CHECK(stale.status == Status::kUnauthorized);
    CHECK(stale.has_error("X-Slack-Request-Timestamp", "stale_timestamp"));
}

void the_url_verification_challenge_is_answered(const FakeInstance& slack) {
    const FakeRequest request = event("url_verification.json", kChallengeSignature);
    CHECK(slack.verify(request).status == Status::kOk);
    const FakeResult p = slack.parse(request);
    CHECK(p.status == Status::kOk);
    CHECK(p.messages.empty());
    FakeOutcome accepted;
    accepted.kind = sdk::OutcomeKind::kAccepted;
    const FakeResult a = slack.answer(request, accepted);
    CHECK(a.status == Status::kOk);
    CHECK(a.violations.empty());
    CHECK(a.response.has_value());
    if (!a.response) return;
    CHECK(a.response->status == 200);
    CHECK(a.response->content_type == "text/plain");
    CHECK(a.response->body == "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P");
}

void other_events_keep_the_host_s_answer(const FakeInstance& slack) {
    const FakeResult p = slack.parse(event("reaction_added.json", ""));
    CHECK(p.status == Status::kOk);
    CHECK(p.messages.empty());
    FakeOutcome stored;
    const FakeResult a = slack.answer(event("message.json", kMessageSignature), stored);
    CHECK(a.status == Status::kOk);
    CHECK(!a.response.has_value());
}

void the_signing_helpers_round_trip() {
    CHECK(sdk::hex_encode("\x01\xab") == "01ab");
    CHECK(sdk::hex_decode("01AB") == std::string("\x01\xab"));
    CHECK(!sdk::hex_decode("0g").has_value());
    CHECK(sdk::base64_encode("memolib") == "bWVtb2xpYg==");
    CHECK(sdk::base64_decode("bWVtb2xpYg==") == std::string("memolib"));
    CHECK(!sdk::base64_decode("b!==").has_value());
    CHECK(sdk::constant_time_equal("abc", "abc"));
    CHECK(!sdk::constant_time_equal("abc", "abd"));
    CHECK(!sdk::constant_time_equal("abc", "abcd"));
    CHECK(sdk::within_tolerance(1000, 301000, 300000));
    CHECK(!sdk::within_tolerance(1000, 301001, 300000));
    CHECK(sdk::within_tolerance(301000, 1000, 300000));
}

}  // namespace

int main() {
    try {
        const FakeHost host(SLACK_PLUGIN);
        const FakeInstance slack = host.create("slack", {{"signing_secret", kSecret}});
        CHECK(static_cast<bool>(slack));
        CHECK(!host.create("slack", {{"signing_secret", ""}}));
        if (slack) {
            a_signed_message_is_verified_and_normalized(slack);
            a_wrong_or_stale_signature_is_refused(slack);
            the_url_verification_challenge_is_answered(slack);
            other_events_keep_the_host_s_answer(slack);
        }
        the_signing_helpers_round_trip();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 1;
    }
    if (failures > 0) std::fprintf(stderr, "%d check(s) failed\n", failures);
    return failures;
}
