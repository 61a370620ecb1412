#define BOOST_TEST_MODULE email_adapter
#include <cctype>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "memolib/plugins/common/crypto.hpp"
#include "memolib/plugins/common/form_data.hpp"
#include "memolib/sdk/testing/fake_host.hpp"

namespace {

using memolib::sdk::Message;
using memolib::sdk::Status;
using memolib::sdk::testing::FakeHost;
using memolib::sdk::testing::FakeInstance;
using memolib::sdk::testing::FakeRequest;
using memolib::sdk::testing::FakeResult;
namespace common = memolib::plugins::common;

using Config = std::map<std::string, std::string>;

constexpr const char* kRfc822 = "message/rfc822";
constexpr const char* kJson = "application/json";
constexpr const char* kUrlencoded = "application/x-www-form-urlencoded";
constexpr const char* kSendgridMultipart = "multipart/form-data; boundary=xYzZY";
constexpr const char* kMailgunMultipart =
    "multipart/form-data; boundary=515e0b8d-a7e3-43ef-808e-f27b75edf470";

// The test signing key the Mailgun urlencoded fixture was signed with (fixtures/README.md).
constexpr const char* kMailgunKey = "e3c5a8d1f04b9a6d2c7e8f9a0b1c2d3e";
constexpr std::int64_t kMailgunFixtureTimestamp = 1770920772;
constexpr std::int64_t kFifteenMinutesMs = 900000;
constexpr const char* kMailgunFixtureToken = "e0b5477167110d68991efc6b9f89f0a11066af27834600e123";
// The captured Mailgun multipart post: its timestamp, token and original signature.
constexpr std::int64_t kCaptureTimestamp = 1366071615;
constexpr const char* kCaptureToken = "5o56tmpwd3dnwthehwclemd-i-7u2gv9vb3u745ywj67d0mc87";
constexpr const char* kCaptureSignature =
    "bc2ab6c1080d52f2a06928b93f21e86c2d28c548e2ef64354f8ba1a95bb53cd6";

constexpr const char* kPostmarkAuth = "postmark:s3cr3t-p4ss";

std::string fixture(const std::string& name) {
    return memolib::sdk::testing::read_file(std::string(MEMOLIB_SOURCE_DIR) +
                                            "/plugins/email/tests/fixtures/" + name);
}

// One plugin load for the whole module, as the host loads each plugin once.
FakeHost& host() {
    static FakeHost h(std::string(MEMOLIB_BINARY_DIR) + "/plugins/email.so");
    return h;
}

// Every key given, as the host hands a validated config with defaults applied.
Config config(const Config& overrides = {}) {
    Config c{{"mailgun_max_age", "900000"}, {"providers", "mailgun,sendgrid,postmark,mime"}};
    for (const auto& [k, v] : overrides) c[k] = v;
    return c;
}

FakeInstance make(const Config& c = config()) {
    FakeInstance email = host().create("email", c);
    BOOST_REQUIRE_MESSAGE(email, email.creation().describe());
    return email;
}

const FakeInstance& unsigned_channel() {
    static FakeInstance email = make();
    return email;
}

const FakeInstance& signed_channel() {
    static FakeInstance email = make(
        config({{"mailgun_signing_key", kMailgunKey}, {"postmark_basic_auth", kPostmarkAuth}}));
    return email;
}

FakeRequest request(const std::string& content_type, const std::string& body,
                    std::int64_t received_at_ms = 0) {
    FakeRequest r;
    r.path = "/webhooks/email";
    r.content_type = content_type;
    r.body = body;
    r.received_at_ms = received_at_ms;
    return r;
}

FakeResult parse(const std::string& content_type, const std::string& body,
                 const FakeInstance& email = unsigned_channel()) {
    FakeResult result = email.parse(request(content_type, body));
    BOOST_TEST(result.violations.empty(), result.describe());
    return result;
}

FakeResult verify(const FakeRequest& r, const FakeInstance& email = signed_channel()) {
    FakeResult result = email.verify(r);
    BOOST_TEST(result.violations.empty(), result.describe());
    return result;
}

// A copy, so that a caller may pass the temporary result of parse().
Message only_message(const FakeResult& r) {
    BOOST_TEST_REQUIRE(static_cast<int>(r.status) == static_cast<int>(Status::kOk), r.describe());
    BOOST_TEST_REQUIRE(r.messages.size() == 1u, r.describe());
    BOOST_TEST(r.errors.empty(), r.describe());
    return r.messages[0];
}

bool is(Status got, Status expected) { return static_cast<int>(got) == static_cast<int>(expected); }

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
    for (std::size_t at = s.find(from); at != std::string::npos;
         at = s.find(from, at + to.size())) {
        s.replace(at, from.size(), to);
    }
    return s;
}

std::string mailgun_signature(const std::string& key, std::int64_t timestamp,
                              const std::string& token) {
    return common::hex_encode(common::hmac_sha256(key, std::to_string(timestamp) + token));
}

// An urlencoded Mailgun post from name/value pairs, encoded as Python's urlencode does.
std::string urlencode(const std::vector<std::pair<std::string, std::string>>& pairs) {
    static const char* const kHex = "0123456789ABCDEF";
    std::string out;
    for (const auto& [name, value] : pairs) {
        if (!out.empty()) out += '&';
        for (const std::string* s : {&name, &value}) {
            for (unsigned char c : *s) {
                if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
                    out += static_cast<char>(c);
                } else if (c == ' ') {
                    out += '+';
                } else {
                    out += '%';
                    out += kHex[c >> 4];
                    out += kHex[c & 15];
                }
            }
            if (s == &name) out += '=';
        }
    }
    return out;
}

// The urlencoded fixture with one field replaced (or removed when `value` is null).
std::string mailgun_form_with(const std::string& name, const char* value) {
    common::FormPairs pairs = common::parse_urlencoded(fixture("mailgun_forward.urlencoded"));
    std::vector<std::pair<std::string, std::string>> out;
    for (auto& [k, v] : pairs) {
        if (k == name) {
            if (value != nullptr) out.emplace_back(k, value);
        } else {
            out.emplace_back(k, v);
        }
    }
    return urlencode(out);
}

std::string basic(const std::string& credentials) {
    return "Basic " + common::base64_encode(credentials);
}

}  // namespace

BOOST_AUTO_TEST_CASE(describes_itself) {
    const memolib_plugin_descriptor_t& d = host().descriptor();
    BOOST_TEST(std::string(d.name) == "email");
    BOOST_TEST(std::string(d.version) == "1.0.0");
    BOOST_TEST(std::string(d.status) == "stable");
    const std::vector<std::string> providers = {"mailgun", "sendgrid", "postmark", "mime"};
    for (std::size_t i = 0; i < providers.size(); ++i) {
        BOOST_TEST(std::string(d.providers[i]) == providers[i]);
    }
    BOOST_TEST(d.providers[providers.size()] == nullptr);
    const std::vector<std::string> types = {"message/rfc822", "application/json",
                                            "application/x-www-form-urlencoded",
                                            "multipart/form-data"};
    for (std::size_t i = 0; i < types.size(); ++i) {
        BOOST_TEST(std::string(d.content_types[i]) == types[i]);
    }
    BOOST_TEST(d.content_types[types.size()] == nullptr);
    BOOST_TEST(d.default_max_body_bytes == 10u * 1024 * 1024);
    BOOST_TEST(d.default_rate_requests == 100u);
    BOOST_TEST(d.default_rate_window_ms == 3600000u);
    const std::string schema = d.config_schema_yaml;
    for (const char* key :
         {"mailgun_signing_key:", "mailgun_max_age:", "postmark_basic_auth:", "providers:"}) {
        BOOST_TEST(schema.find(key) != std::string::npos, key);
    }
    BOOST_TEST(schema.find("default: 15m") != std::string::npos);
}

