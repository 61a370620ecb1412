// End-to-end tests of the whatsapp channel: the real gateway binary on a free loopback port, the
// real whatsapp plugin, an SQLite database, checked from the outside (HTTP answers and rows).
// Signatures are computed here from the secrets the test configures.
#define BOOST_TEST_MODULE e2e_whatsapp
#include <algorithm>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>

#include <boost/test/unit_test.hpp>
#include <sqlite3.h>

#include "memolib/plugins/common/crypto.hpp"
#include "memolib/plugins/common/form_data.hpp"
#include "support/database.hpp"
#include "support/e2e_fixture.hpp"
#include "support/http_client.hpp"
#include "support/json.hpp"

using namespace memolib::test;
namespace common = memolib::plugins::common;

namespace {

constexpr const char* kAppSecret = "e2e-meta-app-secret";
constexpr const char* kVerifyToken = "e2e-verify-token";
constexpr const char* kTwilioToken = "e2e-twilio-auth-token";
// Proxies rewrite scheme and host, so the URL providers sign is configured, not rebuilt.
constexpr const char* kPublicUrl = "https://hooks.example.org/webhooks/whatsapp";
constexpr const char* kJson = "application/json";
constexpr const char* kForm = "application/x-www-form-urlencoded";
constexpr const char* kTextWamid = "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=";

std::string fixture(const std::string& name) {
    const std::string path =
        std::string(MEMOLIB_SOURCE_DIR) + "/plugins/whatsapp/tests/fixtures/" + name;
    std::ifstream in(path, std::ios::binary);
    BOOST_REQUIRE_MESSAGE(in, "cannot open " << path);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

ChannelConfig whatsapp_channel(const std::string& verify_mode) {
    return {"whatsapp",
            {{"plugin", "whatsapp"},
             {"verify", verify_mode},
             {"public_url", yaml_quote(kPublicUrl)},
             {"app_secret", yaml_quote(kAppSecret)},
             {"verify_token", yaml_quote(kVerifyToken)},
             {"twilio_auth_token", yaml_quote(kTwilioToken)}}};
}

std::string meta_signature(const std::string& secret, const std::string& body) {
    return "sha256=" + common::hex_encode(common::hmac_sha256(secret, body));
}

// Twilio's scheme: base64 HMAC-SHA1 of the URL followed by each parameter's name and value,
// sorted by name.
std::string twilio_signature(const std::string& token, const std::string& url,
                             const std::string& body) {
    common::FormPairs params = common::parse_urlencoded(body);
    std::stable_sort(params.begin(), params.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    std::string data = url;
    for (const auto& [name, value] : params) data += name + value;
    return common::base64_encode(common::hmac_sha1(token, data));
}

HttpResponse post_meta(std::uint16_t port, const std::string& body, const Headers& headers) {
    return http_post(port, "/webhooks/whatsapp", kJson, body, headers);
}

HttpResponse post_signed_meta(std::uint16_t port, const std::string& body) {
    return post_meta(port, body, {{"X-Hub-Signature-256", meta_signature(kAppSecret, body)}});
}

struct WhatsAppFixture : GatewayFixture {
    explicit WhatsAppFixture(const std::string& verify_mode = "enforce") {
        config.channels = {whatsapp_channel(verify_mode)};
        start();
    }

    long long count_messages() const { return database()->scalar("SELECT COUNT(*) FROM messages"); }
};

struct ReportingFixture : WhatsAppFixture {
    ReportingFixture() : WhatsAppFixture("report") {}
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(whatsapp_channel_enforced, WhatsAppFixture)

BOOST_AUTO_TEST_CASE(meta_text_example_is_stored_once) {
    const std::string body = fixture("meta/text.json");
    const auto first = post_signed_meta(port, body);
    BOOST_TEST_INFO("answer: " << first.body);
    BOOST_REQUIRE_EQUAL(first.status, 200);
    const auto json = parse_json(first.body);
    BOOST_TEST(string_member(json, "status") == "stored");
    BOOST_REQUIRE(json.HasMember("messages") && json["messages"].IsArray());
    BOOST_REQUIRE_EQUAL(json["messages"].Size(), 1U);

    const auto rows = database()->query(
        "SELECT channel, provider, external_id, sender, sender_name, recipient, text, "
        "provider_timestamp FROM messages");
    BOOST_REQUIRE_EQUAL(rows.size(), 1U);
    const auto column = [&](const char* name) { return rows.front().at(name).value_or(""); };
    BOOST_TEST(column("channel") == "whatsapp");
    BOOST_TEST(column("provider") == "meta");
    BOOST_TEST(column("external_id") == kTextWamid);
    BOOST_TEST(column("sender") == "+16505551234");
    BOOST_TEST(column("sender_name") == "Sheena Nelson");
    BOOST_TEST(column("recipient") == "+15550783881");
    BOOST_TEST(column("text") == "Does it come in another color?");
    BOOST_TEST(column("provider_timestamp").rfind("2025-06-08T20:59:43", 0) == 0,
               column("provider_timestamp"));

    // Meta re-sends anything but a 2xx for 7 days: its re-delivery is a 200 duplicate.
    check_duplicate(post_signed_meta(port, body), json["messages"][0]["id"].GetInt64());
    BOOST_TEST(count_messages() == 1);
}

BOOST_AUTO_TEST_CASE(meta_batch_of_two_messages_is_two_rows) {
    const auto response = post_signed_meta(port, fixture("meta/batch.json"));
    BOOST_TEST_INFO("answer: " << response.body);
    BOOST_REQUIRE_EQUAL(response.status, 200);
    const auto json = parse_json(response.body);
    BOOST_REQUIRE(json.HasMember("messages") && json["messages"].IsArray());
    BOOST_TEST(json["messages"].Size() == 2U);
    BOOST_TEST(count_messages() == 2);
    const auto rows = database()->query("SELECT external_id FROM messages ORDER BY id");
    BOOST_REQUIRE_EQUAL(rows.size(), 2U);
    BOOST_TEST(rows[0].at("external_id").value_or("") == kTextWamid);
}

BOOST_AUTO_TEST_CASE(status_only_notification_is_200_and_stores_nothing) {
    const auto response = post_signed_meta(port, fixture("meta/status_sent.json"));
    BOOST_TEST_INFO("answer: " << response.body);
    BOOST_REQUIRE_EQUAL(response.status, 200);
    const auto json = parse_json(response.body);
    BOOST_REQUIRE(json.HasMember("messages") && json["messages"].IsArray());
    BOOST_TEST(json["messages"].Size() == 0U);
    BOOST_TEST(count_messages() == 0);
}

BOOST_AUTO_TEST_CASE(verification_handshake) {
    const auto ok =
        http_get(port, std::string("/webhooks/whatsapp?hub.mode=subscribe&") +
                           "hub.verify_token=" + kVerifyToken + "&hub.challenge=1158201444");
    BOOST_TEST(ok.status == 200);
    BOOST_TEST(ok.body == "1158201444");
    BOOST_TEST(ok.header("Content-Type").value_or("").rfind("text/plain", 0) == 0);

    const auto wrong = http_get(
        port, "/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=guess&hub.challenge=1");
    check_error(wrong, 403, "verification_failed");
    BOOST_TEST(wrong.body.find("1158201444") == std::string::npos);
    BOOST_TEST(count_messages() == 0);
}

BOOST_AUTO_TEST_CASE(bad_meta_signatures_are_401) {
    const std::string body = fixture("meta/text.json");
    std::string tampered = body;
    tampered.replace(tampered.find("another color"), 13, "another size!");
    check_error(
        post_meta(port, tampered, {{"X-Hub-Signature-256", meta_signature(kAppSecret, body)}}), 401,
        "verification_failed");
    check_error(post_meta(port, body, {{"X-Hub-Signature-256", meta_signature("wrong", body)}}),
                401, "verification_failed");
    check_error(post_meta(port, body, {}), 401, "verification_failed");
    BOOST_TEST(count_messages() == 0);
}

BOOST_AUTO_TEST_CASE(twilio_example_with_a_valid_signature_is_stored) {
    const std::string body = fixture("twilio/text.urlencoded");
    const auto refused =
        http_post(port, "/webhooks/whatsapp", kForm, body,
                  {{"X-Twilio-Signature", twilio_signature("wrong", kPublicUrl, body)}});
    check_error(refused, 401, "verification_failed");

    const auto response =
        http_post(port, "/webhooks/whatsapp", kForm, body,
                  {{"X-Twilio-Signature", twilio_signature(kTwilioToken, kPublicUrl, body)}});
    // Twilio logs anything but TwiML (or a 204) as error 12300.
    check_twiml(response);
    const auto rows =
        database()->query("SELECT provider, external_id, sender, sender_name, text FROM messages");
    BOOST_REQUIRE_EQUAL(rows.size(), 1U);
    const auto column = [&](const char* name) { return rows.front().at(name).value_or(""); };
    BOOST_TEST(column("provider") == "twilio");
    BOOST_TEST(column("external_id") == "SM5a2b6c0e9f4d43e1a8b7c6d5e4f3a2b1");
    BOOST_TEST(column("sender") == "+33612345678");
    BOOST_TEST(column("sender_name") == "Jeanne Martin");

    // Its re-delivery is a success in the same form, and stores nothing more.
    check_twiml(
        http_post(port, "/webhooks/whatsapp", kForm, body,
                  {{"X-Twilio-Signature", twilio_signature(kTwilioToken, kPublicUrl, body)}}));
    BOOST_TEST(count_messages() == 1);
}

BOOST_AUTO_TEST_CASE(unknown_provider_and_media_type) {
    const std::string form = "name=Jeanne&message=bonjour";
    const auto json = check_error(
        http_post(port, "/webhooks/whatsapp", kForm, form,
                  {{"X-Twilio-Signature", twilio_signature(kTwilioToken, kPublicUrl, form)}}),
        400, "invalid_payload");
    BOOST_TEST((json.IsObject() && json.HasMember("details")));
    check_error(http_post(port, "/webhooks/whatsapp", "text/plain", "hello"), 415,
                "unsupported_media_type");
    BOOST_TEST(count_messages() == 0);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_CASE(verify_report_accepts_bad_signatures, ReportingFixture) {
    const std::string body = fixture("meta/text.json");
    const auto response =
        post_meta(port, body, {{"X-Hub-Signature-256", meta_signature("wrong", body)}});
    BOOST_TEST_INFO("answer: " << response.body);
    BOOST_TEST(response.status == 200);
    const auto unsigned_batch = post_meta(port, fixture("meta/batch.json"), {});
    BOOST_TEST(unsigned_batch.status == 200);
    BOOST_TEST(count_messages() == 2);  // the batch repeats the text example: one duplicate
}

BOOST_FIXTURE_TEST_CASE(an_unsigned_provider_never_takes_a_signed_provider_s_message,
                        GatewayFixture) {
    // Twilio has a secret, Meta none: Meta-format posts are accepted unsigned, and one of them
    // names the message id of a Twilio message before Twilio delivers it.
    config.stages = {"size_limit", "verify", "parse", "enrich", "dedup", "cache", "persist"};
    config.channels = {{"whatsapp",
                        {{"plugin", "whatsapp"},
                         {"public_url", yaml_quote(kPublicUrl)},
                         {"twilio_auth_token", yaml_quote(kTwilioToken)}}}};
    start();
    const std::string sid = "SM5a2b6c0e9f4d43e1a8b7c6d5e4f3a2b1";
    std::string meta = fixture("meta/text.json");
    meta.replace(meta.find(kTextWamid), std::string(kTextWamid).size(), sid);
    const auto unsigned_post = post_meta(port, meta, {});
    BOOST_TEST_INFO("answer: " << unsigned_post.body);
    BOOST_REQUIRE_EQUAL(unsigned_post.status, 200);

    const std::string body = fixture("twilio/text.urlencoded");
    const auto signed_post =
        http_post(port, "/webhooks/whatsapp", kForm, body,
                  {{"X-Twilio-Signature", twilio_signature(kTwilioToken, kPublicUrl, body)}});
    check_twiml(signed_post);
    BOOST_TEST(!signed_post.header("X-Idempotent-Replay").has_value());
    const auto rows = database()->query("SELECT provider FROM messages WHERE external_id = '" +
                                        sid + "' ORDER BY id");
    BOOST_REQUIRE_EQUAL(rows.size(), 2U);
    BOOST_TEST(rows[0].at("provider").value_or("") == "meta");
    BOOST_TEST(rows[1].at("provider").value_or("") == "twilio");
}

BOOST_FIXTURE_TEST_CASE(a_meta_redelivery_after_the_upgrade_is_still_a_duplicate, GatewayFixture) {
    // The database as a gateway of schema version 1 left it: the Meta text example stored under
    // version 1's key, SHA-256("v1\0id\0" channel "\0" message id), which has no provider.
    // (The harness opens SQLite read-only, so the old database is written here.)
    sqlite3* handle = nullptr;
    const int opened = sqlite3_open(storage.url().c_str(), &handle);
    const std::unique_ptr<sqlite3, int (*)(sqlite3*)> old(handle, &sqlite3_close);
    BOOST_REQUIRE_EQUAL(opened, SQLITE_OK);
    const auto run = [&old](const std::string& sql) {
        char* error = nullptr;
        const int rc = sqlite3_exec(old.get(), sql.c_str(), nullptr, nullptr, &error);
        BOOST_REQUIRE_MESSAGE(rc == SQLITE_OK, (error != nullptr ? error : "?") << ": " << sql);
    };
    run("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
        "applied_at TEXT NOT NULL)");
    run("INSERT INTO schema_migrations VALUES (1, 'create messages', '2026-11-01T00:00Z')");
    run(R"(CREATE TABLE messages (
  id INTEGER PRIMARY KEY AUTOINCREMENT, channel TEXT NOT NULL, provider TEXT NOT NULL,
  external_id TEXT, sender TEXT, sender_masked TEXT, sender_name TEXT, recipient TEXT,
  subject TEXT, text TEXT, html TEXT, attachments TEXT NOT NULL DEFAULT '[]',
  provider_timestamp TEXT, received_at TEXT NOT NULL,
  language TEXT NOT NULL DEFAULT 'unknown', priority TEXT NOT NULL DEFAULT 'normal',
  dedup_key TEXT NOT NULL, request_id TEXT NOT NULL, metadata TEXT, raw_content_type TEXT,
  raw_encoding TEXT NOT NULL, raw_payload TEXT NOT NULL,
  CONSTRAINT messages_dedup_key_unique UNIQUE (dedup_key)))");
    const std::string v1_key =
        common::hex_encode(common::sha256(std::string("v1\0id\0whatsapp\0", 16) + kTextWamid));
    run("INSERT INTO messages (channel, provider, external_id, sender, text, received_at, "
        "dedup_key, request_id, raw_encoding, raw_payload) VALUES ('whatsapp', 'meta', " +
        sql_literal(kTextWamid) +
        ", '+16505551234', 'Does it come in another color?', '2026-11-28T10:00:00.000Z', " +
        sql_literal(v1_key) + ", 'r', 'utf8', '{}')");

    config.channels = {whatsapp_channel("enforce")};
    start();
    // Meta retries for seven days: its re-delivery, days after the upgrade, is the old row's.
    const auto json = check_duplicate(post_signed_meta(port, fixture("meta/text.json")), 1);
    BOOST_TEST(json["messages"].Size() == 1U);
    BOOST_TEST(database()->scalar("SELECT COUNT(*) FROM messages") == 1);
    BOOST_TEST(database()->scalar("SELECT COUNT(*) FROM schema_migrations WHERE version = 2") == 1);
}
