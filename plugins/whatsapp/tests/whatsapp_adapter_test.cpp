#define BOOST_TEST_MODULE whatsapp_adapter
#include <algorithm>
#include <cctype>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <thread>
#include <utility>
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

constexpr const char* kJson = "application/json";
constexpr const char* kForm = "application/x-www-form-urlencoded";
constexpr const char* kAppSecret = "d41d8cd98f00b204e9800998ecf8427e";
constexpr const char* kVerifyToken = "meatyhamhock";
constexpr const char* kTwilioToken = "12345";
constexpr const char* kPublicUrl = "https://hooks.example.org/webhooks/whatsapp";
constexpr const char* kTextWamid = "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=";
constexpr const char* kOtherWamid =
    "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMAA=";

std::string fixture(const std::string& name) {
    return memolib::sdk::testing::read_file(std::string(MEMOLIB_SOURCE_DIR) +
                                            "/plugins/whatsapp/tests/fixtures/" + name);
}

// One plugin load for the whole module, as the host loads each plugin once.
FakeHost& host() {
    static FakeHost h(std::string(MEMOLIB_BINARY_DIR) + "/plugins/whatsapp.so");
    return h;
}

FakeInstance make(const std::map<std::string, std::string>& config) {
    FakeInstance instance = host().create("whatsapp", config);
    BOOST_REQUIRE_MESSAGE(instance, instance.creation().describe());
    return instance;
}

// Every secret configured.
const FakeInstance& signed_channel() {
    static FakeInstance instance = make({{"app_secret", kAppSecret},
                                         {"verify_token", kVerifyToken},
                                         {"twilio_auth_token", kTwilioToken}});
    return instance;
}

// No secret at all: requests are accepted unsigned, the handshake refused.
const FakeInstance& open_channel() {
    static FakeInstance instance = make({});
    return instance;
}

FakeRequest post(const std::string& content_type, const std::string& body) {
    FakeRequest request;
    request.path = "/webhooks/whatsapp";
    request.public_url = kPublicUrl;
    request.content_type = content_type;
    request.body = body;
    return request;
}

FakeResult parse(const std::string& content_type, const std::string& body) {
    FakeResult result = signed_channel().parse(post(content_type, body));
    BOOST_TEST(result.violations.empty(), result.describe());
    return result;
}

// Parses a document expected to hold exactly one message, and returns it.
Message parse_one(const std::string& content_type, const std::string& body) {
    const FakeResult r = parse(content_type, body);
    BOOST_TEST_REQUIRE(static_cast<int>(r.status) == static_cast<int>(Status::kOk), r.describe());
    BOOST_TEST_REQUIRE(r.messages.size() == 1u);
    return r.messages[0];
}

Message meta_fixture(const std::string& name) { return parse_one(kJson, fixture("meta/" + name)); }

void check_status(const FakeResult& r, Status expected) {
    BOOST_TEST(static_cast<int>(r.status) == static_cast<int>(expected), r.describe());
}

std::string meta_signature(const std::string& secret, const std::string& body) {
    return "sha256=" + common::hex_encode(common::hmac_sha256(secret, body));
}

// Twilio's scheme, written out here rather than through common::twilio_signature so that
// the test does not merely repeat the code it checks.
std::string twilio_signature(const std::string& token, const std::string& url,
                             const std::string& body) {
    common::FormPairs params = common::parse_urlencoded(body);
    std::stable_sort(params.begin(), params.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    std::string data = url;
    for (const auto& [name, value] : params) data += name + value;
    return common::base64_encode(common::hmac_sha1(token, data));
}

// The Meta envelope around one value.messages array.
std::string meta_with_messages(const std::string& messages) {
    return R"({"object":"whatsapp_business_account","entry":[{"id":"1","changes":[)"
           R"({"field":"messages","value":{"messaging_product":"whatsapp","metadata":)"
           R"({"display_phone_number":"15550783881","phone_number_id":"106540352242922"},)"
           R"("messages":)" +
           messages + "}}]}]}";
}

std::string handshake_query(const std::string& token, const std::string& challenge) {
    return "hub.mode=subscribe&hub.verify_token=" + token + "&hub.challenge=" + challenge;
}

FakeRequest get(const std::string& query) {
    FakeRequest request;
    request.method = "GET";
    request.path = "/webhooks/whatsapp";
    request.query = query;
    request.public_url = std::string(kPublicUrl) + "?" + query;
    return request;
}

}  // namespace

