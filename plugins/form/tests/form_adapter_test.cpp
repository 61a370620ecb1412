#define BOOST_TEST_MODULE form_adapter
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "memolib/plugins/common/crypto.hpp"
#include "memolib/sdk/testing/fake_host.hpp"

namespace {

using memolib::sdk::Status;
using memolib::sdk::testing::FakeHost;
using memolib::sdk::testing::FakeInstance;
using memolib::sdk::testing::FakeRequest;
using memolib::sdk::testing::FakeResult;

constexpr const char* kJson = "application/json";
constexpr const char* kUrlencoded = "application/x-www-form-urlencoded";
constexpr const char* kMultipart =
    "multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW";

std::string fixture(const std::string& name) {
    return memolib::sdk::testing::read_file(std::string(MEMOLIB_SOURCE_DIR) +
                                            "/plugins/form/tests/fixtures/" + name);
}

// One plugin load for the whole module, as the host loads each plugin once.
FakeHost& host() {
    static FakeHost h(std::string(MEMOLIB_BINARY_DIR) + "/plugins/form.so");
    return h;
}

FakeInstance make_form(const std::map<std::string, std::string>& config = {
                           {"default_region", "FR"}}) {
    FakeInstance form = host().create("form", config);
    BOOST_REQUIRE_MESSAGE(form, form.creation().describe());
    return form;
}

FakeResult parse(const std::string& content_type, const std::string& body) {
    static FakeInstance form = make_form();
    FakeRequest request;
    request.path = "/webhooks/form";
    request.content_type = content_type;
    request.body = body;
    FakeResult result = form.parse(request);
    BOOST_TEST(result.violations.empty(), result.describe());
    return result;
}

constexpr const char* kSecret = "e2f4c5b6a7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2";

// Typeform-Signature as https://www.typeform.com/developers/webhooks/secure-your-webhooks/
// computes it: sha256= followed by the base64 HMAC-SHA256 of the raw body.
std::string typeform_signature(const std::string& secret, const std::string& body) {
    namespace common = memolib::plugins::common;
    return "sha256=" + common::base64_encode(common::hmac_sha256(secret, body));
}

FakeRequest typeform_request(const std::string& body, const std::string& signature = "") {
    FakeRequest request;
    request.path = "/webhooks/form";
    request.content_type = "application/json";
    request.body = body;
    if (!signature.empty()) request.headers.emplace_back("Typeform-Signature", signature);
    return request;
}

// A Typeform channel with its secret configured, built once like the unsigned one.
const FakeInstance& signed_form() {
    static FakeInstance form = make_form({{"default_region", "FR"}, {"typeform_secret", kSecret}});
    return form;
}

// A form_response whose answers are `answers` (a JSON array) and fields `fields`.
std::string typeform_body(const std::string& answers, const std::string& fields = "[]",
                          const std::string& token = "tok123") {
    return R"({"event_id":"ev1","event_type":"form_response","form_response":{"form_id":"F1",)"
           R"("token":")" +
           token +
           R"(","submitted_at":"2026-11-23T09:14:05Z","definition":{"id":"F1",)"
           R"("title":"Contact","fields":)" +
           fields + R"(},"answers":)" + answers + "}}";
}

std::string text_answer(const std::string& ref, const std::string& text,
                        const std::string& field_type = "short_text") {
    return R"({"type":"text","text":")" + text + R"(","field":{"id":"id_)" + ref + R"(","type":")" +
           field_type + R"(","ref":")" + ref + R"("}})";
}

}  // namespace

BOOST_AUTO_TEST_CASE(describes_itself) {
    const memolib_plugin_descriptor_t& d = host().descriptor();
    BOOST_TEST(std::string(d.name) == "form");
    BOOST_TEST(std::string(d.version) == "1.1.0");
    BOOST_TEST(std::string(d.status) == "stable");
    BOOST_TEST(std::string(d.providers[0]) == "website");
    BOOST_TEST(std::string(d.providers[1]) == "typeform");
    BOOST_TEST(d.providers[2] == nullptr);
    BOOST_TEST(std::string(d.content_types[0]) == "application/json");
    BOOST_TEST(std::string(d.content_types[1]) == "application/x-www-form-urlencoded");
    BOOST_TEST(std::string(d.content_types[2]) == "multipart/form-data");
    BOOST_TEST(d.content_types[3] == nullptr);
    BOOST_TEST(d.default_max_body_bytes == 5u * 1024 * 1024);
    BOOST_TEST(d.default_rate_requests == 50u);
    BOOST_TEST(d.default_rate_window_ms == 3600000u);
    const std::string schema = d.config_schema_yaml;
    BOOST_TEST(schema.find("default_region:") != std::string::npos);
    const std::size_t secret = schema.find("typeform_secret:");
    BOOST_TEST_REQUIRE(secret != std::string::npos);
    BOOST_TEST(schema.find("secret: true", secret) != std::string::npos);
}

