#define BOOST_TEST_MODULE form_adapter
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <boost/test/unit_test.hpp>

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
    const std::string path =
        std::string(MEMOLIB_SOURCE_DIR) + "/plugins/form/tests/fixtures/" + name;
    std::ifstream in(path, std::ios::binary);
    BOOST_REQUIRE_MESSAGE(in, "cannot open " << path);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
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

}  // namespace

BOOST_AUTO_TEST_CASE(describes_itself) {
    const memolib_plugin_descriptor_t& d = host().descriptor();
    BOOST_TEST(std::string(d.name) == "form");
    BOOST_TEST(std::string(d.version) == "1.0.0");
    BOOST_TEST(std::string(d.status) == "stable");
    BOOST_TEST(std::string(d.providers[0]) == "website");
    BOOST_TEST(d.providers[1] == nullptr);
    BOOST_TEST(std::string(d.content_types[0]) == "application/json");
    BOOST_TEST(std::string(d.content_types[1]) == "application/x-www-form-urlencoded");
    BOOST_TEST(std::string(d.content_types[2]) == "multipart/form-data");
    BOOST_TEST(d.content_types[3] == nullptr);
    BOOST_TEST(d.default_max_body_bytes == 5u * 1024 * 1024);
    BOOST_TEST(d.default_rate_requests == 50u);
    BOOST_TEST(d.default_rate_window_ms == 3600000u);
    BOOST_TEST(std::string(d.config_schema_yaml).find("default_region:") != std::string::npos);
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

    const std::string big_message(1024 * 1024, 'x');
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
                                  fixture("contact_with_file.multipart")};
    const char* types[] = {kJson, kUrlencoded, kMultipart};
    std::vector<int> failures(4, 0);
    std::vector<std::thread> threads;
    for (std::size_t t = 0; t < failures.size(); ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 200; ++i) {
                FakeRequest request;
                request.content_type = types[(t + i) % 3];
                request.body = bodies[(t + i) % 3];
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
                                  fixture("contact.multipart").substr(0, 100)};
    for (const std::string& body : inputs) {
        for (const char* type : {kJson, kUrlencoded, kMultipart, "multipart/form-data; boundary=",
                                 "multipart/form-data; boundary=\"a\r\nX-Evil: 1\""}) {
            const FakeResult r = parse(type, body);
            BOOST_TEST((static_cast<int>(r.status) == static_cast<int>(Status::kOk) ||
                        static_cast<int>(r.status) == static_cast<int>(Status::kInvalid)),
                       type << " / " << r.describe());
        }
    }
}
