// End to end, the Slack plugin of examples/slack (SDK 1.1's worked example): built out of tree
// from the SDK's installed copy (the CTest fixture example_slack_build), loaded by the real
// gateway, and posted to over HTTP with requests signed as Slack signs them, now.
#define BOOST_TEST_MODULE e2e_slack
#include <chrono>
#include <filesystem>
#include <string>

#include <boost/test/unit_test.hpp>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "memolib/sdk/signing.hpp"
#include "memolib/sdk/testing/fake_host.hpp"
#include "support/database.hpp"
#include "support/e2e_fixture.hpp"
#include "support/http_client.hpp"
#include "support/json.hpp"

using namespace memolib::test;

namespace {

namespace fs = std::filesystem;

constexpr const char* kPath = "/webhooks/slack";
constexpr const char* kJson = "application/json";
constexpr const char* kSecret = "e2e-slack-signing-secret";

std::string fixture(const std::string& name) {
    return memolib::sdk::testing::read_file(std::string(MEMOLIB_SOURCE_DIR) +
                                            "/examples/slack/tests/fixtures/" + name);
}

// Signs `body` as Slack does, at the present second, apart from the plugin.
HttpResponse post(std::uint16_t port, const std::string& body,
                  const std::string& secret = kSecret) {
    const std::string timestamp =
        std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count());
    const std::string base = "v0:" + timestamp + ":" + body;
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
         reinterpret_cast<const unsigned char*>(base.data()), base.size(), mac, &len);
    const std::string signature =
        "v0=" + memolib::sdk::hex_encode(std::string(reinterpret_cast<const char*>(mac), len));
    return http_post(port, kPath, kJson, body,
                     {{"X-Slack-Request-Timestamp", timestamp}, {"X-Slack-Signature", signature}});
}

/// The gateway with a plugins directory holding only the out-of-tree slack.so.
struct SlackFixture : GatewayFixture {
    SlackFixture() {
        const fs::path built = fs::path(MEMOLIB_BINARY_DIR) / "examples/slack/slack.so";
        BOOST_REQUIRE_MESSAGE(fs::exists(built), built << " is missing: the CTest fixture "
                                                          "example_slack_build builds it");
        const fs::path plugins = dir / "plugins";
        fs::create_directories(plugins);
        fs::copy_file(built, plugins / "slack.so");
        config.plugins_directory = plugins;
        config.channels = {
            {"slack", {{"plugin", "slack"}, {"signing_secret", yaml_quote(kSecret)}}}};
        start();
    }

    long long count() const { return database()->scalar("SELECT COUNT(*) FROM messages"); }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(slack, SlackFixture)

BOOST_AUTO_TEST_CASE(the_url_verification_challenge_comes_back_as_the_answer) {
    const auto r = post(port, fixture("url_verification.json"));
    BOOST_TEST_INFO("answer: " << r.body);
    BOOST_TEST(r.status == 200);
    BOOST_TEST(r.header("Content-Type").value_or("") == "text/plain");
    BOOST_TEST(r.body == "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P");
    BOOST_TEST(count() == 0);
}

BOOST_AUTO_TEST_CASE(a_signed_message_is_stored_once_and_slack_s_retry_is_a_2xx_duplicate) {
    const auto first = post(port, fixture("message.json"));
    BOOST_TEST_INFO("answer: " << first.body);
    BOOST_REQUIRE_EQUAL(first.status, 200);
    BOOST_TEST(string_member(parse_json(first.body), "status") == "stored");
    // Slack retries what it does not take as a success: its retry must be one.
    const auto retry = post(port, fixture("message.json"));
    BOOST_TEST_INFO("retry: " << retry.body);
    BOOST_TEST(retry.status == 200);
    BOOST_TEST(count() == 1);
    const auto rows = database()->query("SELECT provider, external_id, sender, text FROM messages");
    BOOST_REQUIRE_EQUAL(rows.size(), 1U);
    BOOST_TEST(rows[0].at("external_id").value_or("") == "Ev123ABC456");
    BOOST_TEST(rows[0].at("sender").value_or("") == "slack:U123ABC456");
}

BOOST_AUTO_TEST_CASE(a_request_signed_with_another_secret_is_401_and_not_stored) {
    check_error(post(port, fixture("message.json"), "not-the-secret"), 401, "verification_failed");
    BOOST_TEST(count() == 0);
}

BOOST_AUTO_TEST_SUITE_END()