BOOST_AUTO_TEST_CASE(json_happy_path) {
    const FakeResult r = parse(kJson, fixture("contact.json"));
    BOOST_TEST_REQUIRE(static_cast<int>(r.status) == static_cast<int>(Status::kOk), r.describe());
    BOOST_TEST(r.errors.empty());
    BOOST_TEST_REQUIRE(r.messages.size() == 1u);
    const memolib::sdk::Message& m = r.messages[0];
    BOOST_TEST(m.provider == "website");
    BOOST_TEST(m.external_id == "");
    BOOST_TEST(m.sender == "marie.dupont@example.fr");
    BOOST_TEST(m.sender_name == "Marie Dupont");
    BOOST_TEST(m.subject == "Demande de rendez-vous");
    BOOST_TEST(m.text ==
               "Bonjour,\nje souhaiterais un rendez-vous pour le dossier de succession de mon "
               "p\xc3\xa8re.\nMerci !");
    BOOST_TEST(m.metadata_json == R"({"phone":"+33612345678"})");
    BOOST_TEST(m.attachments.empty());
    BOOST_TEST(m.recipient == "");
    BOOST_TEST(m.html == "");
}

BOOST_AUTO_TEST_CASE(json_charset_parameter_is_accepted) {
    const FakeResult r =
        parse("Application/JSON; charset=UTF-8", R"({"email":"a@b.co","message":"hi"})");
    BOOST_TEST(static_cast<int>(r.status) == static_cast<int>(Status::kOk), r.describe());
}

BOOST_AUTO_TEST_CASE(urlencoded_happy_path_with_phone_only) {
    const FakeResult r = parse(kUrlencoded, fixture("contact.urlencoded"));
    BOOST_TEST_REQUIRE(static_cast<int>(r.status) == static_cast<int>(Status::kOk), r.describe());
    BOOST_TEST_REQUIRE(r.messages.size() == 1u);
    const memolib::sdk::Message& m = r.messages[0];
    BOOST_TEST(m.provider == "website");
    BOOST_TEST(m.sender == "+33612345678");
    BOOST_TEST(m.sender_name == "Jean Martin");
    BOOST_TEST(m.subject == "Rappel");
    BOOST_TEST(m.text == "Pouvez-vous me rappeler \xc3\xa0 partir de 14h ?\nMerci.");
    BOOST_TEST(m.metadata_json == "");
}

BOOST_AUTO_TEST_CASE(multipart_happy_path) {
    const FakeResult r = parse(kMultipart, fixture("contact.multipart"));
    BOOST_TEST_REQUIRE(static_cast<int>(r.status) == static_cast<int>(Status::kOk), r.describe());
    BOOST_TEST_REQUIRE(r.messages.size() == 1u);
    const memolib::sdk::Message& m = r.messages[0];
    BOOST_TEST(m.provider == "website");
    BOOST_TEST(m.sender == "elodie.bernard@example.org");
    BOOST_TEST(m.sender_name == "\xc3\x89lodie Bernard");
    BOOST_TEST(m.subject == "Question sur ma facture");
    BOOST_TEST(m.text ==
               "Bonjour,\nma facture de mars est-elle r\xc3\xa9gl\xc3\xa9"
               "e ?\nCordialement.");
    BOOST_TEST(m.attachments.empty());
    BOOST_TEST(m.metadata_json == "");
}

BOOST_AUTO_TEST_CASE(multipart_file_part_becomes_an_attachment_descriptor) {
    const FakeResult r = parse(kMultipart, fixture("contact_with_file.multipart"));
    BOOST_TEST_REQUIRE(static_cast<int>(r.status) == static_cast<int>(Status::kOk), r.describe());
    BOOST_TEST_REQUIRE(r.messages.size() == 1u);
    const memolib::sdk::Message& m = r.messages[0];
    BOOST_TEST(m.sender == "+33612345678");
    BOOST_TEST(m.sender_name == "Paul Durand");
    BOOST_TEST(m.text == "Voici le plan demand\xc3\xa9.");
    // The empty file input (filename="") is not an attachment.
    BOOST_TEST_REQUIRE(m.attachments.size() == 1u);
    BOOST_TEST(m.attachments[0].name == "plan maison.txt");
    BOOST_TEST(m.attachments[0].content_type == "text/plain");
    BOOST_TEST(m.attachments[0].size == 46);
    BOOST_TEST(m.attachments[0].url == "");
}

BOOST_AUTO_TEST_CASE(multipart_without_boundary_is_invalid) {
    const FakeResult r = parse("multipart/form-data", fixture("contact.multipart"));
    BOOST_TEST(static_cast<int>(r.status) == static_cast<int>(Status::kInvalid));
    BOOST_TEST(r.has_error("body", "malformed_multipart"), r.describe());
}

BOOST_AUTO_TEST_CASE(french_national_phone_becomes_e164) {
    const FakeResult r = parse(kJson, R"({"phone":"06 12 34 56 78","message":"Rappelez-moi"})");
    BOOST_TEST_REQUIRE(r.messages.size() == 1u, r.describe());
    BOOST_TEST(r.messages[0].sender == "+33612345678");
}

BOOST_AUTO_TEST_CASE(default_region_reads_national_numbers) {
    FakeInstance gb = make_form({{"default_region", "gb"}});
    FakeRequest request;
    request.content_type = kJson;
    request.body = R"({"phone":"07400 123456","message":"Call me"})";
    const FakeResult r = gb.parse(request);
    BOOST_TEST_REQUIRE(r.messages.size() == 1u, r.describe());
    BOOST_TEST(r.messages[0].sender == "+447400123456");
}

BOOST_AUTO_TEST_CASE(missing_message_is_invalid) {
    const FakeResult r = parse(kJson, R"({"email":"a@example.org","subject":"Hello"})");
    BOOST_TEST(static_cast<int>(r.status) == static_cast<int>(Status::kInvalid));
    BOOST_TEST(r.messages.empty());
    BOOST_TEST(r.has_error("message", "required"), r.describe());
    BOOST_TEST(r.errors.size() == 1u, r.describe());
}