BOOST_AUTO_TEST_CASE(describes_itself) {
    const memolib_plugin_descriptor_t& d = host().descriptor();
    BOOST_TEST(std::string(d.name) == "whatsapp");
    BOOST_TEST(std::string(d.version) == "1.0.0");
    BOOST_TEST(std::string(d.status) == "stable");
    BOOST_TEST(std::string(d.providers[0]) == "meta");
    BOOST_TEST(std::string(d.providers[1]) == "twilio");
    BOOST_TEST(d.providers[2] == nullptr);
    BOOST_TEST(std::string(d.content_types[0]) == "application/json");
    BOOST_TEST(std::string(d.content_types[1]) == "application/x-www-form-urlencoded");
    BOOST_TEST(d.content_types[2] == nullptr);
    BOOST_TEST(d.default_max_body_bytes == 100u * 1024);
    BOOST_TEST(d.default_rate_requests == 500u);
    BOOST_TEST(d.default_rate_window_ms == 3600000u);
    const std::string schema = d.config_schema_yaml;
    for (const char* key : {"app_secret:", "verify_token:", "twilio_auth_token:"}) {
        BOOST_TEST(schema.find(key) != std::string::npos, key);
    }
    BOOST_TEST(schema.find("secret: false") == std::string::npos, "every key is a secret");
}