// ---- Mailgun ----

BOOST_AUTO_TEST_CASE(mailgun_urlencoded_forward_is_normalized) {
    const FakeResult r = parse(kUrlencoded, fixture("mailgun_forward.urlencoded"));
    const Message& m = only_message(r);
    BOOST_TEST(m.provider == "mailgun");
    BOOST_TEST(m.external_id == "517ACC75.5010709@example.com");
    BOOST_TEST(m.sender == "bob@example.com");
    BOOST_TEST(m.sender_name == "Bob");
    BOOST_TEST(m.recipient == "alice@example.com");
    BOOST_TEST(m.subject == "Re: Sample POST request");
    BOOST_TEST(
        m.text ==
        "Hi Alice,\n\nThis is Bob.\n\nThanks,\nBob\n\nOn Thu, Feb 12, 2026 at 6:20 PM Alice "
        "<alice@example.com> wrote:\n> Hi Bob,\n>\n> This is Alice. How are you doing?\n>\n> "
        "Thanks,\n> Alice");
    BOOST_TEST(m.html.rfind("<html><body><div>Hi Alice,</div>", 0) == 0);
    BOOST_TEST(m.provider_timestamp_ms == 1770920769000);  // the Date header, not the post time
    BOOST_TEST(m.attachments.empty());
    BOOST_TEST(m.metadata_json ==
               R"({"in_reply_to":"517AC78B.5060404@example.com",)"
               R"("references":"517AC78B.5060404@example.com",)"
               R"("envelope_from":"bob@example.com","envelope_to":"alice@example.com",)"
               R"("stripped_text":"Hi Alice,\n\nThis is Bob."})");
}

BOOST_AUTO_TEST_CASE(mailgun_multipart_capture_is_normalized_with_attachments) {
    const FakeResult r = parse(kMailgunMultipart, fixture("mailgun_multipart.multipart"));
    const Message& m = only_message(r);
    BOOST_TEST(m.provider == "mailgun");
    BOOST_TEST(m.external_id == "E102015D-F580-4316-81FA-7324838A3AE8@opennorth.ca");
    BOOST_TEST(m.sender == "james@opennorth.ca");
    BOOST_TEST(m.sender_name == "James McKinney");
    BOOST_TEST(m.recipient == "foo+bar@multimail.mailgun.org");
    BOOST_TEST(m.subject == "Test");
    BOOST_TEST(m.text ==
               "bold text\n\n\n\nsome more bold text\n\n\n\nsome italic text\n\n> multiline\n> "
               "quoted\n> text\n\n\n--\nSignature block");
    BOOST_TEST(m.html.find("<i>some italic text</i>") != std::string::npos);
    BOOST_TEST(m.provider_timestamp_ms == 1366071612000);
    BOOST_TEST_REQUIRE(m.attachments.size() == 2u);
    BOOST_TEST(m.attachments[0].name == "foo.txt");
    BOOST_TEST(m.attachments[0].content_type == "text/plain");
    BOOST_TEST(m.attachments[0].size == 58);
    BOOST_TEST(m.attachments[1].name == "bar.txt");
    BOOST_TEST(m.attachments[1].size == 39);
    BOOST_TEST(m.attachments[1].url == "");
    BOOST_TEST(m.metadata_json.find(R"("spam_score":"-0.7")") != std::string::npos);
    BOOST_TEST(m.metadata_json.find(R"("envelope_from":"james@opennorth.ca")") !=
               std::string::npos);
}

BOOST_AUTO_TEST_CASE(mailgun_signature_computed_from_the_key_is_accepted) {
    // The fixture was signed with kMailgunKey: recompute it here rather than trust the file.
    const std::string expected =
        mailgun_signature(kMailgunKey, kMailgunFixtureTimestamp, kMailgunFixtureToken);
    const std::string body = mailgun_form_with("signature", expected.c_str());
    BOOST_TEST(body == fixture("mailgun_forward.urlencoded"));
    const FakeResult r =
        verify(request(kUrlencoded, body, kMailgunFixtureTimestamp * 1000 + 30000));
    BOOST_TEST(is(r.status, Status::kOk), r.describe());
    BOOST_TEST(r.errors.empty());
}

BOOST_AUTO_TEST_CASE(mailgun_signature_in_upper_case_hex_is_accepted) {
    std::string upper =
        mailgun_signature(kMailgunKey, kMailgunFixtureTimestamp, kMailgunFixtureToken);
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    // An instance of its own: the fixture's token is claimed with another body elsewhere.
    const FakeInstance email = make(config({{"mailgun_signing_key", kMailgunKey}}));
    const FakeResult r = verify(request(kUrlencoded, mailgun_form_with("signature", upper.c_str()),
                                        kMailgunFixtureTimestamp * 1000),
                                email);
    BOOST_TEST(is(r.status, Status::kOk), r.describe());
}

BOOST_AUTO_TEST_CASE(mailgun_multipart_signature_is_checked) {
    const std::string good = mailgun_signature(kMailgunKey, kCaptureTimestamp, kCaptureToken);
    const std::string body =
        replace_all(fixture("mailgun_multipart.multipart"), kCaptureSignature, good);
    const std::int64_t now = kCaptureTimestamp * 1000 + 5000;
    BOOST_TEST(is(verify(request(kMailgunMultipart, body, now)).status, Status::kOk));
    // As captured, it was signed with a key we do not have.
    const FakeResult r =
        verify(request(kMailgunMultipart, fixture("mailgun_multipart.multipart"), now));
    BOOST_TEST(is(r.status, Status::kUnauthorized));
    BOOST_TEST(r.has_error("signature", "bad_signature"), r.describe());
}

BOOST_AUTO_TEST_CASE(mailgun_tampered_fields_are_unauthorized) {
    const std::int64_t now = kMailgunFixtureTimestamp * 1000;
    const std::string tampered_token(kMailgunFixtureToken + std::string("x"));
    for (const auto& [name, value] : std::vector<std::pair<std::string, std::string>>{
             {"token", tampered_token},
             {"timestamp", std::to_string(kMailgunFixtureTimestamp + 1)},
             {"signature", std::string(64, '0')},
             {"signature", "not hex at all"}}) {
        BOOST_TEST_CONTEXT(name << " = " << value) {
            const FakeResult r =
                verify(request(kUrlencoded, mailgun_form_with(name, value.c_str()), now));
            BOOST_TEST(is(r.status, Status::kUnauthorized));
            BOOST_TEST(r.has_error("signature", "bad_signature"), r.describe());
        }
    }
}