BOOST_AUTO_TEST_CASE(blank_message_is_invalid) {
    const FakeResult r = parse(kUrlencoded, "email=a%40example.org&message=+%0D%0A+");
    BOOST_TEST(static_cast<int>(r.status) == static_cast<int>(Status::kInvalid));
    BOOST_TEST(r.has_error("message", "required"), r.describe());
}

BOOST_AUTO_TEST_CASE(invalid_email_is_invalid) {
    for (const char* email : {"not-an-address", "a@b", "a@@b.fr", "@example.org", "a@example..org",
                              "a b@example.org", "a@example.org."}) {
        const FakeResult r =
            parse(kJson, std::string(R"({"email":")") + email + R"(","message":"hi"})");
        BOOST_TEST(static_cast<int>(r.status) == static_cast<int>(Status::kInvalid), email);
        BOOST_TEST(r.has_error("email", "invalid_format"), email << "\n" << r.describe());
    }
}

BOOST_AUTO_TEST_CASE(invalid_phone_is_invalid) {
    const FakeResult r = parse(kJson, R"({"phone":"12","message":"hi"})");
    BOOST_TEST(static_cast<int>(r.status) == static_cast<int>(Status::kInvalid));
    BOOST_TEST(r.has_error("phone", "invalid_format"), r.describe());
}

BOOST_AUTO_TEST_CASE(no_way_to_reach_the_client_is_invalid) {
    const FakeResult r = parse(kJson, R"({"name":"Anonyme","email":"","message":"hi"})");
    BOOST_TEST(static_cast<int>(r.status) == static_cast<int>(Status::kInvalid));
    BOOST_TEST(r.has_error("email", "required"), r.describe());
}

BOOST_AUTO_TEST_CASE(every_problem_is_reported_at_once) {
    const FakeResult r = parse(kJson, R"({"email":"nope","phone":"12","subject":3})");
    BOOST_TEST(static_cast<int>(r.status) == static_cast<int>(Status::kInvalid));
    BOOST_TEST(r.has_error("email", "invalid_format"), r.describe());
    BOOST_TEST(r.has_error("phone", "invalid_format"), r.describe());
    BOOST_TEST(r.has_error("subject", "invalid_type"), r.describe());
    BOOST_TEST(r.has_error("message", "required"), r.describe());
    BOOST_TEST(r.errors.size() == 4u, r.describe());
}

BOOST_AUTO_TEST_CASE(malformed_json_names_the_offset) {
    const FakeResult r = parse(kJson, R"({"email":"a@example.org", "message": )");
    BOOST_TEST(static_cast<int>(r.status) == static_cast<int>(Status::kInvalid));
    BOOST_TEST_REQUIRE(r.errors.size() == 1u, r.describe());
    BOOST_TEST(r.errors[0].field == "body");
    BOOST_TEST(r.errors[0].code == "malformed_json");
    BOOST_TEST(r.errors[0].message.find("offset 37") != std::string::npos, r.describe());
}

BOOST_AUTO_TEST_CASE(json_that_is_not_an_object_is_invalid) {
    for (const char* body : {"[]", "\"hello\"", "42", "null"}) {
        const FakeResult r = parse(kJson, body);
        BOOST_TEST(static_cast<int>(r.status) == static_cast<int>(Status::kInvalid), body);
        BOOST_TEST(r.has_error("body", "invalid_type"), body << "\n" << r.describe());
    }
}

BOOST_AUTO_TEST_CASE(json_field_of_wrong_type_is_invalid) {
    const FakeResult r = parse(kJson, R"({"email":"a@example.org","message":["hi"]})");
    BOOST_TEST(static_cast<int>(r.status) == static_cast<int>(Status::kInvalid));
    BOOST_TEST(r.has_error("message", "invalid_type"), r.describe());
    BOOST_TEST(!r.has_error("message", "required"), r.describe());
}

BOOST_AUTO_TEST_CASE(json_null_field_counts_as_absent) {
    const FakeResult r = parse(kJson, R"({"email":"a@example.org","phone":null,"message":"hi"})");
    BOOST_TEST_REQUIRE(r.messages.size() == 1u, r.describe());
    BOOST_TEST(r.messages[0].metadata_json == "");
}

BOOST_AUTO_TEST_CASE(deeply_nested_json_does_not_crash) {
    std::string body = R"({"email":"a@example.org","message":"hi","x":)";
    body += std::string(200000, '[') + std::string(200000, ']') + "}";
    const FakeResult r = parse(kJson, body);
    BOOST_TEST(static_cast<int>(r.status) == static_cast<int>(Status::kOk), r.describe());
}

BOOST_AUTO_TEST_CASE(text_plain_is_unsupported) {
    const FakeResult r = parse("text/plain", "hello");
    BOOST_TEST(static_cast<int>(r.status) == static_cast<int>(Status::kUnsupportedMediaType));
    BOOST_TEST(r.has_error("content-type", "unsupported_media_type"), r.describe());
    const FakeResult none = parse("", "hello");
    BOOST_TEST(static_cast<int>(none.status) == static_cast<int>(Status::kUnsupportedMediaType));
}

BOOST_AUTO_TEST_CASE(invalid_utf8_is_invalid) {
    const FakeResult json = parse(kJson, "{\"email\":\"a@example.org\",\"message\":\"caf\xe9\"}");
    BOOST_TEST(static_cast<int>(json.status) == static_cast<int>(Status::kInvalid));
    BOOST_TEST(json.has_error("message", "invalid_encoding"), json.describe());

    const FakeResult form = parse(kUrlencoded, "email=a%40example.org&message=hi&name=%C0%AF");
    BOOST_TEST(static_cast<int>(form.status) == static_cast<int>(Status::kInvalid));
    BOOST_TEST(form.has_error("name", "invalid_encoding"), form.describe());

    const FakeResult surrogate = parse(kUrlencoded, "email=a%40example.org&message=%ED%A0%80");
    BOOST_TEST(surrogate.has_error("message", "invalid_encoding"), surrogate.describe());

    const FakeResult nul = parse(kJson, R"({"email":"a@example.org","message":"a\u0000b"})");
    BOOST_TEST(nul.has_error("message", "invalid_encoding"), nul.describe());
}

BOOST_AUTO_TEST_CASE(too_long_fields_are_invalid) {
    const std::string long_subject(64 * 1024 + 1, 'x');
    const FakeResult r =
        parse(kUrlencoded, "email=a%40example.org&message=hi&subject=" + long_subject);
    BOOST_TEST(r.has_error("subject", "too_long"), r.describe());

    const std::string long_message(1024 * 1024 + 1, 'x');
    const FakeResult m = parse(kUrlencoded, "email=a%40example.org&message=" + long_message);
    BOOST_TEST(m.has_error("message", "too_long"), m.describe());

    const std::string big_message(std::size_t{1024} * 1024, 'x');
    const FakeResult ok = parse(kUrlencoded, "email=a%40example.org&message=" + big_message);
    BOOST_TEST(static_cast<int>(ok.status) == static_cast<int>(Status::kOk), ok.describe());
}

BOOST_AUTO_TEST_CASE(first_occurrence_of_a_field_wins) {
    const FakeResult r = parse(kUrlencoded, "email=a%40example.org&message=one&message=two");
    BOOST_TEST_REQUIRE(r.messages.size() == 1u, r.describe());
    BOOST_TEST(r.messages[0].text == "one");
}

BOOST_AUTO_TEST_CASE(metadata_json_is_escaped_json) {
    const FakeResult r = parse(kJson, R"({"email":"A@Example.org","phone":"+33 6 12 34 56 78",)"
                                      R"("name":"Zo\u00e9 \"Z\"","message":"hi"})");
    BOOST_TEST_REQUIRE(r.messages.size() == 1u, r.describe());
    BOOST_TEST(r.messages[0].sender == "a@example.org");
    BOOST_TEST(r.messages[0].sender_name == "Zo\xc3\xa9 \"Z\"");
    BOOST_TEST(r.messages[0].metadata_json == R"({"phone":"+33612345678"})");
}

