// End-to-end tests of Typeform webhooks on the form channel: the real gateway binary, the real
// form plugin and a real database, checked from the outside. The payload is Typeform's
// documented example (plugins/form/tests/fixtures/typeform_example.json), signed as
// https://www.typeform.com/developers/webhooks/secure-your-webhooks/ describes.
#define BOOST_TEST_MODULE e2e_form_typeform
#include <string>
#include <utility>
#include <vector>

#include <boost/test/unit_test.hpp>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "support/database.hpp"
#include "support/e2e_fixture.hpp"
#include "support/http_client.hpp"
#include "support/json.hpp"

using namespace memolib::test;

namespace {

constexpr const char* kSecret = "0f4e7c2a9b3d8e1f6a5c4b3d2e1f0a9b8c7d6e5f";
constexpr const char* kToken = "a3a12ec67a1365927098a606107fac15";

std::string example() {
    return read_file(source_directory() / "plugins/form/tests/fixtures/typeform_example.json");
}

// sha256= followed by the base64 HMAC-SHA256 of the body, computed apart from the plugin.
std::string signature(const std::string& secret, const std::string& body) {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
         reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac, &mac_len);
    std::string out(4 * ((std::size_t{mac_len} + 2) / 3), '\0');
    EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), mac, static_cast<int>(mac_len));
    return "sha256=" + out;
}

HttpResponse post_typeform(std::uint16_t port, const std::string& body,
                           const std::string& signature_header) {
    Headers headers;
    if (!signature_header.empty()) headers.emplace_back("Typeform-Signature", signature_header);
    return http_post(port, "/webhooks/form", "application/json", body, headers);
}

// The form channel as the tests' default config declares it, plus `extra` settings.
ChannelConfig form_channel(std::vector<std::pair<std::string, std::string>> extra) {
    ChannelConfig channel = GatewayConfig::form_channel();
    for (auto& setting : extra) channel.settings.push_back(std::move(setting));
    return channel;
}

struct SignedFixture : GatewayFixture {
    SignedFixture() {
        config.channels = {form_channel({{"typeform_secret", yaml_quote(kSecret)}})};
        start();
    }
    long long count() const { return database()->scalar("SELECT COUNT(*) FROM messages"); }
};

struct ReportFixture : GatewayFixture {
    ReportFixture() {
        config.channels = {
            form_channel({{"typeform_secret", yaml_quote(kSecret)}, {"verify", "report"}})};
        start();
    }
    long long count() const { return database()->scalar("SELECT COUNT(*) FROM messages"); }
};

struct UnsignedFixture : GatewayFixture {
    UnsignedFixture() { start(); }
    long long count() const { return database()->scalar("SELECT COUNT(*) FROM messages"); }
};

}  // namespace

BOOST_FIXTURE_TEST_CASE(signed_example_is_stored_once_with_the_response_token, SignedFixture) {
    const std::string body = example();
    const auto response = post_typeform(port, body, signature(kSecret, body));
    BOOST_TEST_INFO("answer: " << response.body);
    BOOST_REQUIRE_EQUAL(response.status, 200);
    const auto json = parse_json(response.body);
    BOOST_TEST(string_member(json, "status") == "stored");

    const auto rows = database()->query(
        "SELECT channel, provider, external_id, sender, subject, text, provider_timestamp, "
        "metadata FROM messages");
    BOOST_REQUIRE_EQUAL(rows.size(), 1U);
    const auto column = [&](const char* name) { return rows.front().at(name).value_or(""); };
    BOOST_TEST(column("channel") == "form");
    BOOST_TEST(column("provider") == "typeform");
    BOOST_TEST(column("external_id") == kToken);
    BOOST_TEST(column("sender") == "laura@example.com");
    BOOST_TEST(column("subject") == "Webhooks example");
    BOOST_TEST(column("text").rfind("It's cold right now!", 0) == 0, column("text"));
    BOOST_TEST(column("provider_timestamp").rfind("2018-01-18T18:17:02", 0) == 0,
               column("provider_timestamp"));
    BOOST_TEST(column("metadata").find(R"("hidden":{"user_id":"abc123456"})") != std::string::npos,
               column("metadata"));

    // Typeform retries what is not answered 2xx, then disables the webhook: the same delivery
    // again is a 200 duplicate of the first row.
    check_duplicate(post_typeform(port, body, signature(kSecret, body)),
                    first_message_id(response));
    BOOST_TEST(count() == 1);
}

