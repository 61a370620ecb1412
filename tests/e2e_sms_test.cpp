// End-to-end tests of the sms channel: the real gateway binary on a free loopback port, the
// real sms plugin and an SQLite database, checked from the outside (HTTP answers and rows).
// The Twilio signatures are computed here from the auth token, independently of the plugin.
#define BOOST_TEST_MODULE e2e_sms
#include <algorithm>
#include <chrono>
#include <fstream>
#include <iterator>
#include <map>
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

using Pairs = std::vector<std::pair<std::string, std::string>>;

constexpr const char* kPath = "/webhooks/sms";
constexpr const char* kPublicUrl = "https://hooks.example.org/webhooks/sms";
constexpr const char* kTwilioToken = "e2e-twilio-auth-token";
constexpr const char* kVonageSecret = "e2e-vonage-signature-secret";
constexpr const char* kForm = "application/x-www-form-urlencoded";
constexpr const char* kJson = "application/json";

std::string fixture(const std::string& name) {
    const std::string path =
        std::string(MEMOLIB_SOURCE_DIR) + "/plugins/sms/tests/fixtures/" + name;
    std::ifstream in(path, std::ios::binary);
    BOOST_REQUIRE_MESSAGE(in, "cannot open " << path);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string raw_hmac(const EVP_MD* md, const std::string& key, const std::string& data) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(md, key.data(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
    return std::string(reinterpret_cast<const char*>(out), len);
}

std::string base64(const std::string& bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(bytes.data()),
                                  static_cast<int>(bytes.size()));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

std::string hex(const std::string& bytes) {
    constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    for (unsigned char c : bytes) {
        out += kDigits[c >> 4];
        out += kDigits[c & 0xf];
    }
    return out;
}

std::string url_decode(const std::string& s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '+') {
            out += ' ';
        } else if (s[i] == '%' && i + 2 < s.size()) {
            out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
            i += 2;
        } else {
            out += s[i];
        }
    }
    return out;
}

std::string url_encode(const std::string& s) {
    constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.') {
            out += static_cast<char>(c);
        } else if (c == ' ') {
            out += '+';
        } else {
            out += '%';
            out += kHex[c >> 4];
            out += kHex[c & 0xf];
        }
    }
    return out;
}

Pairs form_pairs(const std::string& body) {
    Pairs out;
    std::size_t start = 0;
    while (start < body.size()) {
        std::size_t end = body.find('&', start);
        if (end == std::string::npos) end = body.size();
        const std::string item = body.substr(start, end - start);
        const std::size_t eq = item.find('=');
        out.emplace_back(url_decode(item.substr(0, eq)),
                         eq == std::string::npos ? "" : url_decode(item.substr(eq + 1)));
        start = end + 1;
    }
    return out;
}

std::string to_form(const Pairs& params) {
    std::string out;
    for (const auto& [name, value] : params) {
        out += (out.empty() ? "" : "&") + url_encode(name) + "=" + url_encode(value);
    }
    return out;
}

std::string to_json(const Pairs& params) {
    std::string out = "{";
    for (const auto& [name, value] : params) {
        out.append(out.size() > 1 ? ",\"" : "\"")
            .append(name)
            .append("\":\"")
            .append(value)
            .append("\"");
    }
    return out + "}";
}