BOOST_AUTO_TEST_CASE(bad_default_region_is_refused) {
    for (const char* region : {"XX", "", "France"}) {
        FakeInstance form = host().create("form", {{"default_region", region}});
        BOOST_TEST(!form, region);
        BOOST_TEST_REQUIRE(form.creation().errors.size() == 1u, form.creation().describe());
        BOOST_TEST(form.creation().errors[0].field == "default_region");
        BOOST_TEST(form.creation().errors[0].message.find("default_region") != std::string::npos);
    }
}

BOOST_AUTO_TEST_CASE(host_refusing_the_message_is_invalid) {
    FakeInstance form = make_form();
    form.set_max_messages(0);
    FakeRequest request;
    request.content_type = kJson;
    request.body = R"({"email":"a@example.org","message":"hi"})";
    const FakeResult r = form.parse(request);
    BOOST_TEST(static_cast<int>(r.status) == static_cast<int>(Status::kInvalid));
    BOOST_TEST(r.messages.empty());
}

BOOST_AUTO_TEST_CASE(verify_accepts_and_handshake_is_not_handled) {
    FakeInstance form = make_form();
    FakeRequest request;
    request.method = "GET";
    BOOST_TEST(static_cast<int>(form.verify(request).status) == static_cast<int>(Status::kOk));
    BOOST_TEST(static_cast<int>(form.handshake(request).status) ==
               static_cast<int>(Status::kNotHandled));
}