// Mailgun signs timestamp + token only: a changed body keeps a valid signature, so each token
// is claimed with its body (memolib_host_t::claim_nonce): the same body again is Mailgun's
// re-delivery, another body is a replay, until the timestamp is too old for either.
void a_token_carries_one_body(FakeInstance& email) {
    const std::int64_t signed_at = kMailgunFixtureTimestamp * 1000;
    const std::string body = fixture("mailgun_forward.urlencoded");
    const std::string forged = mailgun_form_with("subject", "Changed subject");
    BOOST_TEST(is(verify(request(kUrlencoded, body, signed_at), email).status, Status::kOk));
    BOOST_TEST(
        is(verify(request(kUrlencoded, body, signed_at + 60000), email).status, Status::kOk));
    const FakeResult replay = verify(request(kUrlencoded, forged, signed_at + 60000), email);
    BOOST_TEST(is(replay.status, Status::kUnauthorized));
    BOOST_TEST(replay.has_error("token", "replayed_token"), replay.describe());
    // Past the window the timestamp refuses it, whatever the body.
    const FakeResult late =
        verify(request(kUrlencoded, forged, signed_at + kFifteenMinutesMs + 1000), email);
    BOOST_TEST(late.has_error("timestamp", "stale_timestamp"), late.describe());
}

BOOST_AUTO_TEST_CASE(a_mailgun_token_is_claimed_with_its_body_through_the_host) {
    FakeInstance email = make(config({{"mailgun_signing_key", kMailgunKey}}));
    a_token_carries_one_body(email);
}

BOOST_AUTO_TEST_CASE(a_mailgun_token_is_claimed_with_its_body_in_a_1_0_host) {
    FakeInstance email = make(config({{"mailgun_signing_key", kMailgunKey}}));
    email.set_host_abi_1_0(true);
    a_token_carries_one_body(email);
}

BOOST_AUTO_TEST_CASE(mailgun_wrong_key_is_unauthorized) {
    FakeInstance other = make(config({{"mailgun_signing_key", "another-key"}}));
    const FakeResult r = verify(request(kUrlencoded, fixture("mailgun_forward.urlencoded"),
                                        kMailgunFixtureTimestamp * 1000),
                                other);
    BOOST_TEST(is(r.status, Status::kUnauthorized));
    BOOST_TEST(r.has_error("signature", "bad_signature"), r.describe());
}

BOOST_AUTO_TEST_CASE(mailgun_missing_signature_fields_are_unauthorized) {
    const std::int64_t now = kMailgunFixtureTimestamp * 1000;
    for (const char* name : {"signature", "token", "timestamp"}) {
        BOOST_TEST_CONTEXT(name) {
            const FakeResult r =
                verify(request(kUrlencoded, mailgun_form_with(name, nullptr), now));
            BOOST_TEST(is(r.status, Status::kUnauthorized));
            BOOST_TEST(r.has_error(name, "missing_signature"), r.describe());
        }
    }
    // A request with nothing of Mailgun's but its body field is still Mailgun's, and unsigned.
    const FakeResult r = verify(request(kUrlencoded, "body-plain=hello&from=a%40b.example", now));
    BOOST_TEST(is(r.status, Status::kUnauthorized));
}

BOOST_AUTO_TEST_CASE(mailgun_stale_and_future_timestamps_are_unauthorized) {
    const std::string body = fixture("mailgun_forward.urlencoded");
    const std::int64_t signed_at = kMailgunFixtureTimestamp * 1000;
    const FakeResult stale = verify(request(kUrlencoded, body, signed_at + kFifteenMinutesMs + 1));
    BOOST_TEST(is(stale.status, Status::kUnauthorized));
    BOOST_TEST(stale.has_error("timestamp", "stale_timestamp"), stale.describe());
    const FakeResult edge = verify(request(kUrlencoded, body, signed_at + kFifteenMinutesMs));
    BOOST_TEST(is(edge.status, Status::kOk), edge.describe());
    const FakeResult future = verify(request(kUrlencoded, body, signed_at - kFifteenMinutesMs - 1));
    BOOST_TEST(is(future.status, Status::kUnauthorized));
    BOOST_TEST(future.has_error("timestamp", "future_timestamp"), future.describe());
    // mailgun_max_age is honoured.
    FakeInstance strict =
        make(config({{"mailgun_signing_key", kMailgunKey}, {"mailgun_max_age", "60000"}}));
    const FakeResult r = verify(request(kUrlencoded, body, signed_at + 61000), strict);
    BOOST_TEST(r.has_error("timestamp", "stale_timestamp"), r.describe());
}

BOOST_AUTO_TEST_CASE(mailgun_without_key_is_accepted_unsigned) {
    const FakeResult r =
        verify(request(kUrlencoded, mailgun_form_with("signature", nullptr)), unsigned_channel());
    BOOST_TEST(is(r.status, Status::kOk), r.describe());
}

BOOST_AUTO_TEST_CASE(mailgun_body_mime_route_is_read_from_the_message) {
    const std::string body = urlencode({{"recipient", "mary@example.net"},
                                        {"sender", "jdoe@machine.example"},
                                        {"from", "John Doe <jdoe@machine.example>"},
                                        {"subject", "Saying Hello"},
                                        {"body-mime", fixture("rfc5322_a1_1.eml")},
                                        {"timestamp", "1770920772"},
                                        {"token", kMailgunFixtureToken},
                                        {"signature", "x"}});
    const Message& m = only_message(parse(kUrlencoded, body));
    BOOST_TEST(m.provider == "mailgun");
    BOOST_TEST(m.external_id == "1234@local.machine.example");
    BOOST_TEST(m.recipient == "mary@example.net");
    BOOST_TEST(m.text == "This is a message just to say hello.\nSo, \"Hello\".");
    BOOST_TEST(m.provider_timestamp_ms == 880127706000);
}

BOOST_AUTO_TEST_CASE(mailgun_stored_message_attachments_keep_their_urls) {
    const std::string body = urlencode(
        {{"from", "Bob <bob@example.com>"},
         {"body-plain", "See attached."},
         {"attachments",
          R"([{"url": "https://storage.mailgun.net/v3/domains/mg.example.org/messages/AgEF/)"
          R"(attachments/0",)"
          R"( "content-type": "application/pdf", "name": "plan.pdf", "size": 48123}])"}});
    const Message& m = only_message(parse(kUrlencoded, body));
    BOOST_TEST_REQUIRE(m.attachments.size() == 1u);
    BOOST_TEST(m.attachments[0].name == "plan.pdf");
    BOOST_TEST(m.attachments[0].content_type == "application/pdf");
    BOOST_TEST(m.attachments[0].size == 48123);
    BOOST_TEST(m.attachments[0].url ==
               "https://storage.mailgun.net/v3/domains/mg.example.org/messages/AgEF/attachments/0");
}

BOOST_AUTO_TEST_CASE(mailgun_malformed_message_headers_name_the_field) {
    const FakeResult r = parse(kUrlencoded, mailgun_form_with("message-headers", "[[\"From\""));
    BOOST_TEST(is(r.status, Status::kInvalid));
    BOOST_TEST(r.has_error("message-headers", "malformed_json"), r.describe());
    const FakeResult pairs =
        parse(kUrlencoded, mailgun_form_with("message-headers", "[[\"From\"]]"));
    BOOST_TEST(pairs.has_error("message-headers[0]", "invalid_type"), pairs.describe());
}

