// End-to-end tests of the email channel: the real gateway binary and the real email plugin, each
// provider's example posted over HTTP, then the stored rows read back from the database.
#define BOOST_TEST_MODULE e2e_email
#include <chrono>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "memolib/plugins/common/crypto.hpp"
#include "support/database.hpp"
#include "support/e2e_fixture.hpp"
#include "support/http_client.hpp"
#include "support/json.hpp"
#include "support/redis_server.hpp"

using namespace memolib::test;
namespace common = memolib::plugins::common;

namespace {

constexpr const char* kMailgunKey = "e2e-mailgun-signing-key";
constexpr const char* kPostmarkAuth = "postmark:e2e-s3cret";
constexpr const char* kUrlencoded = "application/x-www-form-urlencoded";
constexpr const char* kSendgridMultipart = "multipart/form-data; boundary=xYzZY";
// What the urlencoded Mailgun fixture carries (plugins/email/tests/fixtures/README.md).
constexpr const char* kFixtureSignatureFields =
    "timestamp=1770920772&token=e0b5477167110d68991efc6b9f89f0a11066af27834600e123&signature="
    "dc94f18bf51a10ceb32fab2614da2c0dbe378e6b2166439707369a6b59adfce8";

std::string fixture(const std::string& name) {
    const std::string path =
        std::string(MEMOLIB_SOURCE_DIR) + "/plugins/email/tests/fixtures/" + name;
    std::ifstream in(path, std::ios::binary);
    BOOST_REQUIRE_MESSAGE(in, "cannot open " << path);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

long long now_seconds() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string replace_once(std::string s, const std::string& from, const std::string& to) {
    const std::size_t at = s.find(from);
    BOOST_REQUIRE_MESSAGE(at != std::string::npos, "'" << from << "' not found");
    return s.replace(at, from.size(), to);
}

struct MailgunSignature {
    std::string timestamp;
    std::string token;
    std::string signature;
};

// Signs as Mailgun does: hex HMAC-SHA256(key, timestamp + token).
MailgunSignature sign(const std::string& key, long long timestamp) {
    MailgunSignature s;
    s.timestamp = std::to_string(timestamp);
    s.token = random_hex(50);
    s.signature = common::hex_encode(common::hmac_sha256(key, s.timestamp + s.token));
    return s;
}

// The urlencoded Mailgun fixture with its signature fields replaced.
std::string mailgun_body(const MailgunSignature& s) {
    std::string fields = "timestamp=" + s.timestamp + "&token=" + s.token;
    if (!s.signature.empty()) fields += "&signature=" + s.signature;
    return replace_once(fixture("mailgun_forward.urlencoded"), kFixtureSignatureFields, fields);
}

HttpResponse post(std::uint16_t port, const std::string& content_type, const std::string& body,
                  const Headers& headers = {}) {
    return http_post(port, "/webhooks/email", content_type, body, headers);
}

std::string basic(const std::string& credentials) {
    return "Basic " + common::base64_encode(credentials);
}

ChannelConfig email_channel(const std::string& verify = "enforce") {
    return {"email",
            {{"plugin", "email"},
             {"max_body", "10MiB"},
             {"verify", verify},
             {"mailgun_signing_key", yaml_quote(kMailgunKey)},
             {"postmark_basic_auth", yaml_quote(kPostmarkAuth)}}};
}

struct EmailFixture : GatewayFixture {
    EmailFixture() {
        config.channels = {email_channel()};
        start();
    }

    long long rows() const { return database()->scalar("SELECT COUNT(*) FROM messages"); }

    // The only stored row (the test stores one message at a time).
    Row only_row() const {
        const auto found = database()->query(
            "SELECT channel, provider, external_id, sender, sender_name, recipient, subject, text, "
            "html, attachments, provider_timestamp, metadata FROM messages");
        BOOST_REQUIRE_EQUAL(found.size(), 1U);
        return found.front();
    }

    /// Returns the id of the first row stored.
    long long expect_stored(const HttpResponse& response) const {
        BOOST_TEST_INFO("answer: " << response.body);
        BOOST_REQUIRE_EQUAL(response.status, 200);
        const auto json = parse_json(response.body);
        BOOST_TEST(string_member(json, "status") == "stored");
        return first_message_id(response);
    }
};

std::string column(const Row& row, const char* name) { return row.at(name).value_or(""); }

}  // namespace

BOOST_FIXTURE_TEST_SUITE(email_channel_tests, EmailFixture)

BOOST_AUTO_TEST_CASE(mailgun_signed_post_is_stored) {
    expect_stored(post(port, kUrlencoded, mailgun_body(sign(kMailgunKey, now_seconds()))));
    const Row row = only_row();
    BOOST_TEST(column(row, "channel") == "email");
    BOOST_TEST(column(row, "provider") == "mailgun");
    BOOST_TEST(column(row, "external_id") == "517ACC75.5010709@example.com");
    BOOST_TEST(column(row, "sender") == "bob@example.com");
    BOOST_TEST(column(row, "sender_name") == "Bob");
    BOOST_TEST(column(row, "recipient") == "alice@example.com");
    BOOST_TEST(column(row, "subject") == "Re: Sample POST request");
    BOOST_TEST(column(row, "text").rfind("Hi Alice,\n\nThis is Bob.", 0) == 0);
    BOOST_TEST(column(row, "provider_timestamp") == "2026-02-12T18:26:09.000Z");
    BOOST_TEST(column(row, "metadata").find(R"("in_reply_to":"517AC78B.5060404@example.com")") !=
               std::string::npos);
}

BOOST_AUTO_TEST_CASE(mailgun_retry_of_the_same_message_is_a_duplicate) {
    // Each Mailgun attempt is signed afresh; the Message-Id is what makes it the same message.
    const long long id =
        expect_stored(post(port, kUrlencoded, mailgun_body(sign(kMailgunKey, now_seconds()))));
    // Mailgun retries anything but a 200 for 8 hours: its re-delivery is a 200 duplicate.
    const auto again = post(port, kUrlencoded, mailgun_body(sign(kMailgunKey, now_seconds())));
    check_duplicate(again, id);
    BOOST_TEST(rows() == 1);
}

BOOST_AUTO_TEST_CASE(mailgun_bad_signatures_are_401) {
    const long long now = now_seconds();
    MailgunSignature tampered = sign(kMailgunKey, now);
    tampered.token = random_hex(50);
    MailgunSignature missing = sign(kMailgunKey, now);
    missing.signature.clear();
    const std::vector<std::pair<std::string, MailgunSignature>> cases = {
        {"tampered token", tampered},
        {"wrong key", sign("not-the-signing-key", now)},
        {"missing signature", missing},
        {"stale timestamp (16 min)", sign(kMailgunKey, now - 960)},
        {"future timestamp (16 min)", sign(kMailgunKey, now + 960)},
    };
    for (const auto& [what, signature] : cases) {
        BOOST_TEST_CONTEXT(what) {
            const auto json = check_error(post(port, kUrlencoded, mailgun_body(signature)), 401,
                                          "verification_failed");
            BOOST_TEST((json.HasMember("details") && json["details"].IsArray() &&
                        json["details"].Size() > 0U),
                       "the details say which check failed");
        }
    }
    BOOST_TEST(rows() == 0);
}

BOOST_AUTO_TEST_CASE(sendgrid_default_payload_is_stored) {
    expect_stored(post(port, kSendgridMultipart, fixture("sendgrid_default.multipart")));
    const Row row = only_row();
    BOOST_TEST(column(row, "provider") == "sendgrid");
    BOOST_TEST(column(row, "external_id") ==
               "CAAzJDmKK=-=RRYtNxwMhg4Z=Qy96H1mZva0GNf1JqhhDyPf-dA@mail.gmail.com");
    BOOST_TEST(column(row, "sender") == "random@gmail.com");
    BOOST_TEST(column(row, "subject") == "Fwd: Test Subject");
}

BOOST_AUTO_TEST_CASE(sendgrid_raw_payload_is_stored) {
    expect_stored(post(port, kSendgridMultipart, fixture("sendgrid_raw.multipart")));
    const Row row = only_row();
    BOOST_TEST(column(row, "provider") == "sendgrid");
    BOOST_TEST(column(row, "external_id") ==
               "CAF5GBptN93asLzEJvFTz_MLY0ftvfbVnaNNFdYdPcpX7qtnSgQ@mail.gmail.com");
    BOOST_TEST(column(row, "sender") == "forwarding-noreply@google.com");
    BOOST_TEST(
        column(row, "subject") ==
        "(#123456789) Gmail Forwarding Confirmation - Receive Mail from test_test@gmail.com");
}

BOOST_AUTO_TEST_CASE(postmark_example_with_basic_auth_is_stored) {
    expect_stored(post(port, "application/json", fixture("postmark_inbound.json"),
                       {{"Authorization", basic(kPostmarkAuth)}}));
    const Row row = only_row();
    BOOST_TEST(column(row, "provider") == "postmark");
    BOOST_TEST(column(row, "external_id") == "73e6d360-66eb-11e1-8e72-a8904824019b");
    BOOST_TEST(column(row, "sender") == "support@postmarkapp.com");
    BOOST_TEST(column(row, "subject") == "Test subject");
    BOOST_TEST(column(row, "attachments") ==
               R"([{"name":"test.txt","content_type":"text/plain","size":45}])");
}

BOOST_AUTO_TEST_CASE(postmark_wrong_or_missing_basic_auth_is_401) {
    const std::string body = fixture("postmark_inbound.json");
    check_error(post(port, "application/json", body, {{"Authorization", basic("postmark:guess")}}),
                401, "verification_failed");
    check_error(post(port, "application/json", body), 401, "verification_failed");
    BOOST_TEST(rows() == 0);
}

BOOST_AUTO_TEST_CASE(latin1_quoted_printable_message_is_stored_as_utf8) {
    expect_stored(post(port, "message/rfc822", fixture("latin1_quoted_printable.eml")));
    const Row row = only_row();
    BOOST_TEST(column(row, "provider") == "mime");
    BOOST_TEST(column(row, "external_id") == "20250311093000.4242@mail.example.fr");
    BOOST_TEST(column(row, "sender") == "francois.leger@example.fr");
    BOOST_TEST(column(row, "sender_name") == "Fran\xc3\xa7ois L\xc3\xa9ger");
    BOOST_TEST(column(row, "subject") ==
               "Rendez-vous \xc3\xa0 pr\xc3\xa9voir pour la succession de mon p\xc3\xa8re");
    BOOST_TEST(column(row, "text") ==
               "Bonjour Ma\xc3\xaetre,\n\nJe souhaiterais un rendez-vous \xc3\xa0 propos de la "
               "succession de mon p\xc3\xa8re. Seriez-vous disponible la semaine "
               "prochaine\xc2\xa0?\n\nBien cordialement,\nFran\xc3\xa7ois L\xc3\xa9ger");
}

BOOST_AUTO_TEST_CASE(duplicate_message_id_is_a_200_duplicate_and_stored_once) {
    const std::string message = fixture("rfc5322_a1_1.eml");
    const long long id = expect_stored(post(port, "message/rfc822", message));
    check_duplicate(post(port, "message/rfc822", message), id);
    // The same Message-Id with a different body (a re-sent copy) is still the same message.
    check_duplicate(post(port, "message/rfc822", message + "\r\n-- \r\nSent again\r\n"), id);
    BOOST_TEST(rows() == 1);
}

BOOST_AUTO_TEST_CASE(mime_attachments_are_stored_as_descriptors) {
    expect_stored(post(port, "message/rfc822", fixture("multipart_alternative_attachments.eml")));
    const Row row = only_row();
    const std::string attachments = column(row, "attachments");
    BOOST_TEST(attachments.find("\"name\":\"devis r\xc3\xa9novation.pdf\"") != std::string::npos,
               attachments);
    BOOST_TEST(attachments.find(R"("content_type":"application/pdf","size":77)") !=
               std::string::npos);
    BOOST_TEST(attachments.find("JVBERi0") == std::string::npos, "no base64 bytes are stored");
}

BOOST_AUTO_TEST_CASE(unknown_provider_is_400_and_other_media_types_415) {
    const auto json =
        check_error(post(port, kUrlencoded, "name=Jeanne&message=bonjour"), 400, "invalid_payload");
    BOOST_REQUIRE(json.HasMember("details") && json["details"].IsArray());
    BOOST_REQUIRE_EQUAL(json["details"].Size(), 1U);
    BOOST_TEST(string_member(json["details"][0], "code") == "unknown_provider");
    check_error(post(port, "text/plain", "hello"), 415, "unsupported_media_type");
    BOOST_TEST(rows() == 0);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_CASE(verify_report_accepts_a_bad_signature, GatewayFixture) {
    config.channels = {email_channel("report")};
    start();
    MailgunSignature bad = sign("not-the-signing-key", now_seconds());
    const auto response = post(port, kUrlencoded, mailgun_body(bad));
    BOOST_TEST_INFO("answer: " << response.body);
    BOOST_TEST(response.status == 200);
    BOOST_TEST(database()->scalar("SELECT COUNT(*) FROM messages") == 1);
    const auto events = gateway->events();
    bool reported = false;
    for (const auto& event : events) {
        reported = reported || event.get("event") == "verification_failed_reported";
    }
    BOOST_TEST(reported, "the failed verification is logged");
}

namespace {

// The Message-Id of the Mailgun fixture, which an unsigned raw post can name too.
constexpr const char* kMailgunMessageId = "517ACC75.5010709@example.com";

// A raw message/rfc822 post: unsigned by nature, whatever Message-ID it names.
std::string raw_message(const std::string& message_id) {
    return "From: Mallory <mallory@example.net>\r\n"
           "To: alice@example.com\r\n"
           "Subject: Re: Sample POST request\r\n"
           "Date: Thu, 12 Feb 2026 18:26:09 +0000\r\n"
           "Message-ID: <" +
           message_id +
           ">\r\n"
           "Content-Type: text/plain; charset=utf-8\r\n"
           "\r\n"
           "Not what Bob wrote.\r\n";
}

// The email channel behind the whole pipeline, replay cache included.
struct ReplayingEmailFixture : GatewayFixture {
    explicit ReplayingEmailFixture(const std::string& verify = "enforce") {
        config.stages = {"size_limit", "verify", "parse", "enrich", "dedup", "cache", "persist"};
        config.channels = {email_channel(verify)};
        start();
    }
    long long rows() const { return database()->scalar("SELECT COUNT(*) FROM messages"); }
};

struct ReportingEmailFixture : ReplayingEmailFixture {
    ReportingEmailFixture() : ReplayingEmailFixture("report") {}
};

// The id of the only message of a success answer, after checking that it is `status`.
std::string answered_id(const HttpResponse& response, const std::string& status) {
    BOOST_TEST_INFO("answer: " << response.body);
    BOOST_REQUIRE_EQUAL(response.status, 200);
    const auto json = parse_json(response.body);
    BOOST_REQUIRE(json.HasMember("messages") && json["messages"].IsArray());
    BOOST_REQUIRE_EQUAL(json["messages"].Size(), 1U);
    BOOST_TEST(string_member(json["messages"][0], "status") == status);
    BOOST_REQUIRE(json["messages"][0].HasMember("id"));
    const auto& id = json["messages"][0]["id"];
    return id.IsString() ? std::string(id.GetString()) : std::to_string(id.GetInt64());
}

bool replayed(const HttpResponse& response) {
    const auto json = parse_json(response.body);
    return json.IsObject() && json.HasMember("replayed") && json["replayed"].IsTrue();
}

}  // namespace

BOOST_FIXTURE_TEST_CASE(an_unsigned_mime_post_never_takes_a_signed_mailgun_message_s_place,
                        ReplayingEmailFixture) {
    const std::string first =
        answered_id(post(port, "message/rfc822", raw_message(kMailgunMessageId)), "stored");
    const auto genuine = post(port, kUrlencoded, mailgun_body(sign(kMailgunKey, now_seconds())));
    const std::string second = answered_id(genuine, "stored");
    BOOST_TEST(!replayed(genuine), "the signed message is not answered by the unsigned one's");
    BOOST_TEST(second != first);
    const auto providers = database()->query("SELECT provider FROM messages WHERE external_id = '" +
                                             std::string(kMailgunMessageId) + "' ORDER BY id");
    BOOST_REQUIRE_EQUAL(providers.size(), 2U);
    BOOST_TEST(providers[0].at("provider").value_or("") == "mime");
    BOOST_TEST(providers[1].at("provider").value_or("") == "mailgun");
}

BOOST_FIXTURE_TEST_CASE(a_request_failing_verification_never_takes_a_signed_message_s_place,
                        ReportingEmailFixture) {
    // `verify: report` lets the forged request in; the signed one is still stored on its own.
    const std::string forged = answered_id(
        post(port, kUrlencoded, mailgun_body(sign("not-the-signing-key", now_seconds()))),
        "stored");
    const std::string genuine = answered_id(
        post(port, kUrlencoded, mailgun_body(sign(kMailgunKey, now_seconds()))), "stored");
    BOOST_TEST(genuine != forged);
    BOOST_TEST(rows() == 2);
    // Two signed deliveries of one message are still one row: the second names the first.
    const auto again = post(port, kUrlencoded, mailgun_body(sign(kMailgunKey, now_seconds())));
    BOOST_TEST(answered_id(again, "stored") == genuine);
    BOOST_TEST(rows() == 2);
}

BOOST_FIXTURE_TEST_CASE(a_mailgun_signature_is_not_reusable_with_another_body,
                        ReplayingEmailFixture) {
    const MailgunSignature signature = sign(kMailgunKey, now_seconds());
    const std::string body = mailgun_body(signature);
    const std::string id = answered_id(post(port, kUrlencoded, body), "stored");

    // The captured timestamp, token and signature, with a message of the attacker's.
    const std::string forged =
        replace_once(replace_once(body, "517ACC75.5010709", "F0RGED.1"), "This+is+Bob", "Pay+me");
    const auto refused = check_error(post(port, kUrlencoded, forged), 401, "verification_failed");
    BOOST_REQUIRE(refused.HasMember("details") && refused["details"].IsArray());
    bool named = false;
    for (const auto& detail : refused["details"].GetArray()) {
        named = named || (string_member(detail, "field") == "token" &&
                          string_member(detail, "code") == "replayed_token");
    }
    BOOST_TEST(named, "the details name the replayed token");
    BOOST_TEST(rows() == 1);

    // Mailgun's own re-delivery of the same request is not a replay: the first answer again.
    const auto redelivered = post(port, kUrlencoded, body);
    BOOST_TEST(answered_id(redelivered, "stored") == id);
    BOOST_TEST(replayed(redelivered));
    BOOST_TEST(rows() == 1);
}

// The email channel with its Mailgun key, its token claims kept in a Redis of its own.
struct MailgunRedisFixture : GatewayFixture {
    RedisServer redis;
    MailgunRedisFixture() {
        config.stages = {"size_limit", "verify", "parse", "enrich", "dedup", "cache", "persist"};
        config.channels = {email_channel()};
        config.pipeline_extra =
            "  rate_limit: {backend: redis, redis_url: \"" + redis.url() + "\", timeout: 1s}\n";
        start();
    }
};

BOOST_FIXTURE_TEST_CASE(a_hung_redis_stalls_one_mailgun_request_not_one_a_second,
                        MailgunRedisFixture) {
    answered_id(post(port, kUrlencoded, mailgun_body(sign(kMailgunKey, now_seconds()))), "stored");

    // A stopped Redis still accepts connections and never answers: the first claim waits for
    // the timeout, then the breaker lets every signed request through at once.
    redis.freeze();
    int stalled = 0;
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(4500);
    // Over several of the old reconnect intervals (a second), a request every 5 ms.
    for (int i = 0; i < 2000 && std::chrono::steady_clock::now() < until; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        const auto start = std::chrono::steady_clock::now();
        const HttpResponse answer =
            post(port, kUrlencoded, mailgun_body(sign(kMailgunKey, now_seconds())));
        BOOST_REQUIRE_MESSAGE(answer.status == 200, answer.body);
        stalled +=
            std::chrono::steady_clock::now() - start > std::chrono::milliseconds(800) ? 1 : 0;
    }
    redis.thaw();
    BOOST_TEST(stalled == 1, stalled << " requests waited for the hung Redis");
    // Once Redis answers, the breaker's probe hands a connection over, said once.
    int unavailable = 0;
    int recovered = 0;
    for (int i = 0; i < 100 && recovered == 0; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        unavailable = recovered = 0;
        for (const auto& event : gateway->events()) {
            unavailable += event.get("event") == "nonce_store_redis_unavailable" ? 1 : 0;
            recovered += event.get("event") == "nonce_store_redis_recovered" ? 1 : 0;
        }
    }
    BOOST_TEST(unavailable == 1);
    BOOST_TEST(recovered == 1);
    answered_id(post(port, kUrlencoded, mailgun_body(sign(kMailgunKey, now_seconds()))), "stored");
}

BOOST_FIXTURE_TEST_CASE(instances_sharing_redis_share_mailgun_tokens, MailgunRedisFixture) {
    // A second instance on its own database: only Redis is shared.
    GatewayConfig second_config = config;
    second_config.storage_url = (dir / "second.db").string();
    write_file(dir / "gateway2.yaml", second_config.to_yaml());
    GatewayProcess::Options options;
    options.args = {"serve", "-c", (dir / "gateway2.yaml").string()};
    options.log_file = dir / "gateway2.log";
    options.work_dir = dir.path();
    GatewayProcess second(std::move(options));
    const std::uint16_t port2 = second.wait_until_listening();

    const std::string body = mailgun_body(sign(kMailgunKey, now_seconds()));
    answered_id(post(port, kUrlencoded, body), "stored");
    const std::string forged = replace_once(body, "517ACC75.5010709", "F0RGED.2");
    const auto refused = check_error(post(port2, kUrlencoded, forged), 401, "verification_failed");
    BOOST_REQUIRE(refused.IsObject() && refused.HasMember("details"));
    BOOST_REQUIRE_EQUAL(refused["details"].Size(), 1U);
    BOOST_TEST(string_member(refused["details"][0], "code") == "replayed_token");
    // Mailgun re-delivering its request to the other instance is no replay.
    answered_id(post(port2, kUrlencoded, body), "stored");

    // Redis gone: the check is skipped (fail open) and said so; signed requests still go in.
    redis.stop();
    answered_id(post(port2, kUrlencoded, mailgun_body(sign(kMailgunKey, now_seconds()))), "stored");
    const ExitStatus status = second.stop();
    BOOST_TEST(status.clean(), status.describe());
    bool reported = false;
    for (const auto& event : second.events()) {
        reported = reported || event.get("event") == "nonce_store_redis_unavailable";
    }
    BOOST_TEST(reported, "the second instance logs that Redis is unreachable");
}