BOOST_AUTO_TEST_CASE(parse_runs_concurrently) {
    const FakeInstance form = make_form();
    const std::string bodies[] = {fixture("contact.json"), fixture("contact.urlencoded"),
                                  fixture("contact_with_file.multipart"),
                                  fixture("typeform_example.json")};
    const char* types[] = {kJson, kUrlencoded, kMultipart, kJson};
    std::vector<int> failures(4, 0);
    std::vector<std::thread> threads;
    for (std::size_t t = 0; t < failures.size(); ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 200; ++i) {
                FakeRequest request;
                request.content_type = types[(t + i) % 4];
                request.body = bodies[(t + i) % 4];
                const FakeResult r = form.parse(request);
                if (r.status != Status::kOk || r.messages.size() != 1 || !r.violations.empty()) {
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
                                  "--x\r\n\r\n",
                                  "=&=&&%",
                                  "%%%",
                                  "--\r\n--\r\n",
                                  fixture("contact.multipart").substr(0, 100),
                                  R"({"event_type":"form_response","form_response":{}})",
                                  fixture("typeform_example.json").substr(0, 500)};
    for (const std::string& body : inputs) {
        for (const char* type : {kJson, kUrlencoded, kMultipart, "multipart/form-data; boundary=",
                                 "multipart/form-data; boundary=\"a\r\nX-Evil: 1\""}) {
            const FakeResult r = parse(type, body);
            BOOST_TEST(static_cast<int>(r.status) == static_cast<int>(Status::kInvalid),
                       type << " / " << r.describe() << " / " << body.substr(0, 40));
        }
    }
}

BOOST_AUTO_TEST_CASE(typeform_documented_example_is_normalized) {
    const FakeResult r = parse(kJson, fixture("typeform_example.json"));
    BOOST_TEST_REQUIRE(static_cast<int>(r.status) == static_cast<int>(Status::kOk), r.describe());
    BOOST_TEST(r.errors.empty());
    BOOST_TEST_REQUIRE(r.messages.size() == 1u);
    const memolib::sdk::Message& m = r.messages[0];
    BOOST_TEST(m.provider == "typeform");
    BOOST_TEST(m.external_id == "a3a12ec67a1365927098a606107fac15");
    // No field has the conventional refs: the first email answer is the sender, and the
    // long_text answer is the text.
    BOOST_TEST(m.sender == "laura@example.com");
    BOOST_TEST(m.sender_name == "");
    BOOST_TEST(m.subject == "Webhooks example");
    BOOST_TEST(m.text ==
               "It's cold right now! I live in an older medium-sized city with a university. "
               "Geographically, the area is hilly.");
    BOOST_TEST(m.provider_timestamp_ms == 1516299422000);
    BOOST_TEST(m.recipient == "");
    BOOST_TEST(m.html == "");
    BOOST_TEST(m.attachments.empty());
    BOOST_TEST(m.metadata_json ==
               R"({"event_id":"LtWXD3crgy","form_id":"lT4Z3j","landed_at":"2018-01-18T18:07:02Z",)"
               R"("score":9,"answers":{"readable_ref_short_text":"Laura",)"
               R"("readable_ref_date":"2005-10-15",)"
               R"("readable_ref_picture_choice":["London","Sydney"],"readable_ref_number1":5,)"
               R"("readable_ref_legal":true,"readable_ref_multiple_choice":"London",)"
               R"("readable_ref_yes_no":false,"readable_ref_opinion_scale":2,)"
               R"("readable_ref_rating":3,"readable_ref_number2":4,"readable_ref_calendly":)"
               R"("https://calendly.com/scheduled_events/EVENT_TYPE/invitees/INVITEE"},)"
               R"("hidden":{"user_id":"abc123456"},"variables":{"score":4,"name":"typeform"}})");
}

BOOST_AUTO_TEST_CASE(typeform_conventional_refs_fill_the_columns) {
    const FakeResult r = parse(kJson, fixture("typeform_contact.json"));
    BOOST_TEST_REQUIRE(static_cast<int>(r.status) == static_cast<int>(Status::kOk), r.describe());
    BOOST_TEST_REQUIRE(r.messages.size() == 1u);
    const memolib::sdk::Message& m = r.messages[0];
    BOOST_TEST(m.provider == "typeform");
    BOOST_TEST(m.external_id == "9f1c2b7e4d8a6053b2e1f0c9d8a7b6e5");
    BOOST_TEST(m.sender == "camille.leroy@example.fr");
    BOOST_TEST(m.sender_name == "Camille Leroy");
    BOOST_TEST(m.subject == "Litige avec mon bailleur");
    BOOST_TEST(m.text ==
               "Bonjour,\nmon bailleur refuse de me rendre le d\xc3\xa9p\xc3\xb4t de garantie.\n"
               "Pouvez-vous m'aider ?");
    BOOST_TEST(m.provider_timestamp_ms == 1795425245000);
    BOOST_TEST_REQUIRE(m.attachments.size() == 1u);
    BOOST_TEST(m.attachments[0].name == "5c3e1a9b2f7d-etat_des_lieux.pdf");
    BOOST_TEST(m.attachments[0].url ==
               "https://api.typeform.com/forms/Kx7pQ2/responses/9f1c2b7e4d8a6053b2e1f0c9d8a7b6e5/"
               "fields/wX5yZ6aB7cD8/files/5c3e1a9b2f7d-etat_des_lieux.pdf");
    BOOST_TEST(m.attachments[0].content_type == "");
    BOOST_TEST(m.attachments[0].size == -1);
    BOOST_TEST(m.metadata_json ==
               R"({"event_id":"01HZX4Q9T7M2K8B3C5D6E7F8G9","form_id":"Kx7pQ2",)"
               R"("landed_at":"2026-11-23T09:12:40Z","phone":"+33612345678",)"
               R"("answers":{"domaine":"Droit immobilier"},"hidden":{"source":"site-contact"}})");
}

BOOST_AUTO_TEST_CASE(typeform_same_response_twice_has_the_same_external_id) {
    const std::string body = fixture("typeform_example.json");
    const FakeResult first = parse(kJson, body);
    const FakeResult second = parse(kJson, body);
    BOOST_TEST_REQUIRE(first.messages.size() == 1u, first.describe());
    BOOST_TEST_REQUIRE(second.messages.size() == 1u, second.describe());
    BOOST_TEST(first.messages[0].external_id == second.messages[0].external_id);
    BOOST_TEST(first.messages[0].metadata_json == second.messages[0].metadata_json);
}

BOOST_AUTO_TEST_CASE(typeform_phone_only_becomes_the_sender_in_e164) {
    const FakeResult r =
        parse(kJson, typeform_body(R"([{"type":"phone_number","phone_number":"06 12 34 56 78",)"
                                   R"("field":{"id":"p","type":"phone_number"}},)" +
                                   text_answer("message", "Rappelez-moi", "long_text") + "]"));
    BOOST_TEST_REQUIRE(r.messages.size() == 1u, r.describe());
    BOOST_TEST(r.messages[0].sender == "+33612345678");
    BOOST_TEST(r.messages[0].text == "Rappelez-moi");
    BOOST_TEST(r.messages[0].metadata_json == R"({"event_id":"ev1","form_id":"F1"})");
}

BOOST_AUTO_TEST_CASE(typeform_message_ref_wins_over_a_longer_long_text) {
    const FakeResult r =
        parse(kJson,
              typeform_body("[" + text_answer("details", "a much longer text answer", "long_text") +
                            "," + text_answer("message", " Short ", "short_text") + "]"));
    BOOST_TEST_REQUIRE(r.messages.size() == 1u, r.describe());
    BOOST_TEST(r.messages[0].text == "Short");
    BOOST_TEST(r.messages[0].sender == "");
    BOOST_TEST(
        r.messages[0].metadata_json ==
        R"({"event_id":"ev1","form_id":"F1","answers":{"details":"a much longer text answer"}})");
}

BOOST_AUTO_TEST_CASE(typeform_longest_long_text_is_the_text_without_message_ref) {
    const FakeResult r = parse(
        kJson, typeform_body(
                   "[" + text_answer("a", "short one", "long_text") + "," +
                   text_answer("b", "the longest one of all", "long_text") + "," +
                   text_answer("c", "a short_text that is longer than all", "short_text") + "]"));
    BOOST_TEST_REQUIRE(r.messages.size() == 1u, r.describe());
    BOOST_TEST(r.messages[0].text == "the longest one of all");
    BOOST_TEST(r.messages[0].metadata_json ==
               R"({"event_id":"ev1","form_id":"F1","answers":{"a":"short one",)"
               R"("c":"a short_text that is longer than all"}})");
}

BOOST_AUTO_TEST_CASE(typeform_without_message_text_gets_a_summary) {
    const std::string fields =
        R"([{"id":"f1","title":"Which city?","type":"multiple_choice","ref":"city"},)"
        R"({"id":"f2","title":"Your e-mail","type":"email","ref":"mail"},)"
        R"({"id":"f3","title":"Agree?","type":"yes_no","ref":"agree"},)"
        R"({"id":"f4","title":"Rating","type":"rating","ref":"rating"},)"
        R"({"id":"f5","title":"Cities","type":"multiple_choice","ref":"cities"}])";
    const std::string answers =
        R"([{"type":"choice","choice":{"label":"Paris"},)"
        R"("field":{"id":"f1","type":"multiple_choice"}},)"
        R"({"type":"email","email":"Jo@Example.org","field":{"id":"f2","type":"email"}},)"
        R"({"type":"boolean","boolean":true,"field":{"id":"f3","type":"yes_no"}},)"
        R"({"type":"number","number":4.5,"field":{"id":"f4","type":"rating"}},)"
        R"({"type":"choices","choices":{"labels":["Lyon","Nice"],"other":"Brest"},)"
        R"("field":{"id":"f5","type":"multiple_choice"}},)"
        R"({"type":"text","text":"no definition","field":{"id":"zz","type":"short_text"}}])";
    const FakeResult r = parse(kJson, typeform_body(answers, fields));
    BOOST_TEST_REQUIRE(r.messages.size() == 1u, r.describe());
    const memolib::sdk::Message& m = r.messages[0];
    BOOST_TEST(m.sender == "jo@example.org");
    BOOST_TEST(m.subject == "Contact");
    BOOST_TEST(m.text ==
               "Which city?: Paris\nYour e-mail: Jo@Example.org\nAgree?: yes\nRating: 4.5\n"
               "Cities: Lyon, Nice, Brest\nzz: no definition");
    BOOST_TEST(m.metadata_json ==
               R"({"event_id":"ev1","form_id":"F1","answers":{"city":"Paris","agree":true,)"
               R"("rating":4.5,"cities":["Lyon","Nice","Brest"],"zz":"no definition"}})");
}

BOOST_AUTO_TEST_CASE(typeform_unusable_email_stays_in_metadata) {
    const FakeResult r = parse(
        kJson,
        typeform_body(
            "[" + text_answer("email", "not an address") + "," +
            R"({"type":"email","email":"ok@example.org","field":{"id":"e2","type":"email"}},)" +
            text_answer("message", "hello", "long_text") + "]"));
    BOOST_TEST_REQUIRE(r.messages.size() == 1u, r.describe());
    BOOST_TEST(r.messages[0].sender == "ok@example.org");
    BOOST_TEST(r.messages[0].metadata_json ==
               R"({"event_id":"ev1","form_id":"F1","answers":{"email":"not an address"}})");
}

BOOST_AUTO_TEST_CASE(typeform_repeated_titles_keep_every_answer) {
    const std::string fields = R"([{"id":"a","title":"Same"},{"id":"b","title":"Same"}])";
    const std::string answers = R"([{"type":"text","text":"one","field":{"id":"a"}},)"
                                R"({"type":"text","text":"two","field":{"id":"b"}},)"
                                R"({"type":"text","text":"three","field":{}}])";
    const FakeResult r = parse(kJson, typeform_body(answers, fields));
    BOOST_TEST_REQUIRE(r.messages.size() == 1u, r.describe());
    BOOST_TEST(r.messages[0].text == "Same: one\nSame: two\nthree");
    BOOST_TEST(r.messages[0].metadata_json ==
               R"({"event_id":"ev1","form_id":"F1","answers":{"Same":"one","Same[1]":"two",)"
               R"("[2]":"three"}})");
}

BOOST_AUTO_TEST_CASE(typeform_suffixed_keys_never_collide) {
    const std::string answers = R"([{"type":"text","text":"a","field":{"ref":"X[2]"}},)"
                                R"({"type":"text","text":"b","field":{"ref":"X"}},)"
                                R"({"type":"text","text":"c","field":{"ref":"X"}}])";
    const FakeResult r = parse(kJson, typeform_body(answers));
    BOOST_TEST_REQUIRE(r.messages.size() == 1u, r.describe());
    BOOST_TEST(r.messages[0].metadata_json ==
               R"({"event_id":"ev1","form_id":"F1","answers":{"X[2]":"a","X":"b","X[2][2]":"c"}})");
}

BOOST_AUTO_TEST_CASE(typeform_unknown_answer_types_are_kept_when_plain) {
    const std::string answers =
        R"([{"type":"payment","payment":{"amount":"10.00","last4":"4242"},)"
        R"("field":{"id":"p","ref":"pay"}},)"
        R"({"type":"dropdown_extra","dropdown_extra":"x","field":{"id":"d","ref":"extra"}},)"
        R"({"type":"multi_format","multi_format":[[[[1]]]],"field":{"id":"m","ref":"mf"}}])";
    const FakeResult r = parse(kJson, typeform_body(answers));
    BOOST_TEST_REQUIRE(r.messages.size() == 1u, r.describe());
    BOOST_TEST(r.messages[0].text == "extra: x");
    BOOST_TEST(r.messages[0].metadata_json ==
               R"({"event_id":"ev1","form_id":"F1","answers":{"extra":"x"}})");
}

BOOST_AUTO_TEST_CASE(typeform_malformed_payloads_name_their_fields) {
    struct Case {
        std::string body;
        std::string field;
        std::string code;
    };
    const std::string head = R"({"event_type":"form_response","form_response":{)";
    const Case cases[] = {
        {head + R"("answers":[]}})", "form_response.token", "required"},
        {head + R"("token":7,"answers":[]}})", "form_response.token", "invalid_type"},
        {head + R"("token":"  ","answers":[]}})", "form_response.token", "required"},
        {head + R"("token":"t","answers":{}}})", "form_response.answers", "invalid_type"},
        {head + R"("token":"t","answers":[3]}})", "form_response.answers[0]", "invalid_type"},
        {head + R"("token":"t","answers":[{"field":{}}]}})", "form_response.answers[0].type",
         "required"},
        {head + R"("token":"t","answers":[{"type":"text","text":"x"}]}})",
         "form_response.answers[0].field", "required"},
        {head + R"("token":"t","answers":[{"type":"text","text":5,"field":{}}]}})",
         "form_response.answers[0].text", "invalid_type"},
        {head + R"("token":"t","answers":[{"type":"number","field":{}}]}})",
         "form_response.answers[0].number", "required"},
        {head + R"("token":"t","answers":[{"type":"boolean","boolean":"yes","field":{}}]}})",
         "form_response.answers[0].boolean", "invalid_type"},
        {head + R"("token":"t","answers":[{"type":"choice","choice":{},"field":{}}]}})",
         "form_response.answers[0].choice.label", "required"},
        {head +
             R"("token":"t","answers":[{"type":"choices","choices":{"labels":[1]},"field":{}}]}})",
         "form_response.answers[0].choices.labels[0]", "invalid_type"},
        {head + R"("token":"t","answers":[{"type":"text","text":"x","field":{"ref":2}}]}})",
         "form_response.answers[0].field.ref", "invalid_type"},
        {head + R"("token":"t","submitted_at":"yesterday"}})", "form_response.submitted_at",
         "invalid_format"},
        {head + R"("token":"t","hidden":[]}})", "form_response.hidden", "invalid_type"},
        {head + R"("token":"t","definition":{"fields":[1]}}})",
         "form_response.definition.fields[0]", "invalid_type"},
        {head + R"("token":"t","answers":[{"type":"text","text":"caf)" + std::string("\xe9") +
             R"(","field":{}}]}})",
         "form_response.answers[0].text", "invalid_encoding"},
        {head + R"("token":"t","answers":[{"type":"text","text":"a\u0000b","field":{}}]}})",
         "form_response.answers[0].text", "invalid_encoding"},
        {head + R"("token":"t","hidden":{"k":"\udc00"}}})", "form_response.hidden.k",
         "invalid_encoding"},
    };
    for (const Case& c : cases) {
        const FakeResult r = parse(kJson, c.body);
        BOOST_TEST(static_cast<int>(r.status) == static_cast<int>(Status::kInvalid), c.body);
        BOOST_TEST(r.messages.empty(), c.body);
        BOOST_TEST(r.has_error(c.field, c.code), c.body << "\n" << r.describe());
    }
}