BOOST_AUTO_TEST_CASE(mailgun_invalid_utf8_becomes_replacement_characters) {
    const std::string body = urlencode({{"from", "a@b.example"}, {"body-plain", "caf\xe9 ok"}});
    const Message& m = only_message(parse(kUrlencoded, body));
    BOOST_TEST(m.text == "caf\xef\xbf\xbd ok");
}

// ---- SendGrid ----

BOOST_AUTO_TEST_CASE(sendgrid_default_payload_is_normalized) {
    const Message& m =
        only_message(parse(kSendgridMultipart, fixture("sendgrid_default.multipart")));
    BOOST_TEST(m.provider == "sendgrid");
    BOOST_TEST(m.external_id ==
               "CAAzJDmKK=-=RRYtNxwMhg4Z=Qy96H1mZva0GNf1JqhhDyPf-dA@mail.gmail.com");
    BOOST_TEST(m.sender == "random@gmail.com");
    BOOST_TEST(m.sender_name == "Rakin Uddin");
    BOOST_TEST(m.recipient == "test@rakinu.com");
    BOOST_TEST(m.subject == "Fwd: Test Subject");
    BOOST_TEST(
        m.text ==
        "---------- Forwarded message ---------\nFrom: Rakin Uddin <random@gmail.com>\nDate: "
        "Sun, Oct 28, 2018 at 7:48 PM\nSubject: Test Subject\nTo: <test@rakinu.com>\n\n\n"
        "Testing the inbound e-mail parser here");
    BOOST_TEST(m.html.find("Testing the inbound e-mail parser here") != std::string::npos);
    BOOST_TEST(m.provider_timestamp_ms == 1540771063000);
    BOOST_TEST(m.attachments.empty());
    BOOST_TEST(
        m.metadata_json ==
        R"({"in_reply_to":"CAAzJDmJhGrJS9zc00U0EP6-mw+rc2MGX51ZSSUMEoYBiM=et4g@mail.gmail.com",)"
        R"("references":"CAAzJDmJhGrJS9zc00U0EP6-mw+rc2MGX51ZSSUMEoYBiM=et4g@mail.gmail.com",)"
        R"("envelope_from":"random@gmail.com","envelope_to":"test@rakinu.com"})");
}

BOOST_AUTO_TEST_CASE(sendgrid_raw_payload_is_parsed_as_mime) {
    const Message& m = only_message(parse(kSendgridMultipart, fixture("sendgrid_raw.multipart")));
    BOOST_TEST(m.provider == "sendgrid");
    BOOST_TEST(m.external_id ==
               "CAF5GBptN93asLzEJvFTz_MLY0ftvfbVnaNNFdYdPcpX7qtnSgQ@mail.gmail.com");
    BOOST_TEST(m.sender == "forwarding-noreply@google.com");
    BOOST_TEST(m.sender_name == "Gmail Team");
    BOOST_TEST(m.recipient == "test_test_test123@gmail.com");
    BOOST_TEST(
        m.subject ==
        "(#123456789) Gmail Forwarding Confirmation - Receive Mail from test_test@gmail.com");
    BOOST_TEST(m.text.rfind("test_test@gmail.com has requested to automatically forward mail to "
                            "your email\naddress test_test_test123@gmail.com.\n",
                            0) == 0);
    BOOST_TEST(m.text.find("The Gmail Team") != std::string::npos);
    BOOST_TEST(m.text.find('\r') == std::string::npos);
    BOOST_TEST(m.html == "");
    BOOST_TEST(m.provider_timestamp_ms == 1634910610000);
    BOOST_TEST(m.metadata_json == R"({"envelope_from":"forwarding-noreply@google.com",)"
                                  R"("envelope_to":"test_test_test123@gmail.com"})");
}

