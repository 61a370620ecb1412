// End to end, the answer each provider expects (DESIGN.md, "The promise"), through the real
// gateway binary and the stock plugins: Twilio gets empty TwiML; every provider's re-delivery
// of a stored message, after the replay cache has forgotten it, is a 200 `duplicate` naming
// the first row, while the website form keeps its 409; a channel's duplicate_status overrides
// both; an unsigned Mailgun or Postmark post that can never parse gets the provider's "do not
// retry" status, a signed one is quarantined; a media type the plugin did not declare is 415 before
// the body is sent; and the request log line says which status each of them got. CTest runs it on
// SQLite and, with `-- --backend=postgresql`, on PostgreSQL.
#define BOOST_TEST_MODULE e2e_provider_answers
#include <algorithm>
#include <chrono>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "memolib/plugins/common/crypto.hpp"
#include "memolib/plugins/common/form_data.hpp"
#include "support/database.hpp"
#include "support/e2e_fixture.hpp"
#include "support/http_client.hpp"
#include "support/json.hpp"

using namespace memolib::test;
namespace common = memolib::plugins::common;

namespace {

constexpr const char* kJson = "application/json";
constexpr const char* kUrlencoded = "application/x-www-form-urlencoded";
constexpr const char* kSendgridMultipart = "multipart/form-data; boundary=xYzZY";
constexpr const char* kMetaSecret = "e2e-meta-app-secret";
constexpr const char* kTwilioToken = "e2e-twilio-auth-token";
constexpr const char* kMailgunKey = "e2e-mailgun-signing-key";
constexpr const char* kPostmarkAuth = "postmark:e2e-s3cret";
constexpr const char* kTypeformSecret = "e2e-typeform-secret";
constexpr const char* kSmsUrl = "https://hooks.example.org/webhooks/sms";
constexpr const char* kWhatsappUrl = "https://hooks.example.org/webhooks/whatsapp";
// What the urlencoded Mailgun fixture carries (plugins/email/tests/fixtures/README.md).
constexpr const char* kFixtureSignatureFields =
    "timestamp=1770920772&token=e0b5477167110d68991efc6b9f89f0a11066af27834600e123&signature="
    "dc94f18bf51a10ceb32fab2614da2c0dbe378e6b2166439707369a6b59adfce8";
// The replay cache's TTL here: a re-delivery after it is answered by the dedup index.
constexpr std::chrono::milliseconds kReplayTtl{1000};

std::string fixture(const std::string& path) {
    const std::string file = std::string(MEMOLIB_SOURCE_DIR) + "/plugins/" + path;
    std::ifstream in(file, std::ios::binary);
    BOOST_REQUIRE_MESSAGE(in, "cannot open " << file);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string twilio_signature(const std::string& url, const std::string& body) {
    common::FormPairs params = common::parse_urlencoded(body);
    std::stable_sort(params.begin(), params.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    std::string data = url;
    for (const auto& [name, value] : params) data += name + value;
    return common::base64_encode(common::hmac_sha1(kTwilioToken, data));
}

// Each Mailgun attempt is signed afresh (its token is single-use).
std::string signed_mailgun_body() {
    const std::string timestamp =
        std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count());
    const std::string token = random_hex(50);
    const std::string fields =
        "timestamp=" + timestamp + "&token=" + token +
        "&signature=" + common::hex_encode(common::hmac_sha256(kMailgunKey, timestamp + token));
    std::string body = fixture("email/tests/fixtures/mailgun_forward.urlencoded");
    const std::size_t at = body.find(kFixtureSignatureFields);
    BOOST_REQUIRE(at != std::string::npos);
    return body.replace(at, std::string(kFixtureSignatureFields).size(), fields);
}

std::string website_form(const std::string& tag) {
    return R"({"name":"Jeanne","email":"jeanne.)" + tag +
           R"(@example.org","subject":"Rendez-vous","message":"Bonjour, je voudrais un )"
           R"(rendez-vous. )" +
           tag + R"("})";
}

std::string vonage_json(const std::string& message_id) {
    return R"({"msisdn":"447700900001","to":"447700900000","messageId":")" + message_id +
           R"(","text":"Hello world","type":"text","message-timestamp":"2020-01-01 12:00:00"})";
}

