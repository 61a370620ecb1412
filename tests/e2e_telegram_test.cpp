// End to end, the Telegram plugin of examples/telegram: built out of tree against the installed
// SDK alone (the CTest fixture example_telegram_build), dropped into a plugins directory, loaded
// by the real gateway and posted to over HTTP, with the rows checked in the database.
#define BOOST_TEST_MODULE e2e_telegram
#include <filesystem>
#include <string>

#include <boost/test/unit_test.hpp>

#include "memolib/sdk/testing/fake_host.hpp"
#include "support/database.hpp"
#include "support/e2e_fixture.hpp"
#include "support/http_client.hpp"
#include "support/json.hpp"

using namespace memolib::test;

namespace {

namespace fs = std::filesystem;

constexpr const char* kPath = "/webhooks/telegram";
constexpr const char* kJson = "application/json";
constexpr const char* kSecret = "e2e_telegram-secret";
constexpr const char* kSecretHeader = "X-Telegram-Bot-Api-Secret-Token";

std::string fixture(const std::string& name) {
    return memolib::sdk::testing::read_file(std::string(MEMOLIB_SOURCE_DIR) +
                                            "/examples/telegram/tests/fixtures/" + name);
}

HttpResponse post(std::uint16_t port, const std::string& body,
                  const std::string& secret = kSecret) {
    Headers headers;
    if (!secret.empty()) headers.emplace_back(kSecretHeader, secret);
    return http_post(port, kPath, kJson, body, headers);
}

/// The gateway with a plugins directory holding only the out-of-tree telegram.so.
struct TelegramFixture : GatewayFixture {
    TelegramFixture() {
        const fs::path built = fs::path(MEMOLIB_BINARY_DIR) / "examples/telegram/telegram.so";
        BOOST_REQUIRE_MESSAGE(fs::exists(built), built << " is missing: the CTest fixture "
                                                          "example_telegram_build builds it");
        const fs::path plugins = dir / "plugins";
        fs::create_directories(plugins);
        fs::copy_file(built, plugins / "telegram.so");
        config.plugins_directory = plugins;
        config.channels = {
            {"telegram", {{"plugin", "telegram"}, {"secret_token", yaml_quote(kSecret)}}}};
        start();
    }

    long long count() const { return database()->scalar("SELECT COUNT(*) FROM messages"); }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(telegram, TelegramFixture)

BOOST_AUTO_TEST_CASE(text_message_is_stored_once_and_its_retry_is_a_duplicate) {
    const auto first = post(port, fixture("message_text.json"));
    BOOST_TEST_INFO("answer: " << first.body);
    BOOST_REQUIRE_EQUAL(first.status, 200);
    BOOST_TEST(string_member(parse_json(first.body), "status") == "stored");
    const auto rows =
        database()->query("SELECT channel, provider, external_id, sender, text FROM messages");
    BOOST_REQUIRE_EQUAL(rows.size(), 1U);
    BOOST_TEST(rows[0].at("channel").value_or("") == "telegram");
    BOOST_TEST(rows[0].at("provider").value_or("") == "telegram");
    BOOST_TEST(rows[0].at("external_id").value_or("") == "1111111:1365");
    BOOST_TEST(rows[0].at("sender").value_or("") == "telegram:1111111");
    BOOST_TEST(rows[0].at("text").value_or("") == "/start");

    // Telegram re-sends an update until it gets a 2xx: the same one again is a 200 duplicate
    // of the first row, not stored twice.
    check_duplicate(post(port, fixture("message_text.json")), first_message_id(first));
    BOOST_TEST(count() == 1);
}

BOOST_AUTO_TEST_CASE(an_edit_is_stored_beside_the_original) {
    BOOST_REQUIRE_EQUAL(post(port, fixture("message_text.json")).status, 200);
    const auto edit = post(port, fixture("edited_message.json"));
    BOOST_TEST(edit.status == 200, edit.body);
    BOOST_TEST(count() == 2);
}

BOOST_AUTO_TEST_CASE(wrong_or_missing_secret_token_is_401_and_stores_nothing) {
    check_error(post(port, fixture("message_text.json"), "not-the-secret"), 401,
                "verification_failed");
    check_error(post(port, fixture("message_text.json"), ""), 401, "verification_failed");
    BOOST_TEST(count() == 0);
}

BOOST_AUTO_TEST_CASE(update_without_a_message_is_accepted_with_nothing_stored) {
    const auto response = post(port, fixture("callback_query.json"));
    BOOST_REQUIRE_EQUAL(response.status, 200);
    const auto json = parse_json(response.body);
    BOOST_TEST(string_member(json, "status") == "accepted");
    BOOST_TEST(
        (json.HasMember("messages") && json["messages"].IsArray() && json["messages"].Empty()));
    BOOST_TEST(count() == 0);
}

BOOST_AUTO_TEST_CASE(update_without_update_id_is_400_naming_it_and_quarantined) {
    // What parse says, as a dry run shows it.
    const auto body =
        check_error(http_post(port, std::string(kPath) + "?dry_run=1", kJson,
                              R"({"message": {"message_id": 1}})", {{kSecretHeader, kSecret}}),
                    400, "invalid_payload");
    bool named = false;
    for (const auto& detail : body["details"].GetArray()) {
        named = named || string_member(detail, "field") == "update_id";
    }
    BOOST_TEST(named, "a detail names update_id");
    // Sent with the secret token, it is Telegram's: quarantined, its details kept, and the
    // header carrying the token left out of the stored headers.
    const auto response = post(port, R"({"message": {"message_id": 1}})");
    BOOST_REQUIRE_EQUAL(response.status, 200);
    BOOST_TEST(string_member(parse_json(response.body), "status") == "quarantined");
    const auto rows = database()->query("SELECT details, headers FROM quarantine");
    BOOST_REQUIRE_EQUAL(rows.size(), 1U);
    BOOST_TEST(rows[0].at("details").value().find("update_id") != std::string::npos);
    BOOST_TEST(rows[0].at("headers").value().find(kSecret) == std::string::npos);
    BOOST_TEST(count() == 0);
    // Without the token it never reaches parse.
    check_error(post(port, R"({"message": {"message_id": 1}})", ""), 401, "verification_failed");
}

BOOST_AUTO_TEST_SUITE_END()