BOOST_FIXTURE_TEST_CASE(same_response_token_in_another_delivery_is_a_duplicate, SignedFixture) {
    const std::string body = example();
    const auto first = post_typeform(port, body, signature(kSecret, body));
    BOOST_REQUIRE_EQUAL(first.status, 200);
    // A new event id and another layout of the same response: the token decides.
    std::string again = body;
    again.replace(again.find("LtWXD3crgy"), 10, "AnotherEvt");
    again += "\n\n";
    check_duplicate(post_typeform(port, again, signature(kSecret, again)), first_message_id(first));
    BOOST_TEST(count() == 1);
}

BOOST_FIXTURE_TEST_CASE(tampered_wrong_or_missing_signatures_get_401, SignedFixture) {
    const std::string body = example();
    std::string tampered = body;
    tampered.replace(tampered.find("laura@example.com"), 5, "maria");
    const std::pair<std::string, std::string> cases[] = {
        {tampered, signature(kSecret, body)},
        {body, signature("not the secret", body)},
        {body, ""},
    };
    for (const auto& [payload, header] : cases) {
        BOOST_TEST_CONTEXT("signature '" << header << "'") {
            const auto json =
                check_error(post_typeform(port, payload, header), 401, "verification_failed");
            BOOST_TEST((json.IsObject() && json.HasMember("details") && json["details"].IsArray() &&
                        json["details"].Size() > 0U),
                       "the details say why");
        }
    }
    BOOST_TEST(count() == 0);
    // The website form on the same channel stays unsigned.
    const auto website = http_post(port, "/webhooks/form", "application/json",
                                   R"({"email":"a@example.org","message":"Bonjour"})");
    BOOST_TEST(website.status == 200, website.body);
}

BOOST_FIXTURE_TEST_CASE(verify_report_accepts_a_bad_signature, ReportFixture) {
    const std::string body = example();
    const auto response = post_typeform(port, body, signature("not the secret", body));
    BOOST_TEST_INFO("answer: " << response.body);
    BOOST_TEST(response.status == 200);
    BOOST_TEST(count() == 1);
    bool reported = false;
    for (const auto& event : gateway->events()) {
        reported = reported || event.get("event") == "verification_failed_reported";
    }
    BOOST_TEST(reported, "the gateway logs the failed verification it let through");
}

BOOST_FIXTURE_TEST_CASE(without_a_secret_typeform_is_accepted_and_the_start_says_so,
                        UnsignedFixture) {
    const auto response = post_typeform(port, example(), "");
    BOOST_TEST(response.status == 200, response.body);
    BOOST_TEST(database()->scalar("SELECT COUNT(*) FROM messages WHERE external_id = '" +
                                  std::string(kToken) + "'") == 1);
    int warnings = 0;
    for (const auto& event : gateway->events()) {
        if (event.get("message").find("typeform_secret is not set") != std::string::npos) {
            ++warnings;
        }
    }
    BOOST_TEST(warnings == 1, "one start-up line says Typeform is accepted unsigned");
}

BOOST_FIXTURE_TEST_CASE(malformed_form_response_gets_400_naming_the_field, UnsignedFixture) {
    const auto response = http_post(
        port, "/webhooks/form", "application/json",
        R"({"event_type":"form_response","form_response":{"answers":[{"type":"text"}]}})");
    const auto json = check_error(response, 400, "invalid_payload");
    std::vector<std::string> fields;
    if (json.IsObject() && json.HasMember("details") && json["details"].IsArray()) {
        for (const auto& detail : json["details"].GetArray()) {
            fields.push_back(string_member(detail, "field"));
        }
    }
    const auto has = [&](const std::string& f) {
        for (const auto& x : fields) {
            if (x == f) return true;
        }
        return false;
    };
    BOOST_TEST(has("form_response.token"), response.body);
    BOOST_TEST(has("form_response.answers[0].text"), response.body);
    BOOST_TEST(has("form_response.answers[0].field"), response.body);
    BOOST_TEST(count() == 0);
}