/// One provider's delivery: where it goes and how it is built (anew for each attempt).
struct Delivery {
    std::string provider;
    std::string path;
    std::string content_type;
    std::function<std::pair<std::string, Headers>()> build;
};

HttpResponse deliver(std::uint16_t port, const Delivery& d) {
    auto [body, headers] = d.build();
    return http_post(port, d.path, d.content_type, body, headers);
}

std::vector<Delivery> every_provider() {
    const auto plain = [](std::string body) {
        return [body = std::move(body)] { return std::make_pair(body, Headers{}); };
    };
    const std::string meta = fixture("whatsapp/tests/fixtures/meta/text.json");
    const std::string twilio_wa = fixture("whatsapp/tests/fixtures/twilio/text.urlencoded");
    const std::string twilio_sms = fixture("sms/tests/fixtures/twilio_sms.urlencoded");
    const std::string typeform = fixture("form/tests/fixtures/typeform_example.json");
    const std::string postmark = fixture("email/tests/fixtures/postmark_inbound.json");
    return {
        {"meta", "/webhooks/whatsapp", kJson,
         [meta] {
             return std::make_pair(
                 meta,
                 Headers{{"X-Hub-Signature-256",
                          "sha256=" + common::hex_encode(common::hmac_sha256(kMetaSecret, meta))}});
         }},
        {"twilio_whatsapp", "/webhooks/whatsapp", kUrlencoded,
         [twilio_wa] {
             return std::make_pair(twilio_wa, Headers{{"X-Twilio-Signature",
                                                       twilio_signature(kWhatsappUrl, twilio_wa)}});
         }},
        {"twilio_sms", "/webhooks/sms", kUrlencoded,
         [twilio_sms] {
             return std::make_pair(twilio_sms, Headers{{"X-Twilio-Signature",
                                                        twilio_signature(kSmsUrl, twilio_sms)}});
         }},
        {"vonage", "/webhooks/sms", kJson, plain(vonage_json("0A00000000000001"))},
        {"mailgun", "/webhooks/email", kUrlencoded,
         [] { return std::make_pair(signed_mailgun_body(), Headers{}); }},
        {"sendgrid", "/webhooks/email", kSendgridMultipart,
         plain(fixture("email/tests/fixtures/sendgrid_default.multipart"))},
        {"postmark", "/webhooks/email", kJson,
         [postmark] {
             return std::make_pair(
                 postmark,
                 Headers{{"Authorization", "Basic " + common::base64_encode(kPostmarkAuth)}});
         }},
        {"typeform", "/webhooks/form", kJson,
         [typeform] {
             return std::make_pair(typeform,
                                   Headers{{"Typeform-Signature",
                                            "sha256=" + common::base64_encode(common::hmac_sha256(
                                                            kTypeformSecret, typeform))}});
         }},
        {"website", "/webhooks/form", kJson, plain(website_form("w1"))},
    };
}

bool is_twilio(const Delivery& d) { return d.provider.rfind("twilio", 0) == 0; }

ChannelConfig with(ChannelConfig channel, std::vector<std::pair<std::string, std::string>> extra) {
    for (auto& setting : extra) channel.settings.push_back(std::move(setting));
    return channel;
}

struct ProviderFixture : GatewayFixture {
    ProviderFixture() {
        config.stages = {"size_limit", "verify", "parse", "enrich", "dedup", "cache", "persist"};
        config.pipeline_extra = "  cache: {max_entries: 100, ttl: 1s}\n";
        config.channels = {
            with(GatewayConfig::form_channel(), {{"typeform_secret", yaml_quote(kTypeformSecret)}}),
            {"whatsapp",
             {{"plugin", "whatsapp"},
              {"public_url", yaml_quote(kWhatsappUrl)},
              {"app_secret", yaml_quote(kMetaSecret)},
              {"twilio_auth_token", yaml_quote(kTwilioToken)}}},
            {"sms",
             {{"plugin", "sms"},
              {"public_url", yaml_quote(kSmsUrl)},
              {"twilio_auth_token", yaml_quote(kTwilioToken)}}},
            {"email",
             {{"plugin", "email"},
              {"max_body", "10MiB"},
              {"mailgun_signing_key", yaml_quote(kMailgunKey)},
              {"postmark_basic_auth", yaml_quote(kPostmarkAuth)}}},
            // The operator's overrides: a provider's channel that wants 409, a form that
            // wants 200.
            {"whatsapp_strict",
             {{"plugin", "whatsapp"},
              {"app_secret", yaml_quote(kMetaSecret)},
              {"duplicate_status", "409"}}},
            with(GatewayConfig::form_channel(), {{"duplicate_status", "200"}}),
            // Email without secrets: its posts are unsigned.
            {"email_unsigned", {{"plugin", "email"}}},
        };
        config.channels[5].name = "form_open";
        start();
    }