BOOST_AUTO_TEST_CASE(sendgrid_charsets_and_attachments) {
    const Message& m =
        only_message(parse(kSendgridMultipart, fixture("sendgrid_latin1_attachment.multipart")));
    BOOST_TEST(m.provider == "sendgrid");
    BOOST_TEST(m.external_id == "facture-2025-12@example.fr");
    BOOST_TEST(m.sender == "helene.lefevre@example.fr");
    BOOST_TEST(m.sender_name == "H\xc3\xa9l\xc3\xa8ne Lef\xc3\xa8vre");
    BOOST_TEST(m.recipient == "factures@cabinet.example");
    BOOST_TEST(m.subject ==
               "Facture de d\xc3\xa9"
               "cembre");
    BOOST_TEST(m.text ==
               "Bonjour,\nvoici la facture de d\xc3\xa9"
               "cembre pour le dossier Lef\xc3\xa8vre.\nCordialement,\nH\xc3\xa9l\xc3\xa8ne");
    // windows-1252: no-break spaces, the euro sign, an en dash and curly quotes.
    BOOST_TEST(m.html ==
               "<p>Montant\xc2\xa0: 120\xc2\xa0\xe2\x82\xac \xe2\x80\x93 \xe2\x80\x9cpay\xc3\xa9"
               "\xe2\x80\x9d</p>");
    BOOST_TEST(m.provider_timestamp_ms == 1765787400000);
    BOOST_TEST_REQUIRE(m.attachments.size() == 1u);
    BOOST_TEST(m.attachments[0].name ==
               "facture-d\xc3\xa9"
               "cembre.pdf");
    BOOST_TEST(m.attachments[0].content_type == "application/pdf");
    BOOST_TEST(m.attachments[0].size == 77);
    BOOST_TEST(m.metadata_json.find(R"("spam_score":"0.1")") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(sendgrid_malformed_json_fields_name_the_field) {
    std::string body = replace_all(fixture("sendgrid_default.multipart"),
                                   R"({"to":["test@rakinu.com"],"from":"random@gmail.com"})",
                                   R"({"to":"test@rakinu.com")");
    const FakeResult r = parse(kSendgridMultipart, body);
    BOOST_TEST(is(r.status, Status::kInvalid));
    BOOST_TEST(r.has_error("envelope", "malformed_json"), r.describe());
    body = replace_all(fixture("sendgrid_default.multipart"), R"({"to":"UTF-8","html")",
                       R"({"to":7,"html")");
    const FakeResult types = parse(kSendgridMultipart, body);
    BOOST_TEST(types.has_error("charsets.to", "invalid_type"), types.describe());
}

BOOST_AUTO_TEST_CASE(sendgrid_raw_with_a_broken_message_is_invalid) {
    const std::string body =
        "--xYzZY\r\nContent-Disposition: form-data; name=\"email\"\r\n\r\nno headers here, just "
        "text\r\n--xYzZY--\r\n";
    const FakeResult r = parse(kSendgridMultipart, body);
    BOOST_TEST(is(r.status, Status::kInvalid));
    BOOST_TEST(r.has_error("email", "malformed_message"), r.describe());
}

// ---- Postmark ----

BOOST_AUTO_TEST_CASE(postmark_documentation_example_is_normalized) {
    const Message& m = only_message(parse(kJson, fixture("postmark_inbound.json")));
    BOOST_TEST(m.provider == "postmark");
    BOOST_TEST(m.external_id == "73e6d360-66eb-11e1-8e72-a8904824019b");
    BOOST_TEST(m.sender == "support@postmarkapp.com");
    BOOST_TEST(m.sender_name == "Postmarkapp Support");
    BOOST_TEST(m.recipient == "yourhash+samplehash@inbound.postmarkapp.com");
    BOOST_TEST(m.subject == "Test subject");
    BOOST_TEST(m.text == "This is a test text body.");
    BOOST_TEST(m.html == "<html><body><p>This is a test html body.</p></body></html>");
    BOOST_TEST(m.provider_timestamp_ms == 1406925932000);
    BOOST_TEST_REQUIRE(m.attachments.size() == 1u);
    BOOST_TEST(m.attachments[0].name == "test.txt");
    BOOST_TEST(m.attachments[0].content_type == "text/plain");
    BOOST_TEST(m.attachments[0].size == 45);
    BOOST_TEST(m.attachments[0].url == "");
    BOOST_TEST(m.attachments[0].provider_id == "");
    BOOST_TEST(m.metadata_json ==
               R"({"reply_to":"replyto@postmarkapp.com",)"
               R"("cc":"\"First Cc\" <firstcc@postmarkapp.com>, secondCc@postmarkapp.com>",)"
               R"("envelope_to":"yourhash+samplehash@inbound.postmarkapp.com",)"
               R"("stripped_text":"This is the reply text","mailbox_hash":"SampleHash",)"
               R"("original_recipient":"yourhash+SampleHash@inbound.postmarkapp.com",)"
               R"("tag":"TestTag","spam_score":"-0.1"})");
    // The attachment's bytes are nowhere in the message.
    BOOST_TEST(m.metadata_json.find("VGhpcyBpcyBhdHRhY2htZW50") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(postmark_message_id_header_goes_to_metadata) {
    const std::string body =
        R"({"FromFull":{"Email":"Jane@Example.org","Name":"Jane"},"MessageID":"abc-1",)"
        R"("Headers":[{"Name":"Message-ID","Value":"<CAF=x@mail.gmail.com>"},)"
        R"({"Name":"In-Reply-To","Value":"<prev@example.org>"}],"TextBody":"Hi"})";
    const Message& m = only_message(parse(kJson, body));
    BOOST_TEST(m.external_id == "abc-1");
    BOOST_TEST(m.sender == "jane@example.org");
    BOOST_TEST(m.metadata_json ==
               R"({"message_id":"CAF=x@mail.gmail.com","in_reply_to":"prev@example.org"})");
}

BOOST_AUTO_TEST_CASE(postmark_basic_auth_is_checked) {
    const std::string body = fixture("postmark_inbound.json");
    FakeRequest good = request(kJson, body);
    good.headers = {{"Authorization", basic(kPostmarkAuth)}};
    BOOST_TEST(is(verify(good).status, Status::kOk));

    FakeRequest lower_scheme = good;
    lower_scheme.headers = {{"authorization", "basic " + common::base64_encode(kPostmarkAuth)}};
    BOOST_TEST(is(verify(lower_scheme).status, Status::kOk));

    for (const std::string& value :
         {basic("postmark:wrong"), basic("other:s3cr3t-p4ss"), basic(""), std::string("Basic !!!"),
          std::string("Bearer ") + kPostmarkAuth, std::string(kPostmarkAuth)}) {
        BOOST_TEST_CONTEXT(value) {
            FakeRequest wrong = request(kJson, body);
            wrong.headers = {{"Authorization", value}};
            const FakeResult r = verify(wrong);
            BOOST_TEST(is(r.status, Status::kUnauthorized));
            BOOST_TEST(r.has_error("Authorization", "bad_credentials"), r.describe());
        }
    }
    const FakeResult missing = verify(request(kJson, body));
    BOOST_TEST(is(missing.status, Status::kUnauthorized));
    BOOST_TEST(missing.has_error("Authorization", "missing_credentials"), missing.describe());
    // Without configured credentials, Postmark is accepted as it comes.
    BOOST_TEST(is(verify(request(kJson, body), unsigned_channel()).status, Status::kOk));
}

BOOST_AUTO_TEST_CASE(postmark_wrong_types_are_reported_with_their_paths) {
    const FakeResult r = parse(
        kJson, R"({"FromFull":"support@postmarkapp.com","MessageID":"m1","From":"a@b.example",)"
               R"("Attachments":[{"Name":"x","ContentLength":"many"},"text"],"ToFull":[3]})");
    BOOST_TEST(is(r.status, Status::kInvalid));
    BOOST_TEST(r.messages.empty());
    BOOST_TEST(r.has_error("FromFull", "invalid_type"), r.describe());
    BOOST_TEST(r.has_error("Attachments[0].ContentLength", "invalid_type"), r.describe());
    BOOST_TEST(r.has_error("Attachments[1]", "invalid_type"), r.describe());
    BOOST_TEST(r.has_error("ToFull[0]", "invalid_type"), r.describe());
}

BOOST_AUTO_TEST_CASE(postmark_without_a_sender_is_invalid) {
    const FakeResult r = parse(kJson, R"({"MessageID":"m1","TextBody":"orphan"})");
    BOOST_TEST(is(r.status, Status::kInvalid));
    BOOST_TEST(r.has_error("From", "required"), r.describe());
    const FakeResult bad = parse(kJson, R"({"MessageID":"m1","FromFull":{"Email":"nobody"}})");
    BOOST_TEST(bad.has_error("FromFull.Email", "invalid_format"), bad.describe());
}

// ---- Raw MIME ----

BOOST_AUTO_TEST_CASE(mime_rfc5322_simple_message) {
    const Message& m = only_message(parse(kRfc822, fixture("rfc5322_a1_1.eml")));
    BOOST_TEST(m.provider == "mime");
    BOOST_TEST(m.external_id == "1234@local.machine.example");
    BOOST_TEST(m.sender == "jdoe@machine.example");
    BOOST_TEST(m.sender_name == "John Doe");
    BOOST_TEST(m.recipient == "mary@example.net");
    BOOST_TEST(m.subject == "Saying Hello");
    BOOST_TEST(m.text == "This is a message just to say hello.\nSo, \"Hello\".");
    BOOST_TEST(m.html == "");
    BOOST_TEST(m.provider_timestamp_ms == 880127706000);
    BOOST_TEST(m.attachments.empty());
    BOOST_TEST(m.metadata_json == "");
}

BOOST_AUTO_TEST_CASE(mime_reply_keeps_in_reply_to_and_references) {
    const Message& m = only_message(parse(kRfc822, fixture("rfc5322_a2_reply.eml")));
    BOOST_TEST(m.external_id == "abcd.1234@local.machine.example");
    BOOST_TEST(m.recipient == "smith@home.example");
    BOOST_TEST(m.provider_timestamp_ms == 880131600000);
    BOOST_TEST(m.metadata_json == R"({"in_reply_to":"3456@example.net",)"
                                  R"("references":"1234@local.machine.example 3456@example.net"})");
}

BOOST_AUTO_TEST_CASE(mime_rfc2047_encoded_words_are_decoded) {
    const Message& m = only_message(parse(kRfc822, fixture("rfc2047_encoded_words.eml")));
    BOOST_TEST(m.sender == "moore@cs.utk.edu");
    BOOST_TEST(m.sender_name == "Keith Moore");
    BOOST_TEST(m.recipient == "keld@dkuug.dk");
    BOOST_TEST(m.subject == "If you can read this you understand the example.");
    BOOST_TEST(m.metadata_json == "{\"cc\":\"Andr\xc3\xa9 Pirard <PIRARD@vm1.ulg.ac.be>\"}");
}

BOOST_AUTO_TEST_CASE(mime_nodemailer_padded_encoded_words_are_decoded_each) {
    const Message& m = only_message(parse(kRfc822, fixture("nodemailer_cyrillic.eml")));
    BOOST_TEST(m.subject == "Запрос по договору аренды квартиры на улице Пушкина, дом 10");
    BOOST_TEST(m.sender_name == "Пётр Иванов");
    BOOST_REQUIRE_EQUAL(m.attachments.size(), 2U);
    BOOST_TEST(m.attachments[0].name == "Договор аренды квартиры.pdf");
    BOOST_TEST(m.attachments[1].name == "Счёт-фактура №42.pdf");
}

BOOST_AUTO_TEST_CASE(mime_q_words_quoted_names_and_split_characters) {
    // Q words side by side; a B word inside a quoted display name; a character split across
    // two B words (no RFC allows it, some mailers do it); Latin-1 beside UTF-8.
    const std::string message =
        "From: \"=?UTF-8?B?0J/RkdGC?= =?UTF-8?B?0YAg0JjQsg==?=\" <petr@example.ru>\r\n"
        "Subject: =?UTF-8?Q?=D0=BF?= =?UTF-8?Q?=D0=BE_?=\r\n =?UTF-8?B?0A==?= =?UTF-8?B?vw==?="
        " =?ISO-8859-1?Q?caf=E9?= ok\r\n"
        "Message-ID: <q@example.ru>\r\n\r\nBody\r\n";
    const Message& m = only_message(parse(kRfc822, message));
    BOOST_TEST(m.sender_name == "Пётр Ив");
    BOOST_TEST(m.subject == "по пcafé ok");
}

BOOST_AUTO_TEST_CASE(mime_message_of_too_many_parts_is_refused_before_parsing) {
    std::string message =
        "From: a@example.org\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n";
    for (int i = 0; i < 1001; ++i) message += "--b\r\n\r\nx\r\n";
    message += "--b--\r\n";
    const FakeResult r = parse(kRfc822, message);
    BOOST_TEST(is(r.status, Status::kInvalid));
    BOOST_REQUIRE_EQUAL(r.errors.size(), 1U);
    BOOST_TEST(r.errors[0].code == "too_many_parts");
}

BOOST_AUTO_TEST_CASE(mime_latin1_quoted_printable_becomes_utf8) {
    const Message& m = only_message(parse(kRfc822, fixture("latin1_quoted_printable.eml")));
    BOOST_TEST(m.sender == "francois.leger@example.fr");
    BOOST_TEST(m.sender_name == "Fran\xc3\xa7ois L\xc3\xa9ger");
    BOOST_TEST(m.recipient == "contact@cabinet-martin.example");
    BOOST_TEST(m.subject ==
               "Rendez-vous \xc3\xa0 pr\xc3\xa9voir pour la succession de mon p\xc3\xa8re");
    BOOST_TEST(m.text ==
               "Bonjour Ma\xc3\xaetre,\n\nJe souhaiterais un rendez-vous \xc3\xa0 propos de la "
               "succession de mon p\xc3\xa8re. Seriez-vous disponible la semaine "
               "prochaine\xc2\xa0?\n\nBien cordialement,\nFran\xc3\xa7ois L\xc3\xa9ger");
    BOOST_TEST(m.external_id == "20250311093000.4242@mail.example.fr");
    BOOST_TEST(m.provider_timestamp_ms == 1741681800000);
}

BOOST_AUTO_TEST_CASE(mime_multipart_alternative_with_attachments) {
    const Message& m =
        only_message(parse(kRfc822, fixture("multipart_alternative_attachments.eml")));
    BOOST_TEST(m.sender == "claire.dupont@example.org");
    BOOST_TEST(m.sender_name == "Dupont, Claire");
    BOOST_TEST(m.recipient == "");  // undisclosed-recipients:; names nobody
    BOOST_TEST(m.subject == "Devis r\xc3\xa9novation");
    // Windows-1252 in base64: curly quotes, no-break spaces, the euro sign, the oe ligature.
    BOOST_TEST(m.text ==
               "Bonjour,\n\nCi-joint le devis \xe2\x80\x9cr\xc3\xa9novation\xe2\x80\x9d\xc2\xa0: "
               "1\xc2\xa0"
               "250\xc2\xa0\xe2\x82\xac.\nL\xe2\x80\x99\xc5\x93uvre sera termin\xc3\xa9"
               "e en juin.");
    BOOST_TEST(m.html == "<p>Ci-joint le devis \xe2\x80\x9cr\xc3\xa9novation\xe2\x80\x9d.</p>");
    BOOST_TEST_REQUIRE(m.attachments.size() == 2u);
    BOOST_TEST(m.attachments[0].name == "devis r\xc3\xa9novation.pdf");
    BOOST_TEST(m.attachments[0].content_type == "application/pdf");
    BOOST_TEST(m.attachments[0].size == 77);
    BOOST_TEST(m.attachments[1].name == "demande.eml");
    BOOST_TEST(m.attachments[1].content_type == "message/rfc822");
    BOOST_TEST(m.attachments[1].size > 100);
    BOOST_TEST(m.provider_timestamp_ms == 1749038700000);
    BOOST_TEST(
        m.metadata_json ==
        R"({"in_reply_to":"demande-2025-05-30@cabinet.example","cc":"accueil@cabinet.example"})");
}

BOOST_AUTO_TEST_CASE(mime_iso_8859_1_label_reads_windows_1252_bytes) {
    // Mailers label CP1252 text as Latin-1; 0x80 is the euro sign there (WHATWG).
    const std::string message =
        "From: a@b.example\r\nContent-Type: text/plain; charset=iso-8859-1\r\n\r\n100 \x80 "
        "\x93ok\x94\r\n";
    const Message& m = only_message(parse(kRfc822, message));
    BOOST_TEST(m.text == "100 \xe2\x82\xac \xe2\x80\x9cok\xe2\x80\x9d");
}

BOOST_AUTO_TEST_CASE(mime_unlabeled_and_unknown_charsets_never_fail) {
    const Message& unlabeled =
        only_message(parse(kRfc822, "From: a@b.example\r\n\r\nd\xe9j\xe0 vu\r\n"));
    BOOST_TEST(unlabeled.text == "d\xc3\xa9j\xc3\xa0 vu");
    const Message& utf8 =
        only_message(parse(kRfc822, "From: a@b.example\r\n\r\nd\xc3\xa9j\xc3\xa0 vu\r\n"));
    BOOST_TEST(utf8.text == "d\xc3\xa9j\xc3\xa0 vu");
    const Message& unknown = only_message(
        parse(kRfc822,
              "From: a@b.example\r\nContent-Type: text/plain; charset=x-no-such\r\n\r\n\xe9\r\n"));
    BOOST_TEST(unknown.text == "\xc3\xa9");
    const Message& koi8 = only_message(
        parse(kRfc822,
              "From: a@b.example\r\nContent-Type: text/plain; charset=koi8-r\r\n\r\n\xf0\xd2\xc9"
              "\xd7\xc5\xd4\r\n"));
    // "Privet" in Cyrillic.
    BOOST_TEST(koi8.text == "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82");
    // A NUL cannot be stored in a text column: it is dropped, the message kept.
    const Message& nul =
        only_message(parse(kRfc822, std::string("From: a@b.example\r\n\r\nab\0cd\r\n", 27)));
    BOOST_TEST(nul.text == "abcd");
}

BOOST_AUTO_TEST_CASE(mime_mbox_from_line_is_skipped) {
    const Message& m =
        only_message(parse(kRfc822, "From jdoe@machine.example Fri Nov 21 09:55:06 1997\n" +
                                        fixture("rfc5322_a1_1.eml")));
    BOOST_TEST(m.external_id == "1234@local.machine.example");
}

BOOST_AUTO_TEST_CASE(mime_sender_falls_back_to_the_envelope) {
    const Message& m = only_message(parse(
        kRfc822,
        "From: Undisclosed\r\nReturn-Path: <Bounce@Example.org>\r\nSubject: x\r\n\r\nhi\r\n"));
    BOOST_TEST(m.sender == "bounce@example.org");
    const FakeResult r = parse(kRfc822, "Subject: no sender\r\n\r\nhi\r\n");
    BOOST_TEST(is(r.status, Status::kInvalid));
    BOOST_TEST(r.has_error("from", "required"), r.describe());
}

BOOST_AUTO_TEST_CASE(mime_without_headers_is_invalid) {
    for (const std::string& body :
         {std::string(), std::string("just some text, no header\r\n"), std::string("\r\n\r\n")}) {
        BOOST_TEST_CONTEXT(body) {
            const FakeResult r = parse(kRfc822, body);
            BOOST_TEST(is(r.status, Status::kInvalid));
            BOOST_TEST(r.has_error("body", "malformed_message"), r.describe());
        }
    }
    // JSON sent as a message reads as one odd header line: still no sender, still refused.
    const FakeResult json = parse(kRfc822, R"({"From":"a@b.example"})");
    BOOST_TEST(is(json.status, Status::kInvalid));
    BOOST_TEST(!json.errors.empty());
}

BOOST_AUTO_TEST_CASE(mime_dates_are_read_in_their_zone) {
    const auto date_of = [](const std::string& date) {
        const std::string message =
            "From: a@b.example\r\nSubject: s\r\nDate: " + date + "\r\n\r\nbody\r\n";
        return only_message(parse(kRfc822, message)).provider_timestamp_ms;
    };
    BOOST_TEST(date_of("Wed, 01 Jan 2020 13:00:00 +0100") == 1577880000000LL);
    BOOST_TEST(date_of("1 Jan 2020 12:00 GMT") == 1577880000000LL);
    BOOST_TEST(date_of("Wed, 1 Jan 2020 07:00:00 -05:00 (EST)") == 1577880000000LL);
    BOOST_TEST(date_of("2020-01-01T13:00:00.250+01:00") == 1577880000250LL);
    BOOST_TEST(date_of("not a date") == 0);
}

BOOST_AUTO_TEST_CASE(mime_without_message_id_has_no_external_id) {
    const std::string message = "From: a@b.example\r\nSubject: s\r\n\r\nbody\r\n";
    const Message& m = only_message(parse(kRfc822, message));
    BOOST_TEST(m.external_id == "");
    BOOST_TEST(m.provider_timestamp_ms == 0);
}

// ---- Detection, media types, malformed bodies ----

BOOST_AUTO_TEST_CASE(unknown_provider_is_invalid_with_a_clear_message) {
    for (const auto& [type, body] : std::vector<std::pair<std::string, std::string>>{
             {kUrlencoded, "name=Jeanne&message=bonjour"},
             {kJson, R"({"from":"a@b.example","text":"hi"})"},
             {kJson, "[1, 2]"},
             {kSendgridMultipart,
              "--xYzZY\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n1\r\n--xYzZY--\r\n"}}) {
        BOOST_TEST_CONTEXT(type << " " << body) {
            const FakeResult r = parse(type, body);
            BOOST_TEST(is(r.status, Status::kInvalid));
            BOOST_TEST(r.has_error("body", "unknown_provider"), r.describe());
            const auto* e = r.find_error("body");
            BOOST_TEST((e != nullptr && e->message.find("Postmark") != std::string::npos));
        }
    }
    // SendGrid's fields in a urlencoded body are not SendGrid's (it always posts multipart).
    const FakeResult r = parse(kUrlencoded, "envelope=%7B%7D&charsets=%7B%7D");
    BOOST_TEST(r.has_error("body", "unknown_provider"), r.describe());
}

BOOST_AUTO_TEST_CASE(other_media_types_are_unsupported) {
    for (const char* type : {"text/plain", "", "application/xml", "multipart/mixed"}) {
        BOOST_TEST_CONTEXT(type) {
            const FakeResult r = parse(type, "From: a@b.example\r\n\r\nhi");
            BOOST_TEST(is(r.status, Status::kUnsupportedMediaType));
            BOOST_TEST(r.has_error("content-type", "unsupported_media_type"), r.describe());
        }
    }
    // A GET on the channel has no body and no media type.
    FakeRequest get = request("", "");
    get.method = "GET";
    get.query = "hello=1";
    BOOST_TEST(is(unsigned_channel().parse(get).status, Status::kUnsupportedMediaType));
    BOOST_TEST(is(unsigned_channel().handshake(get).status, Status::kNotHandled));
}

BOOST_AUTO_TEST_CASE(malformed_bodies_are_invalid_with_details) {
    const FakeResult json = parse(kJson, R"({"FromFull": {"Email": "a@b.example")");
    BOOST_TEST(is(json.status, Status::kInvalid));
    BOOST_TEST(json.has_error("body", "malformed_json"), json.describe());
    BOOST_TEST(json.find_error("body")->message.find("offset") != std::string::npos);

    const FakeResult multipart =
        parse("multipart/form-data", fixture("sendgrid_default.multipart"));
    BOOST_TEST(is(multipart.status, Status::kInvalid));
    BOOST_TEST(multipart.has_error("body", "malformed_multipart"), multipart.describe());

    const FakeResult nested = parse(kJson, std::string(100000, '[') + std::string(100000, ']'));
    BOOST_TEST(is(nested.status, Status::kInvalid));
}

BOOST_AUTO_TEST_CASE(same_input_twice_gives_the_same_external_id) {
    for (const auto& [type, name] : std::vector<std::pair<std::string, std::string>>{
             {kUrlencoded, "mailgun_forward.urlencoded"},
             {kMailgunMultipart, "mailgun_multipart.multipart"},
             {kSendgridMultipart, "sendgrid_default.multipart"},
             {kSendgridMultipart, "sendgrid_raw.multipart"},
             {kJson, "postmark_inbound.json"},
             {kRfc822, "rfc5322_a1_1.eml"},
             {kRfc822, "multipart_alternative_attachments.eml"}}) {
        BOOST_TEST_CONTEXT(name) {
            const std::string body = fixture(name);
            const Message first = only_message(parse(type, body));
            const Message second = only_message(parse(type, body));
            BOOST_TEST(!first.external_id.empty());
            BOOST_TEST(first.external_id == second.external_id);
            BOOST_TEST(first.text == second.text);
        }
    }
}

BOOST_AUTO_TEST_CASE(parse_runs_concurrently) {
    const std::vector<std::pair<std::string, std::string>> inputs = {
        {kUrlencoded, fixture("mailgun_forward.urlencoded")},
        {kSendgridMultipart, fixture("sendgrid_latin1_attachment.multipart")},
        {kJson, fixture("postmark_inbound.json")},
        {kRfc822, fixture("multipart_alternative_attachments.eml")}};
    std::vector<std::string> expected;
    expected.reserve(inputs.size());
    for (const auto& [type, body] : inputs)
        expected.push_back(only_message(parse(type, body)).text);
    std::vector<int> failures(4, 0);
    std::vector<std::thread> threads;
    threads.reserve(4);
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 50; ++i) {
                const auto& [type, body] = inputs[(t + i) % inputs.size()];
                const FakeResult r = unsigned_channel().parse(request(type, body));
                if (r.messages.size() != 1 ||
                    r.messages[0].text != expected[(t + i) % inputs.size()]) {
                    ++failures[t];
                }
            }
        });
    }
    for (auto& thread : threads) thread.join();
    for (int f : failures) BOOST_TEST(f == 0);
}