BOOST_AUTO_TEST_CASE(other_json_events_are_website_forms) {
    // Not event_type form_response, or form_response not an object: read as a website form.
    for (const char* body :
         {R"({"event_type":"form_response_partial","form_response":{"token":"t"}})",
          R"({"event_type":"form_response","form_response":"t"})",
          R"({"event_type":"form_response"})"}) {
        const FakeResult r = parse(kJson, body);
        BOOST_TEST(static_cast<int>(r.status) == static_cast<int>(Status::kInvalid), body);
        BOOST_TEST(r.has_error("message", "required"), body << "\n" << r.describe());
    }
    const FakeResult website =
        parse(kJson, R"({"event_type":"x","email":"a@b.co","message":"hi"})");
    BOOST_TEST_REQUIRE(website.messages.size() == 1u, website.describe());
    BOOST_TEST(website.messages[0].provider == "website");
}

BOOST_AUTO_TEST_CASE(typeform_first_occurrence_of_a_member_wins) {
    const std::string body = R"({"event_type":"form_response","event_type":"other",)"
                             R"("form_response":{"token":"first","answers":[]},)"
                             R"("form_response":{"token":"second"}})";
    const FakeResult r = parse(kJson, body);
    BOOST_TEST_REQUIRE(r.messages.size() == 1u, r.describe());
    BOOST_TEST(r.messages[0].external_id == "first");
}