// https://www.twilio.com/docs/usage/security: base64 HMAC-SHA1 of the URL followed by every
// POST parameter's name and value, sorted by name.
std::string twilio_signature(const std::string& url, Pairs params, const std::string& token) {
    std::stable_sort(params.begin(), params.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    std::string data = url;
    for (const auto& [name, value] : params) data += name + value;
    return base64(raw_hmac(EVP_sha1(), token, data));
}

// https://developer.vonage.com/getting-started/concepts/signing-messages, HMAC-SHA256 variant.
std::string vonage_sha256_signature(const Pairs& params, const std::string& secret) {
    std::map<std::string, std::string> sorted(params.begin(), params.end());
    std::string base;
    for (const auto& [name, value] : sorted) {
        std::string v = value;
        std::replace(v.begin(), v.end(), '&', '_');
        std::replace(v.begin(), v.end(), '=', '_');
        base.append("&").append(name).append("=").append(v);
    }
    return hex(raw_hmac(EVP_sha256(), secret, base));
}

/// A Vonage inbound SMS (the documented example's fields) with its own message id.
Pairs vonage_params(const std::string& message_id, const std::string& text = "Hello world") {
    return {{"msisdn", "447700900001"}, {"to", "447700900000"},
            {"messageId", message_id},  {"text", text},
            {"type", "text"},           {"keyword", "HELLO"},
            {"api-key", "abcd1234"},    {"message-timestamp", "2020-01-01 12:00:00"}};
}

HttpResponse post_twilio(std::uint16_t port, const std::string& body,
                         const std::string& signature) {
    Headers headers;
    if (!signature.empty()) headers.emplace_back("X-Twilio-Signature", signature);
    return http_post(port, kPath, kForm, body, headers);
}

std::string signed_for(const std::string& body, const std::string& token = kTwilioToken) {
    return twilio_signature(kPublicUrl, form_pairs(body), token);
}

long long count_messages(const GatewayFixture& f) {
    return f.database()->scalar("SELECT COUNT(*) FROM messages");
}

/// The stored row with this external id; fails the test when there is not exactly one.
Row row_of(const GatewayFixture& f, const std::string& external_id) {
    const auto rows = f.database()->query(
        "SELECT channel, provider, external_id, sender, recipient, text, metadata, "
        "provider_timestamp, attachments FROM messages WHERE external_id = " +
        sql_literal(external_id));
    BOOST_REQUIRE_EQUAL(rows.size(), 1U);
    return rows.front();
}

std::string column(const Row& row, const char* name) { return row.at(name).value_or(""); }

/// The sms channel as config/gateway.yaml would declare it, plus `settings`.
ChannelConfig sms_channel(std::vector<std::pair<std::string, std::string>> settings) {
    ChannelConfig channel{"sms", {{"plugin", "sms"}, {"max_body", "50KiB"}}};
    for (auto& setting : settings) channel.settings.push_back(std::move(setting));
    return channel;
}

/// Twilio requests signed with kTwilioToken over kPublicUrl; Vonage unsigned.
struct SmsFixture : GatewayFixture {
    explicit SmsFixture(const std::string& verify = "enforce") {
        config.channels = {sms_channel({{"verify", verify},
                                        {"public_url", yaml_quote(kPublicUrl)},
                                        {"twilio_auth_token", yaml_quote(kTwilioToken)},
                                        {"default_region", "FR"}})};
        start();
    }
};

struct ReportingSmsFixture : SmsFixture {
    ReportingSmsFixture() : SmsFixture("report") {}
};

/// Vonage requests signed with kVonageSecret (HMAC-SHA256).
struct SignedVonageFixture : GatewayFixture {
    SignedVonageFixture() {
        config.channels = {sms_channel({{"vonage_signature_secret", yaml_quote(kVonageSecret)},
                                        {"vonage_signature_method", "sha256"}})};
        start();
    }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(twilio, SmsFixture)

BOOST_AUTO_TEST_CASE(documented_example_with_a_valid_signature_is_stored) {
    const std::string body = fixture("twilio_sms.urlencoded");
    // Twilio logs anything but TwiML (or a 204) as error 12300.
    check_twiml(post_twilio(port, body, signed_for(body)));

    const Row row = row_of(*this, "SM0000000000000000000000000000001");
    BOOST_TEST(column(row, "channel") == "sms");
    BOOST_TEST(column(row, "provider") == "twilio");
    BOOST_TEST(column(row, "sender") == "+11234567890");
    BOOST_TEST(column(row, "recipient") == "+12345678901");
    BOOST_TEST(column(row, "text") == "Ahoy!");
    BOOST_TEST(column(row, "metadata").find(R"("from_city":"NASHUA")") != std::string::npos,
               column(row, "metadata"));
    BOOST_TEST(count_messages(*this) == 1);
}

BOOST_AUTO_TEST_CASE(same_message_again_is_a_duplicate_and_stored_once) {
    const std::string body = fixture("twilio_sms.urlencoded");
    check_twiml(post_twilio(port, body, signed_for(body)));
    // Its re-delivery is a success in the same form: Twilio never sees a failure.
    check_twiml(post_twilio(port, body, signed_for(body)));
    BOOST_TEST(count_messages(*this) == 1);
}

BOOST_AUTO_TEST_CASE(a_signed_message_parse_refuses_is_quarantined_and_answered_twiml) {
    // Signed with the channel's token, so Twilio's: kept in the quarantine, and answered the
    // success Twilio expects (it never retries; a JSON 400 would lose the message).
    std::string body = fixture("twilio_sms.urlencoded");
    const std::string from = "&From=%2B11234567890";
    body.erase(body.find(from), from.size());
    check_twiml(post_twilio(port, body, signed_for(body)));
    const auto rows = database()->query("SELECT reason, details FROM quarantine");
    BOOST_REQUIRE_EQUAL(rows.size(), 1U);
    BOOST_TEST(rows[0].at("reason").value() == "invalid_payload");
    BOOST_TEST(rows[0].at("details").value().find("\"From\"") != std::string::npos,
               "a detail names the missing 'From'");
    BOOST_TEST(count_messages(*this) == 0);
}

BOOST_AUTO_TEST_CASE(mms_is_stored_with_its_media_descriptor) {
    const std::string body = fixture("twilio_mms.urlencoded");
    const auto response = post_twilio(port, body, signed_for(body));
    BOOST_REQUIRE_MESSAGE(response.status == 200, response.status << " " << response.body);
    const Row row = row_of(*this, "MM0000000000000000000000000000002");
    BOOST_TEST(column(row, "sender") == "+33612345678");
    BOOST_TEST(
        column(row, "attachments").find("ME0000000000000000000000000000003") != std::string::npos,
        column(row, "attachments"));
    BOOST_TEST(column(row, "attachments").find("image/jpeg") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(tampered_wrong_or_missing_signature_is_401) {
    const std::string body = fixture("twilio_sms.urlencoded");
    std::string tampered = body;
    tampered.replace(tampered.find("Ahoy"), 4, "Ohoy");
    check_error(post_twilio(port, tampered, signed_for(body)), 401, "verification_failed");
    check_error(post_twilio(port, body, signed_for(body, "not-the-token")), 401,
                "verification_failed");
    const auto missing = check_error(post_twilio(port, body, ""), 401, "verification_failed");
    bool named = false;
    for (const auto& detail : missing["details"].GetArray()) {
        named = named || string_member(detail, "code") == "missing_signature";
    }
    BOOST_TEST(named, "a detail says the signature is missing");
    BOOST_TEST(count_messages(*this) == 0);
}

BOOST_AUTO_TEST_CASE(vonage_json_form_and_get_are_stored_with_an_e164_sender) {
    const auto json = http_post(port, kPath, kJson, to_json(vonage_params("0A00000000000001")));
    BOOST_TEST(json.status == 200, json.body);
    const auto form = http_post(port, kPath, kForm, to_form(vonage_params("0A00000000000002")));
    BOOST_TEST(form.status == 200, form.body);
    const auto get =
        http_get(port, std::string(kPath) + "?" + to_form(vonage_params("0A00000000000003")));
    BOOST_TEST(get.status == 200, get.body);
    for (const char* id : {"0A00000000000001", "0A00000000000002", "0A00000000000003"}) {
        const Row row = row_of(*this, id);
        BOOST_TEST(column(row, "provider") == "vonage");
        BOOST_TEST(column(row, "sender") == "+447700900001");
        BOOST_TEST(column(row, "recipient") == "+447700900000");
        BOOST_TEST(column(row, "text") == "Hello world");
        BOOST_TEST(column(row, "provider_timestamp").rfind("2020-01-01T12:00:00", 0) == 0,
                   column(row, "provider_timestamp"));
    }
    BOOST_TEST(count_messages(*this) == 3);
    // The same GET again (Vonage retries until it gets a 2xx) is a 200 duplicate of the row.
    const auto again =
        http_get(port, std::string(kPath) + "?" + to_form(vonage_params("0A00000000000003")));
    check_duplicate(again, first_message_id(get));
    BOOST_TEST(count_messages(*this) == 3);
}

BOOST_AUTO_TEST_CASE(two_part_concatenated_vonage_sms_is_two_rows_with_the_reference) {
    Pairs one = vonage_params("0B00000000000001", "Bonjour, pouvez-vous me rappeler ");
    Pairs two = vonage_params("0B00000000000002", "demain matin ?");
    for (Pairs* part : {&one, &two}) {
        part->emplace_back("concat", "true");
        part->emplace_back("concat-ref", "77");
        part->emplace_back("concat-total", "2");
    }
    one.emplace_back("concat-part", "1");
    two.emplace_back("concat-part", "2");
    BOOST_TEST(http_post(port, kPath, kJson, to_json(one)).status == 200);
    BOOST_TEST(http_post(port, kPath, kJson, to_json(two)).status == 200);
    const auto rows =
        database()->query("SELECT external_id, metadata FROM messages ORDER BY external_id");
    BOOST_REQUIRE_EQUAL(rows.size(), 2U);
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const std::string metadata = column(rows[i], "metadata");
        BOOST_TEST(metadata.find(R"("concat_ref":"77")") != std::string::npos, metadata);
        BOOST_TEST(
            metadata.find("\"concat_part\":\"" + std::to_string(i + 1) + "\"") != std::string::npos,
            metadata);
        BOOST_TEST(metadata.find(R"("concat_total":"2")") != std::string::npos, metadata);
    }
}

BOOST_AUTO_TEST_CASE(unknown_provider_is_400_and_other_media_types_415) {
    const auto unknown = http_post(port, kPath, kJson, R"({"from":"+33612345678","text":"hi"})");
    const auto json = check_error(unknown, 400, "invalid_payload");
    BOOST_REQUIRE(json["details"].IsArray() && json["details"].Size() == 1U);
    BOOST_TEST(string_member(json["details"][0], "code") == "unknown_provider");
    check_error(http_post(port, kPath, "text/plain", "hello"), 415, "unsupported_media_type");
    const auto bad = http_post(port, kPath, kJson, R"({"msisdn":"447700900001","messageId":"X"})");
    const auto details = check_error(bad, 400, "invalid_payload");
    bool named = false;
    for (const auto& detail : details["details"].GetArray()) {
        named = named || (string_member(detail, "field") == "to" &&
                          string_member(detail, "code") == "required");
    }
    BOOST_TEST(named, "a detail names the missing 'to'");
    BOOST_TEST(count_messages(*this) == 0);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_CASE(verify_report_accepts_a_wrong_signature, ReportingSmsFixture) {
    const std::string body = fixture("twilio_sms.urlencoded");
    check_twiml(post_twilio(port, body, signed_for(body, "not-the-token")));
    check_twiml(post_twilio(port, fixture("twilio_mms.urlencoded"), ""));
    BOOST_TEST(count_messages(*this) == 2);
}

BOOST_FIXTURE_TEST_CASE(signed_vonage_sms_is_checked, SignedVonageFixture) {
    const std::string now = std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                               std::chrono::system_clock::now().time_since_epoch())
                                               .count());
    Pairs params = vonage_params("0C00000000000001");
    params.emplace_back("timestamp", now);
    params.emplace_back("nonce", random_hex(16));
    const std::string sig = vonage_sha256_signature(params, kVonageSecret);

    Pairs unsigned_params = params;
    check_error(http_post(port, kPath, kJson, to_json(unsigned_params)), 401,
                "verification_failed");
    Pairs tampered = params;
    tampered[3].second = "Hello world!";
    tampered.emplace_back("sig", sig);
    check_error(http_post(port, kPath, kJson, to_json(tampered)), 401, "verification_failed");
    BOOST_TEST(count_messages(*this) == 0);

    params.emplace_back("sig", sig);
    const auto response = http_post(port, kPath, kJson, to_json(params));
    BOOST_TEST(response.status == 200, response.body);
    BOOST_TEST(column(row_of(*this, "0C00000000000001"), "sender") == "+447700900001");
}