// ---- Configuration ----

BOOST_AUTO_TEST_CASE(providers_setting_refuses_the_others) {
    FakeInstance mailgun_only = make(config({{"providers", "mailgun"}}));
    const FakeResult r = parse(kRfc822, fixture("rfc5322_a1_1.eml"), mailgun_only);
    BOOST_TEST(is(r.status, Status::kInvalid));
    BOOST_TEST(r.has_error("provider", "provider_not_enabled"), r.describe());
    BOOST_TEST(is(parse(kUrlencoded, fixture("mailgun_forward.urlencoded"), mailgun_only).status,
                  Status::kOk));
    FakeInstance spaced = make(config({{"providers", " Postmark , mime "}}));
    BOOST_TEST(is(parse(kJson, fixture("postmark_inbound.json"), spaced).status, Status::kOk));
}

BOOST_AUTO_TEST_CASE(bad_config_is_refused_with_the_key) {
    for (const auto& [key, value] :
         std::vector<std::pair<std::string, std::string>>{{"providers", "mailgun,imap"},
                                                          {"providers", " , "},
                                                          {"postmark_basic_auth", "no-colon"},
                                                          {"mailgun_max_age", "0"},
                                                          {"mailgun_max_age", "soon"}}) {
        BOOST_TEST_CONTEXT(key << " = " << value) {
            FakeInstance email = host().create("email", config({{key, value}}));
            BOOST_TEST(!email);
            BOOST_TEST(email.creation().has_error(key, "invalid_config"),
                       email.creation().describe());
        }
    }
}

