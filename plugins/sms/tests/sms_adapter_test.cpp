#define BOOST_TEST_MODULE sms_adapter
#include <algorithm>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <boost/test/unit_test.hpp>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "memolib/sdk/testing/fake_host.hpp"

namespace {

using memolib::sdk::Message;
using memolib::sdk::Status;
using memolib::sdk::testing::FakeHost;
using memolib::sdk::testing::FakeInstance;
using memolib::sdk::testing::FakeRequest;
using memolib::sdk::testing::FakeResult;
using Pairs = std::vector<std::pair<std::string, std::string>>;
using Config = std::map<std::string, std::string>;

constexpr const char* kForm = "application/x-www-form-urlencoded";
constexpr const char* kJson = "application/json";
constexpr const char* kPublicUrl = "https://hooks.example.org/webhooks/sms";
constexpr const char* kTwilioToken = "12345";
constexpr const char* kVonageSecret = "my-vonage-signature-secret";
// 2020-01-01 12:00:00 UTC, the documented example's message-timestamp.
constexpr long long kExampleMs = 1577880000000LL;

std::string fixture(const std::string& name) {
    return memolib::sdk::testing::read_file(std::string(MEMOLIB_SOURCE_DIR) +
                                            "/plugins/sms/tests/fixtures/" + name);
}

// One plugin load for the whole module, as the host loads each plugin once.
FakeHost& host() {
    static FakeHost h(std::string(MEMOLIB_BINARY_DIR) + "/plugins/sms.so");
    return h;
}

// Every key the plugin reads, as the host would hand it after applying the schema defaults.
Config base_config() {
    return {{"default_region", "FR"},
            {"vonage_signature_method", "md5hash"},
            {"vonage_max_age", "90000000"}};
}

Config with(Config config, const std::string& key, const std::string& value) {
    config[key] = value;
    return config;
}

FakeInstance make_sms(const Config& config = base_config()) {
    FakeInstance sms = host().create("sms", config);
    BOOST_REQUIRE_MESSAGE(sms, sms.creation().describe());
    return sms;
}

const FakeInstance& unsigned_sms() {
    static FakeInstance sms = make_sms();
    return sms;
}

FakeRequest post(const std::string& content_type, const std::string& body) {
    FakeRequest request;
    request.path = "/webhooks/sms";
    request.content_type = content_type;
    request.body = body;
    request.public_url = kPublicUrl;
    request.received_at_ms = kExampleMs + 5000;
    return request;
}

FakeRequest get(const std::string& query) {
    FakeRequest request;
    request.method = "GET";
    request.path = "/webhooks/sms";
    request.query = query;
    request.public_url = std::string(kPublicUrl) + "?" + query;
    request.received_at_ms = kExampleMs + 5000;
    return request;
}

FakeResult parse(const FakeRequest& request, const FakeInstance& sms = unsigned_sms()) {
    FakeResult result = sms.parse(request);
    BOOST_TEST(result.violations.empty(), result.describe());
    return result;
}

FakeResult verify(const FakeRequest& request, const FakeInstance& sms) {
    FakeResult result = sms.verify(request);
    BOOST_TEST(result.violations.empty(), result.describe());
    return result;
}

int as_int(Status s) { return static_cast<int>(s); }

// --- independent implementations of the providers' signatures, checked against their docs ---

std::string raw_hmac(const EVP_MD* md, const std::string& key, const std::string& data) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(md, key.data(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
    return std::string(reinterpret_cast<const char*>(out), len);
}

std::string hex(const std::string& bytes, bool upper = false) {
    const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    std::string out;
    for (unsigned char c : bytes) {
        out += digits[c >> 4];
        out += digits[c & 0xf];
    }
    return out;
}

std::string base64(const std::string& bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(bytes.data()),
                                  static_cast<int>(bytes.size()));
    out.resize(static_cast<std::size_t>(n));
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

Pairs form_pairs(const std::string& body) {
    Pairs out;
    std::size_t start = 0;
    while (start <= body.size()) {
        std::size_t end = body.find('&', start);
        if (end == std::string::npos) end = body.size();
        const std::string item = body.substr(start, end - start);
        const std::size_t eq = item.find('=');
        if (!item.empty()) {
            out.emplace_back(url_decode(item.substr(0, eq)),
                             eq == std::string::npos ? "" : url_decode(item.substr(eq + 1)));
        }
        start = end + 1;
    }
    return out;
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

// https://developer.vonage.com/getting-started/concepts/signing-messages: "&name=value" for
// every parameter but sig, sorted by name, '&' and '=' of values replaced by '_'; MD5 of that
// plus the secret (md5hash) or its HMAC keyed by the secret.
std::string vonage_signature(const Pairs& params, const std::string& secret,
                             const std::string& method) {
    std::map<std::string, std::string> sorted(params.begin(), params.end());
    sorted.erase("sig");
    std::string base;
    for (const auto& [name, value] : sorted) {
        std::string v = value;
        std::replace(v.begin(), v.end(), '&', '_');
        std::replace(v.begin(), v.end(), '=', '_');
        base.append("&").append(name).append("=").append(v);
    }
    if (method == "md5hash") {
        const std::string data = base + secret;
        unsigned char out[EVP_MAX_MD_SIZE];
        unsigned int len = 0;
        EVP_Digest(data.data(), data.size(), out, &len, EVP_md5(), nullptr);
        return hex(std::string(reinterpret_cast<const char*>(out), len));
    }
    const EVP_MD* md = method == "md5"      ? EVP_md5()
                       : method == "sha1"   ? EVP_sha1()
                       : method == "sha256" ? EVP_sha256()
                                            : EVP_sha512();
    // Vonage's libraries write the HMAC variants in upper case.
    return hex(raw_hmac(md, secret, base), /*upper=*/true);
}

std::string to_json(const Pairs& params) {
    std::string out = "{";
    for (const auto& [name, value] : params) {
        if (out.size() > 1) out += ",";
        out.append("\"").append(name).append("\":\"").append(value).append("\"");
    }
    return out + "}";
}

std::string to_form(const Pairs& params) {
    constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (const auto& [name, value] : params) {
        if (!out.empty()) out += "&";
        out += name + "=";
        for (unsigned char c : value) {
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
    }
    return out;
}

// The documented Vonage example, signed at `timestamp` with the given secret and method.
Pairs signed_vonage(const std::string& secret, const std::string& method,
                    const std::string& timestamp = "1577880000",
                    const std::string& text = "Hello world") {
    Pairs params = {{"api-key", "abcd1234"},  {"msisdn", "447700900001"},
                    {"to", "447700900000"},   {"messageId", "0A0000000123ABCD1"},
                    {"text", text},           {"type", "text"},
                    {"keyword", "HELLO"},     {"message-timestamp", "2020-01-01 12:00:00"},
                    {"timestamp", timestamp}, {"nonce", "aaaaaaaa-bbbb-cccc-dddd-0123456789ab"}};
    params.emplace_back("sig", vonage_signature(params, secret, method));
    return params;
}

FakeInstance twilio_signed() {
    return make_sms(with(base_config(), "twilio_auth_token", kTwilioToken));
}

FakeInstance vonage_signed(const std::string& method = "md5hash") {
    Config config = with(base_config(), "vonage_signature_secret", kVonageSecret);
    return make_sms(with(config, "vonage_signature_method", method));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(plugin)

BOOST_AUTO_TEST_CASE(describes_itself) {
    const memolib_plugin_descriptor_t& d = host().descriptor();
    BOOST_TEST(std::string(d.name) == "sms");
    BOOST_TEST(std::string(d.version) == "1.0.0");
    BOOST_TEST(std::string(d.status) == "stable");
    BOOST_TEST(std::string(d.providers[0]) == "twilio");
    BOOST_TEST(std::string(d.providers[1]) == "vonage");
    BOOST_TEST(d.providers[2] == nullptr);
    BOOST_TEST(std::string(d.content_types[0]) == kForm);
    BOOST_TEST(std::string(d.content_types[1]) == kJson);
    BOOST_TEST(d.content_types[2] == nullptr);
    BOOST_TEST(d.default_max_body_bytes == 50u * 1024);
    BOOST_TEST(d.default_rate_requests == 300u);
    BOOST_TEST(d.default_rate_window_ms == 3600000u);
    const std::string schema = d.config_schema_yaml;
    for (const char* key : {"twilio_auth_token:", "vonage_signature_secret:",
                            "vonage_signature_method:", "vonage_max_age:", "default_region:"}) {
        BOOST_TEST(schema.find(key) != std::string::npos, key);
    }
}

BOOST_AUTO_TEST_CASE(logs_once_per_unsigned_provider_and_never_the_secret) {
    const FakeInstance plain = make_sms();
    BOOST_TEST_REQUIRE(plain.creation().logs.size() == 2u, plain.creation().describe());
    BOOST_TEST(plain.creation().logs[0].message.find("Twilio") != std::string::npos);
    BOOST_TEST(plain.creation().logs[1].message.find("Vonage") != std::string::npos);
    BOOST_TEST(plain.creation().logs[0].level == MEMOLIB_LOG_WARN);

    Config both = with(base_config(), "twilio_auth_token", "tw-secret-value");
    both = with(both, "vonage_signature_secret", "vn-secret-value");
    const FakeInstance signed_both = make_sms(both);
    BOOST_TEST(signed_both.creation().logs.empty(), signed_both.creation().describe());

    const FakeInstance twilio_only = make_sms(with(base_config(), "twilio_auth_token", "tw-x"));
    BOOST_TEST_REQUIRE(twilio_only.creation().logs.size() == 1u);
    BOOST_TEST(twilio_only.creation().logs[0].message.find("Vonage") != std::string::npos);
    BOOST_TEST(twilio_only.creation().logs[0].message.find("tw-x") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(bad_config_is_refused_with_the_key) {
    const std::pair<const char*, const char*> cases[] = {{"default_region", "XX"},
                                                         {"default_region", "France"},
                                                         {"vonage_signature_method", "sha384"},
                                                         {"vonage_max_age", "-1"},
                                                         {"vonage_max_age", "soon"}};
    for (const auto& [key, value] : cases) {
        FakeInstance sms = host().create("sms", with(base_config(), key, value));
        BOOST_TEST(!sms, key << "=" << value);
        BOOST_TEST_REQUIRE(sms.creation().errors.size() == 1u, sms.creation().describe());
        BOOST_TEST(sms.creation().errors[0].field == key);
    }
}

BOOST_AUTO_TEST_CASE(handshake_is_not_handled_so_gets_reach_parse) {
    const FakeResult r = unsigned_sms().handshake(get(fixture("vonage_inbound.query")));
    BOOST_TEST(as_int(r.status) == as_int(Status::kNotHandled));
    BOOST_TEST(!r.response.has_value());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(twilio)

BOOST_AUTO_TEST_CASE(documented_sms_is_normalized) {
    const FakeResult r = parse(post(kForm, fixture("twilio_sms.urlencoded")));
    BOOST_TEST_REQUIRE(as_int(r.status) == as_int(Status::kOk), r.describe());
    BOOST_TEST(r.errors.empty());
    BOOST_TEST_REQUIRE(r.messages.size() == 1u);
    const Message& m = r.messages[0];
    BOOST_TEST(m.provider == "twilio");
    BOOST_TEST(m.external_id == "SM0000000000000000000000000000001");
    // Twilio sends From in E.164; +1 123 is no real area code, but the shape is E.164.
    BOOST_TEST(m.sender == "+11234567890");
    BOOST_TEST(m.recipient == "+12345678901");
    BOOST_TEST(m.text == "Ahoy!");
    BOOST_TEST(m.sender_name == "");
    BOOST_TEST(m.subject == "");
    BOOST_TEST(m.html == "");
    BOOST_TEST(m.attachments.empty());
    BOOST_TEST(m.provider_timestamp_ms == 0);
    BOOST_TEST(m.metadata_json ==
               R"({"account_sid":"AC0000000000000000000000000000001",)"
               R"("messaging_service_sid":"MG0000000000000000000000000000001",)"
               R"("num_segments":"1","from_city":"NASHUA","from_state":"NH","from_zip":"03049",)"
               R"("from_country":"US","to_city":"FORT MEADE","to_state":"FL","to_zip":"33841",)"
               R"("to_country":"US"})");
}

BOOST_AUTO_TEST_CASE(mms_media_become_attachment_descriptors) {
    const FakeResult r = parse(post(kForm, fixture("twilio_mms.urlencoded")));
    BOOST_TEST_REQUIRE(r.messages.size() == 1u, r.describe());
    const Message& m = r.messages[0];
    BOOST_TEST(m.external_id == "MM0000000000000000000000000000002");
    BOOST_TEST(m.sender == "+33612345678");
    BOOST_TEST(m.recipient == "+33757000000");
    BOOST_TEST(m.text == "Voici la photo du contrat");
    BOOST_TEST_REQUIRE(m.attachments.size() == 1u);
    BOOST_TEST(m.attachments[0].url ==
               "https://api.twilio.com/2010-04-01/Accounts/AC0000000000000000000000000000001/"
               "Messages/MM0000000000000000000000000000002/Media/"
               "ME0000000000000000000000000000003");
    BOOST_TEST(m.attachments[0].content_type == "image/jpeg");
    BOOST_TEST(m.attachments[0].size == -1);
    BOOST_TEST(m.attachments[0].name == "");
    BOOST_TEST(m.metadata_json ==
               R"({"account_sid":"AC0000000000000000000000000000001","num_segments":"1",)"
               R"("from_country":"FR","to_country":"FR"})");
}

BOOST_AUTO_TEST_CASE(get_with_the_legacy_sms_sid_is_read_from_the_query) {
    const FakeResult r =
        parse(get("SmsSid=SM1234567890abcdef1234567890abcdef&From=%2B33612345678"
                  "&To=%2B33757000000&Body=Bonjour"));
    BOOST_TEST_REQUIRE(r.messages.size() == 1u, r.describe());
    BOOST_TEST(r.messages[0].external_id == "SM1234567890abcdef1234567890abcdef");
    BOOST_TEST(r.messages[0].text == "Bonjour");
}

BOOST_AUTO_TEST_CASE(same_request_twice_gives_the_same_external_id) {
    const FakeResult a = parse(post(kForm, fixture("twilio_sms.urlencoded")));
    const FakeResult b = parse(post(kForm, fixture("twilio_sms.urlencoded")));
    BOOST_TEST_REQUIRE(a.messages.size() == 1u);
    BOOST_TEST_REQUIRE(b.messages.size() == 1u);
    BOOST_TEST(a.messages[0].external_id == b.messages[0].external_id);
    BOOST_TEST(a.messages[0].metadata_json == b.messages[0].metadata_json);
}

BOOST_AUTO_TEST_CASE(test_signature_helper_matches_twilios_documented_example) {
    // https://www.twilio.com/docs/usage/security#validating-requests
    const Pairs params = {{"CallSid", "CA1234567890ABCDE"},
                          {"Caller", "+12349013030"},
                          {"Digits", "1234"},
                          {"From", "+12349013030"},
                          {"To", "+18005551212"}};
    BOOST_TEST(twilio_signature("https://mycompany.com/myapp.php?foo=1&bar=2", params, "12345") ==
               "0/KCTR6DLpKmkAf8muzZqo1nDgQ=");
}

BOOST_AUTO_TEST_CASE(valid_signature_is_accepted) {
    const FakeInstance sms = twilio_signed();
    const std::string body = fixture("twilio_sms.urlencoded");
    FakeRequest request = post(kForm, body);
    request.headers = {
        {"X-Twilio-Signature", twilio_signature(kPublicUrl, form_pairs(body), kTwilioToken)}};
    const FakeResult r = verify(request, sms);
    BOOST_TEST(as_int(r.status) == as_int(Status::kOk), r.describe());
    BOOST_TEST(r.errors.empty());
    // The header name is case-insensitive.
    request.headers = {
        {"x-twilio-signature", twilio_signature(kPublicUrl, form_pairs(body), kTwilioToken)}};
    BOOST_TEST(as_int(verify(request, sms).status) == as_int(Status::kOk));
}

BOOST_AUTO_TEST_CASE(signature_over_the_url_with_or_without_its_default_port_is_accepted) {
    const FakeInstance sms = twilio_signed();
    const std::string body = fixture("twilio_sms.urlencoded");
    FakeRequest request = post(kForm, body);
    request.public_url = "https://hooks.example.org:443/webhooks/sms";
    request.headers = {
        {"X-Twilio-Signature", twilio_signature(kPublicUrl, form_pairs(body), kTwilioToken)}};
    BOOST_TEST(as_int(verify(request, sms).status) == as_int(Status::kOk));
    request.public_url = kPublicUrl;
    request.headers = {
        {"X-Twilio-Signature", twilio_signature("https://hooks.example.org:443/webhooks/sms",
                                                form_pairs(body), kTwilioToken)}};
    BOOST_TEST(as_int(verify(request, sms).status) == as_int(Status::kOk));
}

BOOST_AUTO_TEST_CASE(get_signature_covers_the_url_only) {
    const FakeInstance sms = twilio_signed();
    FakeRequest request =
        get("MessageSid=SM0000000000000000000000000000009&From=%2B33612345678"
            "&To=%2B33757000000&Body=Salut");
    request.headers = {
        {"X-Twilio-Signature", twilio_signature(request.public_url, {}, kTwilioToken)}};
    BOOST_TEST(as_int(verify(request, sms).status) == as_int(Status::kOk));
}

BOOST_AUTO_TEST_CASE(tampered_wrong_or_missing_signature_is_unauthorized) {
    const FakeInstance sms = twilio_signed();
    const std::string body = fixture("twilio_sms.urlencoded");
    const std::string good = twilio_signature(kPublicUrl, form_pairs(body), kTwilioToken);

    FakeRequest tampered = post(kForm, body);
    tampered.body.replace(tampered.body.find("Ahoy"), 4, "Ohoy");
    tampered.headers = {{"X-Twilio-Signature", good}};
    FakeResult r = verify(tampered, sms);
    BOOST_TEST(as_int(r.status) == as_int(Status::kUnauthorized));
    BOOST_TEST(r.has_error("X-Twilio-Signature", "bad_signature"), r.describe());

    FakeRequest wrong = post(kForm, body);
    wrong.headers = {
        {"X-Twilio-Signature", twilio_signature(kPublicUrl, form_pairs(body), "54321")}};
    r = verify(wrong, sms);
    BOOST_TEST(as_int(r.status) == as_int(Status::kUnauthorized));
    BOOST_TEST(r.has_error("X-Twilio-Signature", "bad_signature"), r.describe());

    FakeRequest other_url = post(kForm, body);
    other_url.public_url = "https://evil.example.org/webhooks/sms";
    other_url.headers = {{"X-Twilio-Signature", good}};
    BOOST_TEST(as_int(verify(other_url, sms).status) == as_int(Status::kUnauthorized));

    r = verify(post(kForm, body), sms);
    BOOST_TEST(as_int(r.status) == as_int(Status::kUnauthorized));
    BOOST_TEST(r.has_error("X-Twilio-Signature", "missing_signature"), r.describe());

    FakeRequest empty = post(kForm, body);
    empty.headers = {{"X-Twilio-Signature", ""}};
    BOOST_TEST(as_int(verify(empty, sms).status) == as_int(Status::kUnauthorized));
}

BOOST_AUTO_TEST_CASE(without_a_token_requests_are_accepted_unsigned) {
    const FakeResult r = verify(post(kForm, fixture("twilio_sms.urlencoded")), unsigned_sms());
    BOOST_TEST(as_int(r.status) == as_int(Status::kOk));
    FakeRequest forged = post(kForm, fixture("twilio_sms.urlencoded"));
    forged.headers = {{"X-Twilio-Signature", "bm9wZQ=="}};
    BOOST_TEST(as_int(verify(forged, unsigned_sms()).status) == as_int(Status::kOk));
}

BOOST_AUTO_TEST_CASE(a_vonage_secret_does_not_sign_twilio_requests) {
    const FakeResult r = verify(post(kForm, fixture("twilio_sms.urlencoded")), vonage_signed());
    BOOST_TEST(as_int(r.status) == as_int(Status::kOk), r.describe());
}

BOOST_AUTO_TEST_CASE(malformed_requests_name_their_fields) {
    const std::pair<std::string, std::pair<const char*, const char*>> cases[] = {
        {"MessageSid=SM1&To=%2B33757000000&Body=x", {"From", "required"}},
        {"MessageSid=SM1&From=%2B33612345678&Body=x", {"To", "required"}},
        {"MessageSid=&From=%2B33612345678&To=%2B33757000000", {"MessageSid", "required"}},
        {"MessageSid=SM%2F1&From=%2B33612345678&To=1", {"MessageSid", "invalid_format"}},
        {"MessageSid=SM1&From=whatsapp%3A%2B33612345678&To=1", {"From", "invalid_format"}},
        {"MessageSid=SM1&From=not+a+number%21&To=1", {"From", "invalid_format"}},
        {"MessageSid=SM1&From=%2B33612345678&To=1&Body=caf%E9", {"Body", "invalid_encoding"}},
        {"MessageSid=SM1&From=%2B33612345678&To=1&Body=a%00b", {"Body", "invalid_encoding"}},
        {"MessageSid=SM1&From=%2B33612345678&To=1&NumMedia=two", {"NumMedia", "invalid_format"}},
        {"MessageSid=SM1&From=%2B33612345678&To=1&NumMedia=1000", {"NumMedia", "out_of_range"}},
        {"MessageSid=SM1&From=%2B33612345678&To=1&NumMedia=2&MediaUrl0=https%3A%2F%2Fa",
         {"MediaUrl1", "required"}},
    };
    for (const auto& [body, error] : cases) {
        const FakeResult r = parse(post(kForm, body));
        BOOST_TEST(as_int(r.status) == as_int(Status::kInvalid), body);
        BOOST_TEST(r.messages.empty(), body);
        BOOST_TEST(r.has_error(error.first, error.second), body << "\n" << r.describe());
    }
}

BOOST_AUTO_TEST_CASE(every_problem_is_reported_at_once) {
    const FakeResult r = parse(post(kForm, "MessageSid=SM%2F1&Body=caf%E9"));
    BOOST_TEST(as_int(r.status) == as_int(Status::kInvalid));
    BOOST_TEST(r.has_error("MessageSid", "invalid_format"), r.describe());
    BOOST_TEST(r.has_error("From", "required"), r.describe());
    BOOST_TEST(r.has_error("To", "required"), r.describe());
    BOOST_TEST(r.has_error("Body", "invalid_encoding"), r.describe());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(vonage)

BOOST_AUTO_TEST_CASE(documented_json_is_normalized) {
    const FakeResult r = parse(post(kJson, fixture("vonage_inbound.json")));
    BOOST_TEST_REQUIRE(as_int(r.status) == as_int(Status::kOk), r.describe());
    BOOST_TEST_REQUIRE(r.messages.size() == 1u);
    const Message& m = r.messages[0];
    BOOST_TEST(m.provider == "vonage");
    BOOST_TEST(m.external_id == "0A0000000123ABCD1");
    BOOST_TEST(m.sender == "+447700900001");
    BOOST_TEST(m.recipient == "+447700900000");
    BOOST_TEST(m.text == "Hello world");
    BOOST_TEST(m.provider_timestamp_ms == kExampleMs);
    BOOST_TEST(m.attachments.empty());
    BOOST_TEST(m.sender_name == "");
    BOOST_TEST(m.subject == "");
    BOOST_TEST(m.metadata_json == R"({"type":"text","keyword":"HELLO","api_key":"abcd1234"})");
}

BOOST_AUTO_TEST_CASE(form_and_get_variants_give_the_same_message) {
    const FakeResult json = parse(post(kJson, fixture("vonage_inbound.json")));
    const FakeResult form = parse(post(kForm, fixture("vonage_inbound.urlencoded")));
    const FakeResult query = parse(get(fixture("vonage_inbound.query")));
    BOOST_TEST_REQUIRE(json.messages.size() == 1u, json.describe());
    for (const FakeResult* r : {&form, &query}) {
        BOOST_TEST_REQUIRE(as_int(r->status) == as_int(Status::kOk), r->describe());
        BOOST_TEST_REQUIRE(r->messages.size() == 1u);
        const Message& m = r->messages[0];
        BOOST_TEST(m.provider == "vonage");
        BOOST_TEST(m.external_id == json.messages[0].external_id);
        BOOST_TEST(m.sender == json.messages[0].sender);
        BOOST_TEST(m.recipient == json.messages[0].recipient);
        BOOST_TEST(m.text == json.messages[0].text);
        BOOST_TEST(m.provider_timestamp_ms == json.messages[0].provider_timestamp_ms);
        BOOST_TEST(m.metadata_json == json.messages[0].metadata_json);
    }
}

BOOST_AUTO_TEST_CASE(post_with_an_empty_body_reads_the_query) {
    FakeRequest request = post("", "");
    request.query = fixture("vonage_inbound.query");
    const FakeResult r = parse(request);
    BOOST_TEST_REQUIRE(r.messages.size() == 1u, r.describe());
    BOOST_TEST(r.messages[0].sender == "+447700900001");
}

BOOST_AUTO_TEST_CASE(documented_concatenated_part_keeps_its_reference) {
    const FakeResult r = parse(post(kJson, fixture("vonage_concat_part.json")));
    BOOST_TEST_REQUIRE(r.messages.size() == 1u, r.describe());
    const Message& m = r.messages[0];
    BOOST_TEST(m.external_id == "0A0000000123ABCD1");
    BOOST_TEST(m.text == "Hello world");
    BOOST_TEST(m.provider_timestamp_ms == kExampleMs);
    BOOST_TEST(m.metadata_json ==
               R"({"type":"text","keyword":"HELLO","api_key":"abcd1234","concat_ref":"1",)"
               R"("concat_part":"2","concat_total":"3"})");
}

BOOST_AUTO_TEST_CASE(each_part_of_a_two_part_sms_is_its_own_message) {
    const FakeResult one = parse(
        post(kJson, R"({"msisdn":"33612345678","to":"33757000000","messageId":"0B00000001",)"
                    R"("text":"Bonjour, je vous écris au sujet du dossier 42 : pouvez-vous me ",)"
                    R"("type":"unicode","concat":"true","concat-ref":"77","concat-part":"1",)"
                    R"("concat-total":"2","message-timestamp":"2020-01-01 12:00:00"})"));
    const FakeResult two =
        parse(post(kJson, R"({"msisdn":"33612345678","to":"33757000000","messageId":"0B00000002",)"
                          R"("text":"rappeler demain ?","type":"unicode","concat":"true",)"
                          R"("concat-ref":"77","concat-part":"2","concat-total":"2",)"
                          R"("message-timestamp":"2020-01-01 12:00:01"})"));
    BOOST_TEST_REQUIRE(one.messages.size() == 1u, one.describe());
    BOOST_TEST_REQUIRE(two.messages.size() == 1u, two.describe());
    BOOST_TEST(one.messages[0].external_id == "0B00000001");
    BOOST_TEST(two.messages[0].external_id == "0B00000002");
    BOOST_TEST(one.messages[0].sender == "+33612345678");
    BOOST_TEST(one.messages[0].metadata_json ==
               R"({"type":"unicode","concat_ref":"77","concat_part":"1","concat_total":"2"})");
    BOOST_TEST(two.messages[0].metadata_json ==
               R"({"type":"unicode","concat_ref":"77","concat_part":"2","concat_total":"2"})");
}

BOOST_AUTO_TEST_CASE(binary_sms_keeps_its_data_and_header) {
    const FakeResult r = parse(
        post(kJson, R"({"msisdn":"447700900001","to":"447700900000","messageId":"0C0000000000001",)"
                    R"("type":"binary","data":"48656c6c6f","udh":"050003CC0201",)"
                    R"("message-timestamp":"2020-01-01 12:00:00"})"));
    BOOST_TEST_REQUIRE(r.messages.size() == 1u, r.describe());
    BOOST_TEST(r.messages[0].text == "");
    BOOST_TEST(r.messages[0].metadata_json ==
               R"({"type":"binary","data":"48656c6c6f","udh":"050003CC0201"})");
}

BOOST_AUTO_TEST_CASE(numbers_without_country_code_use_default_region) {
    const std::string body = R"({"msisdn":"0612345678","to":"447700900000","messageId":"X1",)"
                             R"("text":"hi","type":"text"})";
    const FakeResult fr = parse(post(kJson, body));
    BOOST_TEST_REQUIRE(fr.messages.size() == 1u, fr.describe());
    BOOST_TEST(fr.messages[0].sender == "+33612345678");

    const FakeInstance gb = make_sms(with(base_config(), "default_region", "gb"));
    const FakeResult uk = parse(post(kJson, R"({"msisdn":"07400 123456","to":"447700900000",)"
                                            R"("messageId":"X2","text":"hi","type":"text"})"),
                                gb);
    BOOST_TEST_REQUIRE(uk.messages.size() == 1u, uk.describe());
    BOOST_TEST(uk.messages[0].sender == "+447400123456");
}

BOOST_AUTO_TEST_CASE(alphanumeric_and_short_code_senders_are_kept_as_given) {
    const FakeResult alpha = parse(post(kJson, R"({"msisdn":"InfoBank","to":"447700900000",)"
                                               R"("messageId":"X3","text":"hi","type":"text"})"));
    BOOST_TEST_REQUIRE(alpha.messages.size() == 1u, alpha.describe());
    BOOST_TEST(alpha.messages[0].sender == "InfoBank");
    BOOST_TEST(alpha.messages[0].metadata_json ==
               R"({"type":"text","sender_type":"alphanumeric"})");
    const FakeResult code = parse(post(kJson, R"({"msisdn":"36665","to":"447700900000",)"
                                              R"("messageId":"X4","text":"hi","type":"text"})"));
    BOOST_TEST_REQUIRE(code.messages.size() == 1u, code.describe());
    BOOST_TEST(code.messages[0].sender == "36665");
}

BOOST_AUTO_TEST_CASE(malformed_requests_name_their_fields) {
    const std::pair<std::string, std::pair<const char*, const char*>> cases[] = {
        {R"({"msisdn":"447700900001","messageId":"A1","text":"x"})", {"to", "required"}},
        {R"({"msisdn":"447700900001","to":"1","messageId":"A1","type":"text"})",
         {"text", "required"}},
        {R"({"msisdn":"447700900001","to":"1","messageId":"A 1","text":"x"})",
         {"messageId", "invalid_format"}},
        {R"({"msisdn":"!!","to":"1","messageId":"A1","text":"x"})", {"msisdn", "invalid_format"}},
        {R"({"msisdn":"447700900001","to":"1","messageId":"A1","text":{"a":1}})",
         {"text", "invalid_type"}},
        {R"({"msisdn":"447700900001","to":"1","messageId":"A1","text":"x",)"
         R"("message-timestamp":"yesterday"})",
         {"message-timestamp", "invalid_format"}},
        {R"({"msisdn":"447700900001","to":"1","messageId":"A1","text":"x","concat":"true",)"
         R"("concat-ref":"9","concat-part":"3","concat-total":"2"})",
         {"concat-part", "out_of_range"}},
        {R"({"msisdn":"447700900001","to":"1","messageId":"A1","text":"x","concat":"true",)"
         R"("concat-ref":"9","concat-part":"one","concat-total":"2"})",
         {"concat-part", "invalid_format"}},
        {R"({"msisdn":"447700900001","to":"1","messageId":"A1","text":"x","concat":"true",)"
         R"("concat-part":"1","concat-total":"2"})",
         {"concat-ref", "required"}},
        {R"({"msisdn":"447700900001","to":"1","messageId":"A1","text":"a\u0000b"})",
         {"text", "invalid_encoding"}},
        {"{\"msisdn\":\"447700900001\",\"to\":\"1\",\"messageId\":\"A1\",\"text\":\"caf\xe9\"}",
         {"text", "invalid_encoding"}},
    };
    for (const auto& [body, error] : cases) {
        const FakeResult r = parse(post(kJson, body));
        BOOST_TEST(as_int(r.status) == as_int(Status::kInvalid), body);
        BOOST_TEST(r.messages.empty(), body);
        BOOST_TEST(r.has_error(error.first, error.second), body << "\n" << r.describe());
    }
}

BOOST_AUTO_TEST_CASE(test_signature_helper_matches_vonages_documented_example) {
    // The md5hash vector of Vonage's Python library's tests (a=1, b=2, timestamp, secret).
    const Pairs params = {{"a", "1"}, {"b", "2"}, {"timestamp", "1461605396"}};
    BOOST_TEST(vonage_signature(params, "secret", "md5hash") == "6af838ef94998832dbfc29020b564830");
}

BOOST_AUTO_TEST_CASE(valid_signatures_of_every_method_are_accepted) {
    for (const char* method : {"md5hash", "md5", "sha1", "sha256", "sha512"}) {
        const FakeInstance sms = vonage_signed(method);
        // '&' and '=' in a value are replaced by '_' before signing.
        const Pairs params = signed_vonage(kVonageSecret, method, "1577880000", "a=b & c");
        FakeResult r = verify(post(kJson, to_json(params)), sms);
        BOOST_TEST(as_int(r.status) == as_int(Status::kOk), method << "\n" << r.describe());
        r = verify(post(kForm, to_form(params)), sms);
        BOOST_TEST(as_int(r.status) == as_int(Status::kOk), method << "\n" << r.describe());
        r = verify(get(to_form(params)), sms);
        BOOST_TEST(as_int(r.status) == as_int(Status::kOk), method << "\n" << r.describe());
        // The signed request also parses, `sig`, `nonce` and `timestamp` aside.
        const FakeResult parsed = parse(post(kJson, to_json(params)), sms);
        BOOST_TEST_REQUIRE(parsed.messages.size() == 1u, parsed.describe());
        BOOST_TEST(parsed.messages[0].text == "a=b & c");
    }
}

BOOST_AUTO_TEST_CASE(signature_case_does_not_matter) {
    const FakeInstance sms = vonage_signed("sha256");
    Pairs params = signed_vonage(kVonageSecret, "sha256");
    std::string& sig = params.back().second;
    std::transform(sig.begin(), sig.end(), sig.begin(), [](char c) { return std::tolower(c); });
    BOOST_TEST(as_int(verify(post(kJson, to_json(params)), sms).status) == as_int(Status::kOk));
}

BOOST_AUTO_TEST_CASE(tampered_wrong_or_missing_signature_is_unauthorized) {
    const FakeInstance sms = vonage_signed("sha256");

    Pairs tampered = signed_vonage(kVonageSecret, "sha256");
    tampered[4].second = "Hello world!";
    FakeResult r = verify(post(kJson, to_json(tampered)), sms);
    BOOST_TEST(as_int(r.status) == as_int(Status::kUnauthorized));
    BOOST_TEST(r.has_error("sig", "bad_signature"), r.describe());

    r = verify(post(kJson, to_json(signed_vonage("another-secret", "sha256"))), sms);
    BOOST_TEST(as_int(r.status) == as_int(Status::kUnauthorized));
    BOOST_TEST(r.has_error("sig", "bad_signature"), r.describe());

    // Signed with another method than the one configured.
    r = verify(post(kJson, to_json(signed_vonage(kVonageSecret, "md5hash"))), sms);
    BOOST_TEST(as_int(r.status) == as_int(Status::kUnauthorized));

    Pairs unsigned_params = signed_vonage(kVonageSecret, "sha256");
    unsigned_params.pop_back();
    r = verify(post(kJson, to_json(unsigned_params)), sms);
    BOOST_TEST(as_int(r.status) == as_int(Status::kUnauthorized));
    BOOST_TEST(r.has_error("sig", "missing_signature"), r.describe());

    r = verify(post(kJson, fixture("vonage_inbound.json")), sms);
    BOOST_TEST(as_int(r.status) == as_int(Status::kUnauthorized));
    BOOST_TEST(r.has_error("sig", "missing_signature"), r.describe());
}

BOOST_AUTO_TEST_CASE(timestamp_is_required_and_must_be_recent) {
    const FakeInstance sms = vonage_signed("sha256");
    Pairs without = {{"msisdn", "447700900001"},
                     {"to", "447700900000"},
                     {"messageId", "0A0000000123ABCD1"},
                     {"text", "Hello world"}};
    without.emplace_back("sig", vonage_signature(without, kVonageSecret, "sha256"));
    FakeResult r = verify(post(kJson, to_json(without)), sms);
    BOOST_TEST(as_int(r.status) == as_int(Status::kUnauthorized));
    BOOST_TEST(r.has_error("timestamp", "missing_timestamp"), r.describe());

    // Signed two days before arrival: beyond the 25 h Vonage's retries can take.
    r = verify(post(kJson, to_json(signed_vonage(kVonageSecret, "sha256", "1577707200"))), sms);
    BOOST_TEST(as_int(r.status) == as_int(Status::kUnauthorized));
    BOOST_TEST(r.has_error("timestamp", "stale_timestamp"), r.describe());

    // A day old is a retry Vonage may still send.
    r = verify(post(kJson, to_json(signed_vonage(kVonageSecret, "sha256", "1577793600"))), sms);
    BOOST_TEST(as_int(r.status) == as_int(Status::kOk), r.describe());

    r = verify(post(kJson, to_json(signed_vonage(kVonageSecret, "sha256", "soon"))), sms);
    BOOST_TEST(as_int(r.status) == as_int(Status::kUnauthorized));
    BOOST_TEST(r.has_error("timestamp", "invalid_format"), r.describe());

    // vonage_max_age: 0 turns the age check off.
    Config no_limit = with(base_config(), "vonage_signature_secret", kVonageSecret);
    no_limit = with(with(no_limit, "vonage_signature_method", "sha256"), "vonage_max_age", "0");
    r = verify(post(kJson, to_json(signed_vonage(kVonageSecret, "sha256", "1000000000"))),
               make_sms(no_limit));
    BOOST_TEST(as_int(r.status) == as_int(Status::kOk), r.describe());
}

BOOST_AUTO_TEST_CASE(without_a_secret_requests_are_accepted_unsigned) {
    FakeResult r = verify(post(kJson, fixture("vonage_inbound.json")), unsigned_sms());
    BOOST_TEST(as_int(r.status) == as_int(Status::kOk));
    r = verify(post(kJson, to_json(signed_vonage("whatever", "md5hash"))), unsigned_sms());
    BOOST_TEST(as_int(r.status) == as_int(Status::kOk));
    // A Twilio token does not sign Vonage requests.
    r = verify(post(kJson, fixture("vonage_inbound.json")), twilio_signed());
    BOOST_TEST(as_int(r.status) == as_int(Status::kOk));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(requests)

BOOST_AUTO_TEST_CASE(unrecognized_requests_are_unknown_provider) {
    const FakeRequest requests[] = {post(kJson, R"({"from":"+33612345678","text":"hi"})"),
                                    post(kJson, R"({"msisdn":"447700900001","text":"hi"})"),
                                    post(kJson, R"({"MessageSid":"SM1","From":"+3361"})"),
                                    post(kForm, "foo=bar"),
                                    get(""),
                                    get("hello=world")};
    for (const FakeRequest& request : requests) {
        const FakeResult r = parse(request);
        BOOST_TEST(as_int(r.status) == as_int(Status::kInvalid), request.body << request.query);
        BOOST_TEST_REQUIRE(r.errors.size() == 1u, r.describe());
        BOOST_TEST(r.errors[0].code == "unknown_provider");
        BOOST_TEST(r.errors[0].field == (request.method == "GET" ? "query" : "body"));
        // Verify leaves the refusal to parse.
        BOOST_TEST(as_int(verify(request, twilio_signed()).status) == as_int(Status::kOk));
    }
}

BOOST_AUTO_TEST_CASE(other_media_types_are_unsupported) {
    for (const char* type : {"text/plain", "multipart/form-data; boundary=x", ""}) {
        const FakeResult r = parse(post(type, fixture("vonage_inbound.urlencoded")));
        BOOST_TEST(as_int(r.status) == as_int(Status::kUnsupportedMediaType), type);
        BOOST_TEST(r.has_error("content-type", "unsupported_media_type"), r.describe());
    }
    const FakeResult charset =
        parse(post("Application/JSON; charset=UTF-8", fixture("vonage_inbound.json")));
    BOOST_TEST(as_int(charset.status) == as_int(Status::kOk), charset.describe());
}

BOOST_AUTO_TEST_CASE(malformed_json_names_the_offset) {
    FakeResult r = parse(post(kJson, R"({"msisdn": "447700900001", "messageId": )"));
    BOOST_TEST(as_int(r.status) == as_int(Status::kInvalid));
    BOOST_TEST_REQUIRE(r.errors.size() == 1u, r.describe());
    BOOST_TEST(r.errors[0].field == "body");
    BOOST_TEST(r.errors[0].code == "malformed_json");
    BOOST_TEST(r.errors[0].message.find("offset") != std::string::npos);
    for (const char* body : {"[]", "\"x\"", "42", "null", "true"}) {
        r = parse(post(kJson, body));
        BOOST_TEST(as_int(r.status) == as_int(Status::kInvalid), body);
        BOOST_TEST(r.has_error("body", "invalid_type"), body << "\n" << r.describe());
    }
}

BOOST_AUTO_TEST_CASE(deeply_nested_json_does_not_crash) {
    std::string body = R"({"msisdn":"447700900001","to":"1","messageId":"A1","text":"hi","x":)";
    body += std::string(200000, '[') + std::string(200000, ']') + "}";
    const FakeResult r = parse(post(kJson, body));
    BOOST_TEST(as_int(r.status) == as_int(Status::kOk), r.describe());
}

BOOST_AUTO_TEST_CASE(host_refusing_the_message_is_invalid) {
    FakeInstance sms = make_sms();
    sms.set_max_messages(0);
    const FakeResult r = sms.parse(post(kJson, fixture("vonage_inbound.json")));
    BOOST_TEST(as_int(r.status) == as_int(Status::kInvalid));
    BOOST_TEST(r.messages.empty());
}

BOOST_AUTO_TEST_CASE(verify_and_parse_run_concurrently) {
    Config config = with(base_config(), "vonage_signature_secret", kVonageSecret);
    config =
        with(with(config, "vonage_signature_method", "sha256"), "twilio_auth_token", kTwilioToken);
    const FakeInstance sms = make_sms(config);
    const std::string twilio = fixture("twilio_sms.urlencoded");
    FakeRequest requests[3] = {post(kForm, twilio),
                               post(kJson, to_json(signed_vonage(kVonageSecret, "sha256"))),
                               get(to_form(signed_vonage(kVonageSecret, "sha256")))};
    requests[0].headers = {
        {"X-Twilio-Signature", twilio_signature(kPublicUrl, form_pairs(twilio), kTwilioToken)}};
    std::vector<int> failures(4, 0);
    std::vector<std::thread> threads;
    for (std::size_t t = 0; t < failures.size(); ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 150; ++i) {
                const FakeRequest& request = requests[(t + i) % 3];
                const FakeResult v = sms.verify(request);
                const FakeResult p = sms.parse(request);
                if (v.status != Status::kOk || p.status != Status::kOk || p.messages.size() != 1 ||
                    !v.violations.empty() || !p.violations.empty()) {
                    ++failures[t];
                }
            }
        });
    }
    for (std::thread& thread : threads) thread.join();
    for (int f : failures) BOOST_TEST(f == 0);
}

BOOST_AUTO_TEST_CASE(garbage_never_crashes) {
    const std::string inputs[] = {"",
                                  "{",
                                  "}",
                                  "\xff\xfe",
                                  std::string("\0\0\0", 3),
                                  "=&=&&%",
                                  "%%%",
                                  "MessageSid&From&To",
                                  "msisdn=&messageId=&concat=true",
                                  R"({"msisdn":1,"messageId":2,"to":3,"text":4})",
                                  R"({"msisdn":null,"messageId":"x"})",
                                  fixture("twilio_mms.urlencoded").substr(0, 200),
                                  fixture("vonage_concat_part.json").substr(0, 120)};
    // The inputs that name a provider by its fields in that content type (Twilio's MessageSid,
    // Vonage's msisdn and messageId): with the provider's secret set, verify refuses them for
    // their missing signature. Everything else verify leaves to parse, which refuses it.
    const std::set<std::pair<std::string, std::string>> unsigned_provider_requests = {
        {inputs[7], kForm}, {inputs[8], kForm}, {inputs[9], kJson}, {inputs[11], kForm}};
    const FakeInstance signed_sms = make_sms(
        with(with(base_config(), "twilio_auth_token", "t"), "vonage_signature_secret", "v"));
    for (const std::string& body : inputs) {
        for (const char* type : {kJson, kForm, "text/plain"}) {
            for (const FakeInstance* sms : {&unsigned_sms(), &signed_sms}) {
                const FakeResult r = parse(post(type, body), *sms);
                BOOST_TEST(static_cast<int>(r.status) ==
                               static_cast<int>(type == std::string("text/plain") && !body.empty()
                                                    ? Status::kUnsupportedMediaType
                                                    : Status::kInvalid),
                           type << " / " << r.describe());
                const bool refused =
                    sms == &signed_sms && unsigned_provider_requests.count({body, type}) == 1;
                const FakeResult v = verify(post(type, body), *sms);
                BOOST_TEST(static_cast<int>(v.status) ==
                               static_cast<int>(refused ? Status::kUnauthorized : Status::kOk),
                           type << " / " << v.describe());
            }
        }
        const FakeResult q = parse(get(body));
        BOOST_TEST(static_cast<int>(q.status) == static_cast<int>(Status::kInvalid), q.describe());
    }
}

BOOST_AUTO_TEST_SUITE_END()

namespace {

memolib::sdk::testing::FakeOutcome outcome(memolib::sdk::OutcomeKind kind, int status = 200) {
    memolib::sdk::testing::FakeOutcome o;
    o.kind = kind;
    o.http_status = status;
    return o;
}

}  // namespace

BOOST_AUTO_TEST_CASE(twilio_gets_empty_twiml_for_every_success) {
    using memolib::sdk::OutcomeKind;
    const FakeRequest twilio = post(kForm, fixture("twilio_sms.urlencoded"));
    for (const OutcomeKind kind : {OutcomeKind::kStored, OutcomeKind::kDuplicate,
                                   OutcomeKind::kAccepted, OutcomeKind::kQuarantined}) {
        const FakeResult r = unsigned_sms().answer(twilio, outcome(kind));
        BOOST_TEST(r.violations.empty(), r.describe());
        BOOST_REQUIRE(r.response.has_value());
        BOOST_TEST(r.response->status == 200);
        BOOST_TEST(r.response->content_type == "text/xml");
        BOOST_TEST(r.response->body == R"(<?xml version="1.0" encoding="UTF-8"?><Response/>)");
    }
}

BOOST_AUTO_TEST_CASE(twilio_refusals_and_vonage_keep_the_host_s_answer) {
    using memolib::sdk::OutcomeKind;
    const FakeRequest twilio = post(kForm, fixture("twilio_sms.urlencoded"));
    BOOST_TEST(!unsigned_sms().answer(twilio, outcome(OutcomeKind::kRejected, 400)).response);
    BOOST_TEST(!unsigned_sms().answer(twilio, outcome(OutcomeKind::kDuplicate, 409)).response);
    const FakeRequest vonage = post(kJson, fixture("vonage_inbound.json"));
    BOOST_TEST(!unsigned_sms().answer(vonage, outcome(OutcomeKind::kStored)).response);
}