BOOST_AUTO_TEST_CASE(typeform_valid_signature_is_accepted) {
    const std::string body = fixture("typeform_example.json");
    const FakeResult r =
        signed_form().verify(typeform_request(body, typeform_signature(kSecret, body)));
    BOOST_TEST(static_cast<int>(r.status) == static_cast<int>(Status::kOk), r.describe());
    BOOST_TEST(r.errors.empty());
    // Header names are case-insensitive.
    FakeRequest lower = typeform_request(body);
    lower.headers.emplace_back("typeform-signature", typeform_signature(kSecret, body));
    BOOST_TEST(static_cast<int>(signed_form().verify(lower).status) ==
               static_cast<int>(Status::kOk));
}

BOOST_AUTO_TEST_CASE(typeform_bad_signatures_are_unauthorized) {
    const std::string body = fixture("typeform_example.json");
    std::string tampered = body;
    tampered.replace(tampered.find("laura@example.com"), 5, "maria");
    struct Case {
        std::string body;
        std::string signature;
        std::string code;
    };
    const Case cases[] = {
        {tampered, typeform_signature(kSecret, body), "signature_mismatch"},
        {body, typeform_signature("wrong secret", body), "signature_mismatch"},
        {body, "", "missing_signature"},
        {body, "sha1=" + typeform_signature(kSecret, body).substr(7), "invalid_format"},
        {body, "sha256=", "signature_mismatch"},
    };
    for (const Case& c : cases) {
        const FakeResult r = signed_form().verify(typeform_request(c.body, c.signature));
        BOOST_TEST(static_cast<int>(r.status) == static_cast<int>(Status::kUnauthorized), c.code);
        BOOST_TEST(r.has_error("Typeform-Signature", c.code), c.code << "\n" << r.describe());
        BOOST_TEST(r.violations.empty());
    }
}