    long long count(const std::string& where = "1 = 1") const {
        return database()->scalar("SELECT COUNT(*) FROM messages WHERE " + where);
    }

    /// The `request` log line of the request answered with `response` (bounded wait: the line
    /// is written as the answer is sent).
    LogEvent request_line(const HttpResponse& response) const {
        const std::string id = response.header("X-Request-Id").value_or("");
        BOOST_REQUIRE(!id.empty());
        for (int attempt = 0; attempt < 100; ++attempt) {
            for (const LogEvent& e : gateway->events()) {
                if (e.get("event") == "request" && e.get("request_id") == id) return e;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        BOOST_FAIL("no request log line for " << id);
        return {};
    }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(provider_answers, ProviderFixture)

BOOST_AUTO_TEST_CASE(every_provider_s_redelivery_after_the_replay_ttl_is_its_success) {
    const std::vector<Delivery> deliveries = every_provider();
    std::vector<long long> first_ids;
    for (const Delivery& d : deliveries) {
        BOOST_TEST_CONTEXT("first delivery from " << d.provider) {
            const HttpResponse first = deliver(port, d);
            if (is_twilio(d)) {
                check_twiml(first);
                const LogEvent line = request_line(first);
                BOOST_TEST(line.get("status") == "200");
                BOOST_TEST(line.get("provider") == "twilio");
                first_ids.push_back(0);
            } else {
                BOOST_REQUIRE_EQUAL(first.status, 200);
                BOOST_TEST(string_member(parse_json(first.body), "status") == "stored");
                first_ids.push_back(first_message_id(first));
            }
        }
    }
    const long long stored = count();
    BOOST_TEST(stored == static_cast<long long>(deliveries.size()));

    // Past the replay cache's TTL only the dedup index knows these messages.
    std::this_thread::sleep_for(kReplayTtl + std::chrono::milliseconds(200));
    for (std::size_t i = 0; i < deliveries.size(); ++i) {
        const Delivery& d = deliveries[i];
        BOOST_TEST_CONTEXT("re-delivery from " << d.provider) {
            const HttpResponse again = deliver(port, d);
            BOOST_TEST(!again.header("X-Idempotent-Replay").has_value(), "replayed, not deduped");
            const LogEvent line = request_line(again);
            BOOST_TEST(line.get("reason") == "duplicate");
            if (is_twilio(d)) {
                check_twiml(again);
                BOOST_TEST(line.get("status") == "200");
            } else if (d.provider == "website") {
                // A person reads this answer: 409 says it was already sent.
                const auto json = check_error(again, 409, "duplicate");
                BOOST_TEST(json["messages"][0]["id"].GetInt64() == first_ids[i]);
                BOOST_TEST(line.get("status") == "409");
            } else {
                check_duplicate(again, first_ids[i]);
                BOOST_TEST(line.get("status") == "200");
            }
        }
    }
    BOOST_TEST(count() == stored);
}

BOOST_AUTO_TEST_CASE(a_channel_s_duplicate_status_overrides_the_provider_s) {
    const std::string meta = fixture("whatsapp/tests/fixtures/meta/text.json");
    const Headers signed_meta{
        {"X-Hub-Signature-256",
         "sha256=" + common::hex_encode(common::hmac_sha256(kMetaSecret, meta))}};
    const HttpResponse meta_first =
        http_post(port, "/webhooks/whatsapp_strict", kJson, meta, signed_meta);
    BOOST_REQUIRE_EQUAL(meta_first.status, 200);
    const std::string form = website_form("o1");
    const HttpResponse form_first = http_post(port, "/webhooks/form_open", kJson, form);
    BOOST_REQUIRE_EQUAL(form_first.status, 200);

    std::this_thread::sleep_for(kReplayTtl + std::chrono::milliseconds(200));
    const auto strict = check_error(
        http_post(port, "/webhooks/whatsapp_strict", kJson, meta, signed_meta), 409, "duplicate");
    BOOST_TEST(strict["messages"][0]["id"].GetInt64() == first_message_id(meta_first));
    check_duplicate(http_post(port, "/webhooks/form_open", kJson, form),
                    first_message_id(form_first));
    BOOST_TEST(count() == 2);
}

BOOST_AUTO_TEST_CASE(a_refused_unsigned_mailgun_post_is_406_and_a_postmark_one_403) {
    // Mailgun retries a 400 for 8 hours and Postmark 10 times; these statuses stop them.
    const auto mailgun = check_error(http_post(port, "/webhooks/email_unsigned", kUrlencoded,
                                               "body-plain=no+sender+nor+message+id"),
                                     406, "invalid_payload");
    BOOST_TEST(mailgun["details"].Size() > 0U);
    const auto postmark =
        check_error(http_post(port, "/webhooks/email_unsigned", kJson, R"({"MessageID":"m-1"})"),
                    403, "invalid_payload");
    BOOST_TEST(postmark["details"].Size() > 0U);
    // A body no provider's: the plain 400.
    check_error(http_post(port, "/webhooks/email_unsigned", kUrlencoded, "name=Jeanne"), 400,
                "invalid_payload");
    BOOST_TEST(count() == 0);
}

BOOST_AUTO_TEST_CASE(a_signed_mailgun_post_parse_refuses_is_quarantined) {
    // Verified with the channel's key, so authentic: never told "do not retry", and kept in
    // the quarantine rather than retried by Mailgun for 8 hours only to be refused again.
    const std::string timestamp =
        std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count());
    const std::string token = random_hex(50);
    const std::string body =
        "timestamp=" + timestamp + "&token=" + token +
        "&signature=" + common::hex_encode(common::hmac_sha256(kMailgunKey, timestamp + token)) +
        "&body-plain=no+sender+nor+message+id";
    const HttpResponse response = http_post(port, "/webhooks/email", kUrlencoded, body);
    BOOST_TEST(response.status == 200);
    BOOST_TEST(string_member(parse_json(response.body), "status") == "quarantined");
    BOOST_TEST(count() == 0);
    BOOST_TEST(database()->scalar("SELECT COUNT(*) FROM quarantine WHERE channel = 'email'") == 1);
}

BOOST_AUTO_TEST_CASE(a_bad_mailgun_signature_stays_401) {
    std::string body = signed_mailgun_body();
    const std::size_t at = body.find("&signature=") + std::string("&signature=").size();
    body[at] = body[at] == '0' ? '1' : '0';
    check_error(http_post(port, "/webhooks/email", kUrlencoded, body), 401, "verification_failed");
    BOOST_TEST(count() == 0);
}

BOOST_AUTO_TEST_CASE(an_undeclared_media_type_is_415_before_the_body_is_sent) {
    for (const char* channel : {"form", "whatsapp", "sms", "email"}) {
        BOOST_TEST_CONTEXT("channel " << channel) {
            // Headers announcing 40 000 bytes (under every channel's max_body), and none of
            // them sent: a server that read the body first would never answer.
            HttpRequest request;
            request.method = "POST";
            request.target = std::string("/webhooks/") + channel;
            request.headers = {{"Content-Type", "text/plain"}, {"Content-Length", "40000"}};
            HttpConnection connection(port, std::chrono::seconds(10));
            connection.send_all(serialize_head(request));
            const HttpResponse refused = connection.read_response();
            const auto json = check_error(refused, 415, "unsupported_media_type");
            BOOST_REQUIRE(json["details"].Size() == 1U);
            BOOST_TEST(string_member(json["details"][0], "field") == "content-type");
            const LogEvent line = request_line(refused);
            BOOST_TEST(line.get("status") == "415");
            BOOST_TEST(line.get("reason") == "unsupported_media_type");
            BOOST_TEST(line.get("channel") == channel);
        }
    }
    BOOST_TEST(count() == 0);
    // The gateway still serves.
    BOOST_TEST(http_post(port, "/webhooks/form", kJson, website_form("after")).status == 200);
}

BOOST_AUTO_TEST_SUITE_END()