BOOST_AUTO_TEST_CASE(start_up_logs_each_unsigned_provider_once_without_secrets) {
    FakeInstance open = make();
    const auto& logs = open.creation().logs;
    BOOST_TEST(logs.size() == 4u);
    std::string all;
    for (const auto& line : logs) all += line.message + "\n";
    for (const char* word : {"mailgun_signing_key", "postmark_basic_auth", "SendGrid", "rfc822"}) {
        BOOST_TEST(all.find(word) != std::string::npos, word);
    }
    BOOST_TEST(all.find("'email'") != std::string::npos);

    FakeInstance locked = make(config({{"mailgun_signing_key", kMailgunKey},
                                       {"postmark_basic_auth", kPostmarkAuth},
                                       {"providers", "mailgun,postmark"}}));
    BOOST_TEST(locked.creation().logs.empty(), locked.creation().describe());
    const FakeResult r = verify(
        request(kUrlencoded, mailgun_form_with("signature", "0"), kMailgunFixtureTimestamp * 1000),
        locked);
    for (const auto& e : r.errors) {
        BOOST_TEST(e.message.find(kMailgunKey) == std::string::npos);
    }
}

namespace {

memolib::sdk::testing::FakeOutcome refused(const std::string& reason, int status = 400) {
    memolib::sdk::testing::FakeOutcome o;
    o.kind = memolib::sdk::OutcomeKind::kRejected;
    o.reason = reason;
    o.http_status = status;
    o.body = R"({"error":")" + reason + R"(","request_id":"r1"})";
    return o;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_refused_mailgun_payload_gets_406_which_mailgun_does_not_retry) {
    const FakeResult r = unsigned_channel().answer(
        request(kUrlencoded, fixture("mailgun_forward.urlencoded")), refused("invalid_payload"));
    BOOST_TEST(r.violations.empty(), r.describe());
    BOOST_REQUIRE(r.response.has_value());
    BOOST_TEST(r.response->status == 406);
    BOOST_TEST(r.response->content_type == "application/json");
    BOOST_TEST(r.response->body == R"({"error":"invalid_payload","request_id":"r1"})");
}

BOOST_AUTO_TEST_CASE(a_refused_postmark_payload_gets_403_which_postmark_does_not_retry) {
    const FakeResult r = unsigned_channel().answer(request(kJson, fixture("postmark_inbound.json")),
                                                   refused("invalid_payload"));
    BOOST_REQUIRE(r.response.has_value());
    BOOST_TEST(r.response->status == 403);
}

BOOST_AUTO_TEST_CASE(other_refusals_and_successes_keep_the_host_s_answer) {
    const FakeRequest mailgun = request(kUrlencoded, fixture("mailgun_forward.urlencoded"));
    // A bad signature may be a key the operator has yet to fix: Mailgun's retries must go on.
    BOOST_TEST(!unsigned_channel().answer(mailgun, refused("verification_failed", 401)).response);
    BOOST_TEST(!unsigned_channel().answer(mailgun, memolib::sdk::testing::FakeOutcome{}).response);
    BOOST_TEST(!unsigned_channel()
                    .answer(request(kUrlencoded, "junk=1"), refused("invalid_payload"))
                    .response);
}

BOOST_AUTO_TEST_CASE(a_refused_payload_of_a_signed_channel_keeps_its_400) {
    // With the secret configured it passed verification: authentic, so never "do not retry".
    const FakeResult mailgun = signed_channel().answer(
        request(kUrlencoded, fixture("mailgun_forward.urlencoded")), refused("invalid_payload"));
    BOOST_TEST(!mailgun.response.has_value());
    const FakeResult postmark = signed_channel().answer(
        request(kJson, fixture("postmark_inbound.json")), refused("invalid_payload"));
    BOOST_TEST(!postmark.response.has_value());
}