BOOST_AUTO_TEST_CASE(typeform_without_secret_is_accepted_unsigned) {
    FakeInstance form = make_form({{"default_region", "FR"}});
    const FakeResult verify = form.verify(typeform_request(fixture("typeform_example.json")));
    BOOST_TEST(static_cast<int>(verify.status) == static_cast<int>(Status::kOk));
    // The start-up log says so once, without any secret in it.
    const auto& logs = form.creation().logs;
    BOOST_TEST_REQUIRE(logs.size() == 1u);
    BOOST_TEST(logs[0].level == MEMOLIB_LOG_WARN);
    BOOST_TEST(logs[0].message.find("typeform_secret") != std::string::npos, logs[0].message);
    BOOST_TEST(logs[0].message.find("unsigned") != std::string::npos, logs[0].message);
}

BOOST_AUTO_TEST_CASE(typeform_secret_configured_logs_nothing_and_website_stays_unsigned) {
    FakeInstance form = make_form({{"default_region", "FR"}, {"typeform_secret", kSecret}});
    BOOST_TEST(form.creation().logs.empty());
    FakeRequest website = typeform_request(fixture("contact.json"));
    BOOST_TEST(static_cast<int>(form.verify(website).status) == static_cast<int>(Status::kOk));
    website.content_type = kUrlencoded;
    website.body = fixture("contact.urlencoded");
    BOOST_TEST(static_cast<int>(form.verify(website).status) == static_cast<int>(Status::kOk));
    // Malformed JSON is not Typeform's: parse refuses it as a website form.
    BOOST_TEST(static_cast<int>(form.verify(typeform_request("{")).status) ==
               static_cast<int>(Status::kOk));
}

BOOST_AUTO_TEST_CASE(typeform_signed_parse_matches_unsigned_parse) {
    const std::string body = fixture("typeform_contact.json");
    const FakeResult r =
        signed_form().parse(typeform_request(body, typeform_signature(kSecret, body)));
    BOOST_TEST_REQUIRE(r.messages.size() == 1u, r.describe());
    BOOST_TEST(r.messages[0].external_id == "9f1c2b7e4d8a6053b2e1f0c9d8a7b6e5");
}

BOOST_AUTO_TEST_CASE(typeform_deep_values_do_not_crash) {
    const std::string deep = std::string(100000, '[') + std::string(100000, ']');
    const std::string body = R"({"event_type":"form_response","form_response":{"token":"t",)"
                             R"("hidden":{"x":)" +
                             deep + R"(},"variables":)" + deep + R"(,"answers":[{"type":"x","x":)" +
                             deep + R"(,"field":{"id":"a"}}]}})";
    const FakeResult r = parse(kJson, body);
    BOOST_TEST(static_cast<int>(r.status) == static_cast<int>(Status::kOk), r.describe());
}