BOOST_AUTO_TEST_CASE(start_log_names_each_unconfigured_secret_once) {
    const FakeResult& open = open_channel().creation();
    BOOST_TEST(open.logs.size() == 3u);
    std::string all;
    for (const auto& line : open.logs) {
        BOOST_TEST(line.level == MEMOLIB_LOG_WARN);
        all += line.message + "\n";
    }
    BOOST_TEST(all.find("app_secret") != std::string::npos, all);
    BOOST_TEST(all.find("twilio_auth_token") != std::string::npos, all);
    BOOST_TEST(all.find("verify_token") != std::string::npos, all);

    const FakeResult& configured = signed_channel().creation();
    BOOST_TEST(configured.logs.empty());

    // Only the Twilio token missing: one line, and it never quotes a configured secret.
    FakeInstance meta_only = make({{"app_secret", kAppSecret}, {"verify_token", kVerifyToken}});
    BOOST_TEST_REQUIRE(meta_only.creation().logs.size() == 1u);
    const std::string& line = meta_only.creation().logs[0].message;
    BOOST_TEST(line.find("twilio_auth_token") != std::string::npos, line);
    BOOST_TEST(line.find(kAppSecret) == std::string::npos);
    BOOST_TEST(line.find(kVerifyToken) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(meta_text_example) {
    const Message m = meta_fixture("text.json");
    BOOST_TEST(m.provider == "meta");
    BOOST_TEST(m.external_id == kTextWamid);
    BOOST_TEST(m.sender == "+16505551234");
    BOOST_TEST(m.sender_name == "Sheena Nelson");
    BOOST_TEST(m.recipient == "+15550783881");
    BOOST_TEST(m.subject == "");
    BOOST_TEST(m.text == "Does it come in another color?");
    BOOST_TEST(m.html == "");
    BOOST_TEST(m.attachments.empty());
    BOOST_TEST(m.provider_timestamp_ms == 1749416383000LL);
    BOOST_TEST(m.metadata_json ==
               R"({"type":"text","waba_id":"102290129340398","phone_number_id":"106540352242922",)"
               R"("display_phone_number":"15550783881"})");
}

BOOST_AUTO_TEST_CASE(meta_image_example) {
    const Message m = meta_fixture("image.json");
    BOOST_TEST(m.external_id == kTextWamid);
    BOOST_TEST(m.sender == "+16505551234");
    BOOST_TEST(m.sender_name == "Sheena Nelson");
    BOOST_TEST(m.text == "Taj Mahal");
    BOOST_TEST(m.provider_timestamp_ms == 1744344496000LL);
    BOOST_TEST_REQUIRE(m.attachments.size() == 1u);
    BOOST_TEST(m.attachments[0].provider_id == "1003383421387256");
    BOOST_TEST(m.attachments[0].content_type == "image/jpeg");
    BOOST_TEST(m.attachments[0].name == "");
    BOOST_TEST(m.attachments[0].size == -1);
    BOOST_TEST(m.attachments[0].url ==
               "https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=133...");
    BOOST_TEST(m.metadata_json.find(R"("type":"image")") != std::string::npos, m.metadata_json);
    BOOST_TEST(m.metadata_json.find(R"("sha256":"SfInY0gGKTsJlUWbwxC1k+FAD0FZHvzwfpvO0zX0GUI=")") !=
                   std::string::npos,
               m.metadata_json);
}

BOOST_AUTO_TEST_CASE(meta_audio_example) {
    const Message m = meta_fixture("audio.json");
    BOOST_TEST(m.text == "");
    BOOST_TEST_REQUIRE(m.attachments.size() == 1u);
    BOOST_TEST(m.attachments[0].provider_id == "1908647269898587");
    BOOST_TEST(m.attachments[0].content_type == "audio/ogg; codecs=opus");
    BOOST_TEST(m.metadata_json.find(R"("voice":true)") != std::string::npos, m.metadata_json);
}

BOOST_AUTO_TEST_CASE(meta_video_example) {
    const Message m = meta_fixture("video.json");
    BOOST_TEST(m.text == "Timelapse of growth");
    BOOST_TEST_REQUIRE(m.attachments.size() == 1u);
    BOOST_TEST(m.attachments[0].provider_id == "731675419373506");
    BOOST_TEST(m.attachments[0].content_type == "video/mp4");
    BOOST_TEST(m.attachments[0].url == "");
}

BOOST_AUTO_TEST_CASE(meta_document_example) {
    const Message m = meta_fixture("document.json");
    BOOST_TEST(m.text == "my receipt");
    BOOST_TEST_REQUIRE(m.attachments.size() == 1u);
    BOOST_TEST(m.attachments[0].provider_id == "622684793477189");
    BOOST_TEST(m.attachments[0].name == "receipt.pdf");
    BOOST_TEST(m.attachments[0].content_type == "application/pdf");
}

BOOST_AUTO_TEST_CASE(meta_sticker_example) {
    const Message m = meta_fixture("sticker.json");
    BOOST_TEST(m.text == "");
    BOOST_TEST_REQUIRE(m.attachments.size() == 1u);
    BOOST_TEST(m.attachments[0].provider_id == "1908647269898587");
    BOOST_TEST(m.attachments[0].content_type == "image/webp");
    BOOST_TEST(m.metadata_json.find(R"("animated":true)") != std::string::npos, m.metadata_json);
}

BOOST_AUTO_TEST_CASE(meta_location_example) {
    const Message m = meta_fixture("location.json");
    BOOST_TEST(m.external_id == kOtherWamid);
    BOOST_TEST(
        m.text ==
        "Philz Coffee\n101 Forest Ave, Palo Alto, CA 94301\n37.44221496582,-122.16165924072");
    BOOST_TEST(m.attachments.empty());
    BOOST_TEST(m.metadata_json.find(R"("latitude":37.44221496582,"longitude":-122.16165924072)") !=
                   std::string::npos,
               m.metadata_json);
    BOOST_TEST(
        m.metadata_json.find(R"("location_url":"https://philzcoffee.com/")") != std::string::npos,
        m.metadata_json);
}

BOOST_AUTO_TEST_CASE(meta_contacts_example) {
    const Message m = meta_fixture("contacts.json");
    BOOST_TEST(m.sender == "+16505551234");
    BOOST_TEST(m.text == "Barbara J. Johnson: +1 (415) 555-0829");
    BOOST_TEST(
        m.metadata_json.find(
            R"("contacts":[{"name":"Barbara J. Johnson","company":"Social Tsunami",)"
            R"("phones":["+1 (415) 555-0829"],"wa_ids":["14125550829"]}])") != std::string::npos,
        m.metadata_json);
}

BOOST_AUTO_TEST_CASE(meta_interactive_list_reply_example) {
    const Message m = meta_fixture("interactive_list_reply.json");
    BOOST_TEST(m.external_id == kOtherWamid);
    BOOST_TEST(m.text == "Priority Mail Express");
    BOOST_TEST(m.provider_timestamp_ms == 1749854575000LL);
    const std::string& md = m.metadata_json;
    BOOST_TEST(md.find(R"("interactive_type":"list_reply")") != std::string::npos, md);
    BOOST_TEST(md.find(R"("reply_id":"priority_express")") != std::string::npos, md);
    BOOST_TEST(md.find(R"("reply_description":"Next Day to 2 Days")") != std::string::npos, md);
    BOOST_TEST(md.find(R"("context_message_id":"wamid.HBgLMTQxMjU1NTA4MjkVAgASGBQzQUNCNjk5RDUwNUZG)"
                       R"(MUZEM0VBRAA=")") != std::string::npos,
               md);
    BOOST_TEST(md.find(R"("context_from":"15550783881")") != std::string::npos, md);
}

BOOST_AUTO_TEST_CASE(meta_interactive_button_reply_example) {
    const Message m = meta_fixture("interactive_button_reply.json");
    BOOST_TEST(m.external_id == "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTZBQzg0MzQ4QjRCM0NGNkVGOAA=");
    BOOST_TEST(m.text == "Cancel");
    BOOST_TEST(m.metadata_json.find(R"("interactive_type":"button_reply")") != std::string::npos);
    BOOST_TEST(m.metadata_json.find(R"("reply_id":"cancel-button")") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(meta_button_example) {
    const Message m = meta_fixture("button.json");
    BOOST_TEST(m.text == "Unsubscribe");
    BOOST_TEST(m.provider_timestamp_ms == 1750091045000LL);
    BOOST_TEST(m.metadata_json.find(R"("button_payload":"Unsubscribe")") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(meta_reaction_example) {
    const Message m = meta_fixture("reaction.json");
    BOOST_TEST(m.text == "\xF0\x9F\x91\x8D");
    const std::string& md = m.metadata_json;
    BOOST_TEST(md.find(R"("reacted_message_id":"wamid.HBgLMTQxMjU1NTA4MjkVAgASGBQzQUNCNjk5RDUwNUZG)"
                       R"(MUZEM0VBRAA=")") != std::string::npos,
               md);
    BOOST_TEST(md.find(R"("reaction_removed":false)") != std::string::npos, md);
}

BOOST_AUTO_TEST_CASE(meta_removed_reaction_has_no_text) {
    const Message m = parse_one(
        kJson,
        meta_with_messages(R"([{"from":"16505551234","id":"wamid.R","timestamp":"1749419544",)"
                           R"("type":"reaction","reaction":{"message_id":"wamid.ORIGINAL"}}])"));
    BOOST_TEST(m.text == "");
    BOOST_TEST(m.metadata_json.find(R"("reaction_removed":true)") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(meta_unsupported_example_is_stored_with_its_type) {
    const Message m = meta_fixture("unsupported.json");
    BOOST_TEST(m.external_id == kOtherWamid);
    BOOST_TEST(m.text == "");
    const std::string& md = m.metadata_json;
    BOOST_TEST(md.find(R"("type":"unsupported")") != std::string::npos, md);
    BOOST_TEST(
        md.find(R"("error_code":131051,"error_title":"Message type unknown")") != std::string::npos,
        md);
    BOOST_TEST(md.find(R"("subtype":"edit")") != std::string::npos, md);
}

BOOST_AUTO_TEST_CASE(meta_unknown_type_is_stored_not_refused) {
    const Message m = parse_one(
        kJson,
        meta_with_messages(R"([{"from":"16505551234","id":"wamid.S","timestamp":"1700000000",)"
                           R"("type":"hologram","hologram":{"body":"beam me up","type":"3d"}}])"));
    BOOST_TEST(m.external_id == "wamid.S");
    BOOST_TEST(m.text == "beam me up");
    BOOST_TEST(m.metadata_json.find(R"("type":"hologram")") != std::string::npos);
    BOOST_TEST(m.metadata_json.find(R"("subtype":"3d")") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(meta_status_only_notification_emits_nothing) {
    const FakeResult r = parse(kJson, fixture("meta/status_sent.json"));
    check_status(r, Status::kOk);
    BOOST_TEST(r.messages.empty());
    BOOST_TEST(r.errors.empty());
}

BOOST_AUTO_TEST_CASE(meta_other_subscription_fields_emit_nothing) {
    const FakeResult r = parse(
        kJson, R"({"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":)"
               R"("account_update","value":{"phone_number":"15550783881",)"
               R"("event":"VERIFIED_ACCOUNT"}}]}]})");
    check_status(r, Status::kOk);
    BOOST_TEST(r.messages.empty());
}

BOOST_AUTO_TEST_CASE(meta_batch_emits_every_message_in_order) {
    const FakeResult r = parse(kJson, fixture("meta/batch.json"));
    check_status(r, Status::kOk);
    BOOST_TEST_REQUIRE(r.messages.size() == 2u);
    BOOST_TEST(r.messages[0].external_id == kTextWamid);
    BOOST_TEST(r.messages[0].text == "Does it come in another color?");
    BOOST_TEST(r.messages[1].external_id == kOtherWamid);
    BOOST_TEST(r.messages[1].text == "\xF0\x9F\x91\x8D");
    for (const Message& m : r.messages) BOOST_TEST(m.sender_name == "Sheena Nelson");
}

BOOST_AUTO_TEST_CASE(meta_batch_over_several_entries_and_changes) {
    // Two entries, the first with two changes: three values, each with its own sender.
    const std::string value_a =
        R"({"metadata":{"display_phone_number":"15550783881","phone_number_id":"1"},)"
        R"("contacts":[{"profile":{"name":"Ann"},"wa_id":"33612345678"}],)"
        R"("messages":[{"from":"33612345678","id":"wamid.A","timestamp":"1700000001",)"
        R"("type":"text","text":{"body":"one"}}]})";
    const std::string value_b =
        R"({"metadata":{"display_phone_number":"15550783881","phone_number_id":"1"},)"
        R"("contacts":[{"profile":{"name":"Bob"},"wa_id":"447700900123"}],)"
        R"("messages":[{"from":"447700900123","id":"wamid.B","timestamp":"1700000002",)"
        R"("type":"text","text":{"body":"two"}}]})";
    const std::string value_c =
        R"({"metadata":{"display_phone_number":"15550783882","phone_number_id":"2"},)"
        R"("contacts":[{"profile":{"name":"Cy"},"wa_id":"16505551234"}],)"
        R"("messages":[{"from":"16505551234","id":"wamid.C","timestamp":"1700000003",)"
        R"("type":"text","text":{"body":"three"}}]})";
    const std::string body =
        R"({"object":"whatsapp_business_account","entry":[{"id":"10","changes":[)"
        R"({"field":"messages","value":)" +
        value_a + R"(},{"field":"messages","value":)" + value_b +
        R"(}]},{"id":"20","changes":[{"field":"messages","value":)" + value_c + "}]}]}";
    const FakeResult r = parse(kJson, body);
    check_status(r, Status::kOk);
    BOOST_TEST_REQUIRE(r.messages.size() == 3u);
    BOOST_TEST(r.messages[0].external_id == "wamid.A");
    BOOST_TEST(r.messages[0].sender == "+33612345678");
    BOOST_TEST(r.messages[0].sender_name == "Ann");
    BOOST_TEST(r.messages[1].sender == "+447700900123");
    BOOST_TEST(r.messages[1].sender_name == "Bob");
    BOOST_TEST(r.messages[2].external_id == "wamid.C");
    BOOST_TEST(r.messages[2].recipient == "+15550783882");
    BOOST_TEST(r.messages[2].sender_name == "Cy");
    BOOST_TEST(r.messages[2].metadata_json.find(R"("waba_id":"20")") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(same_input_twice_gives_the_same_external_id) {
    const Message first = meta_fixture("text.json");
    const Message second = meta_fixture("text.json");
    BOOST_TEST(first.external_id == second.external_id);
    BOOST_TEST(first.metadata_json == second.metadata_json);
    const Message t1 = parse_one(kForm, fixture("twilio/text.urlencoded"));
    const Message t2 = parse_one(kForm, fixture("twilio/text.urlencoded"));
    BOOST_TEST(t1.external_id == t2.external_id);
}

BOOST_AUTO_TEST_CASE(twilio_text_example) {
    const Message m = parse_one(kForm, fixture("twilio/text.urlencoded"));
    BOOST_TEST(m.provider == "twilio");
    BOOST_TEST(m.external_id == "SM5a2b6c0e9f4d43e1a8b7c6d5e4f3a2b1");
    BOOST_TEST(m.sender == "+33612345678");
    BOOST_TEST(m.sender_name == "Jeanne Martin");
    BOOST_TEST(m.recipient == "+14155238886");
    BOOST_TEST(m.text == "Bonjour, je voudrais un rendez-vous jeudi \xC3\xA0 14h.");
    BOOST_TEST(m.attachments.empty());
    BOOST_TEST(m.provider_timestamp_ms == 0);
    BOOST_TEST(m.metadata_json ==
               R"({"wa_id":"33612345678","account_sid":"ACf0e1d2c3b4a5968778695a4b3c2d1e0f",)"
               R"("message_type":"text"})");
}

BOOST_AUTO_TEST_CASE(twilio_media_example) {
    const Message m = parse_one(kForm, fixture("twilio/media.urlencoded"));
    BOOST_TEST(m.external_id == "MM8c3d2e1f0a9b48c7d6e5f4a3b2c1d0e9");
    BOOST_TEST(m.text == "Voici la photo du contrat.");
    BOOST_TEST_REQUIRE(m.attachments.size() == 1u);
    BOOST_TEST(
        m.attachments[0].url ==
        "https://api.twilio.com/2010-04-01/Accounts/ACf0e1d2c3b4a5968778695a4b3c2d1e0f/"
        "Messages/MM8c3d2e1f0a9b48c7d6e5f4a3b2c1d0e9/Media/ME1a2b3c4d5e6f708192a3b4c5d6e7f809");
    BOOST_TEST(m.attachments[0].content_type == "image/jpeg");
    BOOST_TEST(m.attachments[0].provider_id == "");
    BOOST_TEST(m.attachments[0].size == -1);
}

BOOST_AUTO_TEST_CASE(twilio_location_becomes_text) {
    const Message m = parse_one(
        kForm,
        "MessageSid=SM1&From=whatsapp%3A%2B33612345678&To=whatsapp%3A%2B14155238886&Body=&"
        "NumMedia=0&Latitude=48.8584&Longitude=2.2945&Label=Tour+Eiffel&Address=Paris");
    BOOST_TEST(m.text == "Tour Eiffel\nParis\n48.8584,2.2945");
    BOOST_TEST(m.metadata_json.find(R"("latitude":"48.8584")") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(twilio_status_callback_emits_nothing) {
    const FakeResult r = parse(kForm,
                               "MessageSid=SM1&MessageStatus=delivered&SmsStatus=delivered&"
                               "From=whatsapp%3A%2B14155238886&To=whatsapp%3A%2B33612345678");
    check_status(r, Status::kOk);
    BOOST_TEST(r.messages.empty());
}

BOOST_AUTO_TEST_CASE(meta_signature_checks) {
    const std::string body = fixture("meta/text.json");
    FakeRequest request = post(kJson, body);

    request.headers = {{"X-Hub-Signature-256", meta_signature(kAppSecret, body)}};
    check_status(signed_channel().verify(request), Status::kOk);

    // Header names are case-insensitive, and an upper-case digest is the same digest.
    std::string upper = meta_signature(kAppSecret, body);
    std::transform(upper.begin() + 7, upper.end(), upper.begin() + 7, ::toupper);
    request.headers = {{"x-hub-signature-256", upper}};
    check_status(signed_channel().verify(request), Status::kOk);

    FakeRequest tampered = request;
    tampered.headers = {{"X-Hub-Signature-256", meta_signature(kAppSecret, body)}};
    tampered.body[tampered.body.find("another")] = 'A';
    FakeResult r = signed_channel().verify(tampered);
    check_status(r, Status::kUnauthorized);
    BOOST_TEST(r.has_error("X-Hub-Signature-256", "bad_signature"), r.describe());

    request.headers = {{"X-Hub-Signature-256", meta_signature("not-the-secret", body)}};
    r = signed_channel().verify(request);
    check_status(r, Status::kUnauthorized);
    BOOST_TEST(r.has_error("X-Hub-Signature-256", "bad_signature"), r.describe());

    request.headers = {};
    r = signed_channel().verify(request);
    check_status(r, Status::kUnauthorized);
    BOOST_TEST(r.has_error("X-Hub-Signature-256", "missing_signature"), r.describe());

    request.headers = {{"X-Hub-Signature-256", "sha1=0123456789abcdef"}};
    r = signed_channel().verify(request);
    check_status(r, Status::kUnauthorized);
    BOOST_TEST(r.has_error("X-Hub-Signature-256", "invalid_format"), r.describe());

    // No app_secret: accepted unsigned.
    request.headers = {};
    check_status(open_channel().verify(request), Status::kOk);
}

BOOST_AUTO_TEST_CASE(twilio_signature_checks) {
    const std::string body = fixture("twilio/text.urlencoded");
    FakeRequest request = post(kForm, body);
    const std::string good = twilio_signature(kTwilioToken, kPublicUrl, body);

    request.headers = {{"X-Twilio-Signature", good}};
    check_status(signed_channel().verify(request), Status::kOk);

    FakeRequest tampered = request;
    tampered.body.replace(tampered.body.find("Jeanne"), 6, "Jeanot");
    FakeResult r = signed_channel().verify(tampered);
    check_status(r, Status::kUnauthorized);
    BOOST_TEST(r.has_error("X-Twilio-Signature", "bad_signature"), r.describe());

    // The URL is part of what Twilio signs: another public URL is another signature.
    FakeRequest moved = request;
    moved.public_url = "http://internal:8080/webhooks/whatsapp";
    check_status(signed_channel().verify(moved), Status::kUnauthorized);

    request.headers = {{"X-Twilio-Signature", twilio_signature("54321", kPublicUrl, body)}};
    check_status(signed_channel().verify(request), Status::kUnauthorized);

    request.headers = {};
    r = signed_channel().verify(request);
    check_status(r, Status::kUnauthorized);
    BOOST_TEST(r.has_error("X-Twilio-Signature", "missing_signature"), r.describe());

    check_status(open_channel().verify(request), Status::kOk);
}

BOOST_AUTO_TEST_CASE(handshake_answers_the_challenge) {
    const FakeResult r =
        signed_channel().handshake(get(handshake_query(kVerifyToken, "1158201444")));
    check_status(r, Status::kOk);
    BOOST_TEST(r.violations.empty(), r.describe());
    BOOST_TEST_REQUIRE(r.response.has_value());
    BOOST_TEST(r.response->status == 200);
    BOOST_TEST(r.response->content_type == "text/plain");
    BOOST_TEST(r.response->body == "1158201444");
}

BOOST_AUTO_TEST_CASE(handshake_refusals) {
    FakeResult r = signed_channel().handshake(get(handshake_query("wrong", "1158201444")));
    check_status(r, Status::kForbidden);
    BOOST_TEST(r.has_error("hub.verify_token", "mismatch"), r.describe());
    BOOST_TEST(!r.response.has_value());

    r = signed_channel().handshake(get(
        "hub.mode=unsubscribe&hub.verify_token=" + std::string(kVerifyToken) + "&hub.challenge=1"));
    check_status(r, Status::kForbidden);
    BOOST_TEST(r.has_error("hub.mode", "invalid_value"), r.describe());

    r = signed_channel().handshake(get(""));
    check_status(r, Status::kForbidden);
    BOOST_TEST(r.has_error("hub.mode", "required"), r.describe());

    r = signed_channel().handshake(get("hub.mode=subscribe&hub.challenge=1"));
    check_status(r, Status::kForbidden);
    BOOST_TEST(r.has_error("hub.verify_token", "required"), r.describe());

    r = signed_channel().handshake(
        get("hub.mode=subscribe&hub.verify_token=" + std::string(kVerifyToken)));
    check_status(r, Status::kInvalid);
    BOOST_TEST(r.has_error("hub.challenge", "required"), r.describe());

    // Without a configured verify_token nothing can match: refused.
    r = open_channel().handshake(get(handshake_query("", "1")));
    check_status(r, Status::kForbidden);
    BOOST_TEST(r.has_error("hub.verify_token", "not_configured"), r.describe());
}

BOOST_AUTO_TEST_CASE(handshake_token_is_percent_decoded) {
    FakeInstance instance = make({{"verify_token", "a b&c=d"}});
    const FakeResult r = instance.handshake(get(handshake_query("a+b%26c%3Dd", "42")));
    check_status(r, Status::kOk);
    BOOST_TEST_REQUIRE(r.response.has_value());
    BOOST_TEST(r.response->body == "42");
}

BOOST_AUTO_TEST_CASE(unsupported_media_type) {
    const FakeResult r = parse("text/plain", "hello");
    check_status(r, Status::kUnsupportedMediaType);
    BOOST_TEST(r.has_error("content-type", "unsupported_media_type"), r.describe());
    check_status(parse("", "{}"), Status::kUnsupportedMediaType);
}

BOOST_AUTO_TEST_CASE(unknown_providers) {
    FakeResult r = parse(kJson, R"({"object":"page","entry":[]})");
    check_status(r, Status::kInvalid);
    BOOST_TEST(r.has_error("object", "unknown_provider"), r.describe());

    r = parse(kJson, R"([{"object":"whatsapp_business_account"}])");
    check_status(r, Status::kInvalid);
    BOOST_TEST(r.has_error("object", "unknown_provider"), r.describe());

    r = parse(kForm, "name=Jeanne&message=bonjour");
    check_status(r, Status::kInvalid);
    BOOST_TEST(r.has_error("body", "unknown_provider"), r.describe());
}

BOOST_AUTO_TEST_CASE(malformed_meta_bodies) {
    FakeResult r = parse(kJson, R"({"object":"whatsapp_business_account","entry":[)");
    check_status(r, Status::kInvalid);
    BOOST_TEST(r.has_error("body", "malformed_json"), r.describe());

    r = parse(kJson, "{\"object\":\"whatsapp_business_account\",\"x\":\"\xC3\x28\"}");
    check_status(r, Status::kInvalid);
    BOOST_TEST(r.has_error("body", "malformed_json"), r.describe());

    r = parse(kJson, R"({"object":"whatsapp_business_account"})");
    check_status(r, Status::kInvalid);
    BOOST_TEST(r.has_error("entry", "required"), r.describe());

    r = parse(kJson, R"({"object":"whatsapp_business_account","entry":{}})");
    check_status(r, Status::kInvalid);
    BOOST_TEST(r.has_error("entry", "invalid_type"), r.describe());

    r = parse(
        kJson,
        R"({"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages"}]}]})");
    check_status(r, Status::kInvalid);
    BOOST_TEST(r.has_error("entry[0].changes[0].value", "required"), r.describe());
}

BOOST_AUTO_TEST_CASE(one_bad_message_refuses_the_whole_batch_with_its_path) {
    const FakeResult r = parse(
        kJson,
        meta_with_messages(
            R"([{"from":"16505551234","id":"wamid.OK","timestamp":"1","type":"text",)"
            R"("text":{"body":"fine"}},)"
            R"({"id":"wamid.BAD","timestamp":"1","type":"text","text":{"body":"no sender"}}])"));
    check_status(r, Status::kInvalid);
    BOOST_TEST(r.messages.empty(), "nothing is emitted when a message is refused");
    BOOST_TEST(r.has_error("entry[0].changes[0].value.messages[1].from", "required"), r.describe());
}

BOOST_AUTO_TEST_CASE(message_field_errors_name_their_fields) {
    const FakeResult r = parse(
        kJson,
        meta_with_messages(
            R"([{"from":"+1650","id":"wamid.1","timestamp":"yesterday","type":"text","text":{}},)"
            R"({"from":"16505551234","id":"","type":"location",)"
            R"("location":{"latitude":91,"longitude":"east"}},)"
            R"({"from":"16505551234","id":"wamid.3","type":"image",)"
            R"("image":{"mime_type":"image/png"}},)"
            R"({"from":"16505551234","id":"wamid.4","type":"text","text":{"body":"a\u0000b"}},)"
            R"({"from":"16505551234","id":"wamid.5"},)"
            R"("not an object"])"));
    check_status(r, Status::kInvalid);
    const std::string m = "entry[0].changes[0].value.messages";
    BOOST_TEST(r.has_error(m + "[0].from", "invalid_format"), r.describe());
    BOOST_TEST(r.has_error(m + "[0].timestamp", "invalid_format"), r.describe());
    BOOST_TEST(r.has_error(m + "[0].text.body", "required"), r.describe());
    BOOST_TEST(r.has_error(m + "[1].id", "required"), r.describe());
    BOOST_TEST(r.has_error(m + "[1].location.latitude", "out_of_range"), r.describe());
    BOOST_TEST(r.has_error(m + "[1].location.longitude", "invalid_type"), r.describe());
    BOOST_TEST(r.has_error(m + "[2].image.id", "required"), r.describe());
    BOOST_TEST(r.has_error(m + "[3].text.body", "invalid_encoding"), r.describe());
    BOOST_TEST(r.has_error(m + "[4].type", "required"), r.describe());
    BOOST_TEST(r.has_error(m + "[5]", "invalid_type"), r.describe());
}

BOOST_AUTO_TEST_CASE(malformed_twilio_bodies) {
    FakeResult r = parse(kForm, "MessageSid=SM1&From=%2B33612345678&Body=hi");
    check_status(r, Status::kInvalid);
    BOOST_TEST(r.has_error("From", "invalid_format"), r.describe());

    r = parse(kForm, "From=whatsapp%3A%2B33612345678&Body=hi");
    check_status(r, Status::kInvalid);
    BOOST_TEST(r.has_error("MessageSid", "required"), r.describe());

    r = parse(kForm, "MessageSid=SM1&Body=hi");
    check_status(r, Status::kInvalid);
    BOOST_TEST(r.has_error("From", "required"), r.describe());

    r = parse(kForm,
              "MessageSid=SM1&From=whatsapp%3A%2B33612345678&NumMedia=2&MediaUrl0=https%3A%2F%2Fx");
    check_status(r, Status::kInvalid);
    BOOST_TEST(r.has_error("MediaUrl1", "required"), r.describe());

    r = parse(kForm, "MessageSid=SM1&From=whatsapp%3A%2B33612345678&NumMedia=lots");
    check_status(r, Status::kInvalid);
    BOOST_TEST(r.has_error("NumMedia", "invalid_format"), r.describe());

    r = parse(kForm, "MessageSid=SM1&From=whatsapp%3A%2B33612345678&Body=%C3%28");
    check_status(r, Status::kInvalid);
    BOOST_TEST(r.has_error("Body", "invalid_encoding"), r.describe());

    r = parse(kForm, "MessageSid=SM%2F1&From=whatsapp%3A%2B33612345678&Body=hi");
    check_status(r, Status::kInvalid);
    BOOST_TEST(r.has_error("MessageSid", "invalid_format"), r.describe());
}

BOOST_AUTO_TEST_CASE(deep_nesting_does_not_crash) {
    const std::string deep(200000, '[');
    check_status(parse(kJson, deep), Status::kInvalid);
    const std::string nested = meta_with_messages(
        R"([{"from":"16505551234","id":"wamid.D","type":"text","text":{"body":"x"},"junk":)" +
        std::string(50000, '[') + std::string(50000, ']') + "}]");
    const FakeResult r = parse(kJson, nested);
    check_status(r, Status::kOk);
    BOOST_TEST(r.messages.size() == 1u);
}

BOOST_AUTO_TEST_CASE(too_many_messages_are_refused) {
    std::string messages = "[";
    for (int i = 0; i <= 1000; ++i) {
        if (i > 0) messages += ",";
        messages += R"({"from":"16505551234","id":"wamid.)" + std::to_string(i) +
                    R"(","type":"text","text":{"body":"x"}})";
    }
    messages += "]";
    const FakeResult r = parse(kJson, meta_with_messages(messages));
    check_status(r, Status::kInvalid);
    BOOST_TEST(r.messages.empty());
    BOOST_TEST(r.has_error("entry", "too_many_messages"), r.describe());
}

BOOST_AUTO_TEST_CASE(hooks_run_concurrently) {
    const std::string batch = fixture("meta/batch.json");
    const std::string twilio = fixture("twilio/text.urlencoded");
    std::vector<std::thread> threads;
    std::vector<int> failures(4, 0);
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 50; ++i) {
                FakeRequest meta = post(kJson, batch);
                meta.headers = {{"X-Hub-Signature-256", meta_signature(kAppSecret, batch)}};
                const FakeResult v = signed_channel().verify(meta);
                const FakeResult p = signed_channel().parse(meta);
                const FakeResult q = signed_channel().parse(post(kForm, twilio));
                if (v.status != Status::kOk || p.messages.size() != 2 || q.messages.size() != 1 ||
                    !p.violations.empty()) {
                    ++failures[t];
                }
            }
        });
    }
    for (auto& thread : threads) thread.join();
    for (int f : failures) BOOST_TEST(f == 0);
}

BOOST_AUTO_TEST_CASE(twilio_whatsapp_gets_empty_twiml_and_meta_the_host_s_json) {
    memolib::sdk::testing::FakeOutcome stored;
    const FakeResult twilio =
        open_channel().answer(post(kForm, fixture("twilio/text.urlencoded")), stored);
    BOOST_TEST(twilio.violations.empty(), twilio.describe());
    BOOST_REQUIRE(twilio.response.has_value());
    BOOST_TEST(twilio.response->status == 200);
    BOOST_TEST(twilio.response->content_type == "text/xml");
    BOOST_TEST(twilio.response->body == R"(<?xml version="1.0" encoding="UTF-8"?><Response/>)");
    const FakeResult meta = open_channel().answer(post(kJson, fixture("meta/text.json")), stored);
    BOOST_TEST(!meta.response.has_value());
}
