// End-to-end tests of how the form and email channels read the bodies real clients send:
// curl -F and browser multiparts, declared charsets, truncated uploads, nodemailer's encoded
// words, and bodies built to make the parser allocate per part. The real gateway binary, the
// real plugins, SQLite; checked from the outside (answers, stored rows, the process's memory).
#define BOOST_TEST_MODULE e2e_body_parsing
#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <future>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "support/database.hpp"
#include "support/e2e_fixture.hpp"
#include "support/http_client.hpp"
#include "support/json.hpp"

using namespace memolib::test;
using Clock = std::chrono::steady_clock;

namespace {

constexpr const char* kUrlencoded = "application/x-www-form-urlencoded";

std::string email_fixture(const std::string& name) {
    const std::string text =
        read_file(std::string(MEMOLIB_SOURCE_DIR) + "/plugins/email/tests/fixtures/" + name);
    BOOST_REQUIRE_MESSAGE(!text.empty(), "cannot read the fixture " << name);
    return text;
}

// A multipart/form-data body as curl -F writes it: CRLF line ends, the closing delimiter
// followed by CRLF. Each field is {name, extra part headers, content}.
struct Part {
    std::string name;
    std::string headers;
    std::string content;
};
constexpr const char* kBoundary = "------------------------d74496d66958873e";
std::string curl_multipart(const std::vector<Part>& parts) {
    std::string body;
    for (const Part& part : parts) {
        body += std::string("--") + kBoundary + "\r\n";
        body += "Content-Disposition: form-data; name=\"" + part.name + "\"\r\n";
        body += part.headers;
        body += "\r\n" + part.content + "\r\n";
    }
    return body + "--" + kBoundary + "--\r\n";
}
std::string curl_content_type() {
    return std::string("multipart/form-data; boundary=") + kBoundary;
}

struct BodyFixture : GatewayFixture {
    BodyFixture() {
        config.channels = {GatewayConfig::form_channel(),
                           {"email", {{"plugin", "email"}, {"max_body", "10MiB"}}}};
        start();
    }

    long long rows() const { return database()->scalar("SELECT COUNT(*) FROM messages"); }

    Row only_row() const {
        const auto found = database()->query(
            "SELECT provider, sender, sender_name, subject, text, attachments FROM messages");
        BOOST_REQUIRE_EQUAL(found.size(), 1U);
        return found.front();
    }

    HttpResponse post(const std::string& channel, const std::string& content_type,
                      const std::string& body) const {
        return http_post(port, "/webhooks/" + channel, content_type, body);
    }

    static void expect_stored(const HttpResponse& response) {
        BOOST_TEST_INFO("answer: " << response.body.substr(0, 500));
        BOOST_REQUIRE_EQUAL(response.status, 200);
    }

    // A kB figure of the gateway's /proc/<pid>/status ("VmRSS", "VmHWM").
    long long status_kib(const std::string& key) const {
        std::ifstream in("/proc/" + std::to_string(gateway->pid()) + "/status");
        std::string line;
        while (std::getline(in, line)) {
            if (line.rfind(key + ":", 0) == 0) return std::stoll(line.substr(key.size() + 1));
        }
        BOOST_FAIL("no " << key << " in /proc/<pid>/status");
        return 0;
    }
};

std::string column(const Row& row, const char* name) { return row.at(name).value_or(""); }

// The code of the only detail of an error answer.
std::string only_detail_code(const rapidjson::Document& json) {
    BOOST_REQUIRE(json.HasMember("details") && json["details"].IsArray());
    BOOST_REQUIRE_EQUAL(json["details"].Size(), 1U);
    return string_member(json["details"][0], "code");
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(body_parsing, BodyFixture)

BOOST_AUTO_TEST_CASE(curl_multipart_field_keeps_no_delimiter_crlf) {
    expect_stored(
        post("form", curl_content_type(),
             curl_multipart({{"email", "", "jeanne@example.org"}, {"message", "", "Bonjour"}})));
    BOOST_TEST(column(only_row(), "text") == "Bonjour");
}

BOOST_AUTO_TEST_CASE(sendgrid_text_field_keeps_no_delimiter_crlf) {
    expect_stored(
        post("email", curl_content_type(),
             curl_multipart(
                 {{"from", "", "Jeanne <jeanne@example.org>"},
                  {"to", "", "contact@example.fr"},
                  {"subject", "", "Bonjour"},
                  {"text", "", "Bonjour"},
                  {"envelope", "", R"({"from":"jeanne@example.org","to":["contact@example.fr"]})"},
                  {"charsets", "", R"({"text":"UTF-8"})"}})));
    BOOST_TEST(column(only_row(), "text") == "Bonjour");
}

BOOST_AUTO_TEST_CASE(single_part_email_text_ends_like_a_multipart_one) {
    // The same words as a single-part message and as one text part of a multipart: the line
    // end that closes a single-part body is no more part of the text than a delimiter's CRLF.
    const std::string head =
        "From: Jeanne <jeanne@example.org>\r\nTo: contact@example.fr\r\nSubject: Test\r\n";
    expect_stored(post("email", "message/rfc822",
                       head + "Message-ID: <single@example.org>\r\n"
                              "Content-Type: text/plain; charset=utf-8\r\n\r\nBonjour\r\n\r\n"));
    expect_stored(post("email", "message/rfc822",
                       head + "Message-ID: <multi@example.org>\r\nMIME-Version: 1.0\r\n"
                              "Content-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\n"
                              "Content-Type: text/plain; charset=utf-8\r\n\r\nBonjour\r\n"
                              "--b--\r\n"));
    const auto texts = database()->query("SELECT text FROM messages ORDER BY id");
    BOOST_REQUIRE_EQUAL(texts.size(), 2U);
    BOOST_TEST(column(texts[0], "text") == "Bonjour");
    BOOST_TEST(column(texts[1], "text") == "Bonjour");
}

BOOST_AUTO_TEST_CASE(truncated_multipart_is_400_and_not_stored) {
    const std::string whole =
        curl_multipart({{"email", "", "jeanne@example.org"},
                        {"message", "", "Bonjour, je voudrais un rendez-vous."}});
    const std::string closing = std::string("--") + kBoundary + "--\r\n";
    // Cut before the closing delimiter, then in the middle of the last part.
    for (const std::size_t cut :
         {whole.size() - closing.size(), whole.size() - closing.size() - 20}) {
        BOOST_TEST_CONTEXT("cut at " << cut << " of " << whole.size()) {
            for (const char* channel : {"form", "email"}) {
                BOOST_TEST_CONTEXT(channel) {
                    const auto json =
                        check_error(post(channel, curl_content_type(), whole.substr(0, cut)), 400,
                                    "invalid_payload");
                    BOOST_TEST(only_detail_code(json) == "truncated_multipart");
                }
            }
        }
    }
    BOOST_TEST(rows() == 0);
}

BOOST_AUTO_TEST_CASE(latin1_urlencoded_form_is_stored_as_utf8) {
    expect_stored(post("form", std::string(kUrlencoded) + "; charset=ISO-8859-1",
                       "name=Ren%E9e+L%E9ger&email=renee%40example.org&message=Caf%E9+cr%E8me"));
    const Row row = only_row();
    BOOST_TEST(column(row, "sender_name") ==
               "Ren\xc3\xa9"
               "e L\xc3\xa9ger");
    BOOST_TEST(column(row, "text") == "Caf\xc3\xa9 cr\xc3\xa8me");
}

BOOST_AUTO_TEST_CASE(windows_1252_multipart_text_part_is_stored_as_utf8) {
    expect_stored(
        post("form", curl_content_type(),
             curl_multipart({{"email", "", "jeanne@example.org"},
                             {"message", "Content-Type: text/plain; charset=windows-1252\r\n",
                              "Prix : 20 \x80, l\x92unit\xe9"}})));
    BOOST_TEST(column(only_row(), "text") == "Prix : 20 \xe2\x82\xac, l\xe2\x80\x99unit\xc3\xa9");
}

BOOST_AUTO_TEST_CASE(latin1_mailgun_urlencoded_is_stored_as_utf8) {
    expect_stored(post("email", std::string(kUrlencoded) + "; charset=ISO-8859-1",
                       "from=Ren%E9e+%3Crenee%40example.org%3E&recipient=contact%40example.fr"
                       "&subject=Caf%E9&body-plain=Un+caf%E9+cr%E8me"));
    const Row row = only_row();
    BOOST_TEST(column(row, "subject") == "Caf\xc3\xa9");
    BOOST_TEST(column(row, "text") == "Un caf\xc3\xa9 cr\xc3\xa8me");
}

BOOST_AUTO_TEST_CASE(unknown_or_violated_charsets_are_400) {
    auto json = check_error(post("form", std::string(kUrlencoded) + "; charset=x-klingon",
                                 "email=renee%40example.org&message=Caf%E9"),
                            400, "invalid_payload");
    BOOST_TEST(only_detail_code(json) == "unsupported_charset");
    // The code of the error for a form whose message part declares `charset`.
    auto part_refused = [&](const std::string& charset, const std::string& bytes) {
        return only_detail_code(check_error(
            post(
                "form", curl_content_type(),
                curl_multipart(
                    {{"email", "", "jeanne@example.org"},
                     {"message", "Content-Type: text/plain; charset=" + charset + "\r\n", bytes}})),
            400, "invalid_payload"));
    };
    BOOST_TEST(part_refused("x-klingon", "Caf\xe9") == "unsupported_charset");
    // 0x81 has no character in Windows-1252; a lone 0xE9 is no UTF-8.
    BOOST_TEST(part_refused("windows-1252", "Caf\x81") == "invalid_encoding");
    json = check_error(post("email", std::string(kUrlencoded) + "; charset=utf-8",
                            "from=renee%40example.org&body-plain=Caf%E9"),
                       400, "invalid_payload");
    BOOST_TEST(only_detail_code(json) == "invalid_encoding");
    BOOST_TEST(rows() == 0);
}

BOOST_AUTO_TEST_CASE(nodemailer_cyrillic_headers_are_decoded_whole) {
    expect_stored(post("email", "message/rfc822", email_fixture("nodemailer_cyrillic.eml")));
    const Row row = only_row();
    BOOST_TEST(column(row, "subject") ==
               "Запрос по договору аренды квартиры на улице Пушкина, дом 10");
    BOOST_TEST(column(row, "sender_name") == "Пётр Иванов");
    BOOST_TEST(column(row, "text") == "Здравствуйте,\nприлагаю договор.");
    const std::string attachments = column(row, "attachments");
    BOOST_TEST(attachments.find(R"("name":"Договор аренды квартиры.pdf")") != std::string::npos,
               attachments);
    BOOST_TEST(attachments.find(R"("name":"Счёт-фактура №42.pdf")") != std::string::npos,
               attachments);
}

// 100,000 tiny parts (or fields) per body, four bodies at once on the gateway's two I/O
// threads: each is refused quickly, the process's memory barely moves, and /health stays fast.
BOOST_AUTO_TEST_CASE(bodies_of_100000_parts_are_refused_without_memory_or_stall) {
    std::string form_parts;
    std::string email_parts;
    std::string fields;
    for (int i = 0; i < 100000; ++i) {
        form_parts += "--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n";
        fields += "a=1&";
    }
    form_parts += "--b--\r\n";
    email_parts = form_parts;
    std::string message =
        "From: a@example.org\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n";
    for (int i = 0; i < 100000; ++i) message += "--b\r\n\r\nx\r\n";
    message += "--b--\r\n";
    email_parts.insert(0, "--b\r\nContent-Disposition: form-data; name=\"envelope\"\r\n\r\n{}\r\n");
    BOOST_REQUIRE_LE(form_parts.size(), std::size_t{5} * 1024 * 1024);
    const std::string multipart = "multipart/form-data; boundary=b";

    BOOST_REQUIRE_EQUAL(http_get(port, "/health").status, 200);
    const long long rss_before = status_kib("VmRSS");

    std::atomic<bool> done{false};
    std::atomic<long long> worst_health_ms{0};
    std::atomic<int> health_failures{0};
    std::thread health([&] {
        const auto until = Clock::now() + std::chrono::seconds(60);
        for (int i = 0; i < 2000 && !done && Clock::now() < until; ++i) {
            const auto start = Clock::now();
            const int status = http_get(port, "/health").status;
            const long long ms =
                std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
            if (status != 200) ++health_failures;
            worst_health_ms = std::max(worst_health_ms.load(), ms);
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
    });
    struct Post {
        const char* channel;
        std::string content_type;
        const std::string* body;
    };
    const std::vector<Post> posts = {{"form", multipart, &form_parts},
                                     {"form", kUrlencoded, &fields},
                                     {"email", multipart, &email_parts},
                                     {"email", "message/rfc822", &message}};
    std::vector<std::future<std::pair<HttpResponse, long long>>> answers;
    for (const Post& p : posts) {
        answers.push_back(std::async(std::launch::async, [&, p] {
            const auto start = Clock::now();
            HttpResponse response = post(p.channel, p.content_type, *p.body);
            return std::make_pair(
                std::move(response),
                static_cast<long long>(
                    std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start)
                        .count()));
        }));
    }
    for (std::size_t i = 0; i < answers.size(); ++i) {
        auto [response, ms] = answers[i].get();
        BOOST_TEST_CONTEXT(posts[i].channel << " " << posts[i].content_type) {
            const auto json = check_error(response, 400, "invalid_payload");
            BOOST_TEST(only_detail_code(json) == "too_many_parts");
            BOOST_TEST(ms < 2000, "answered in " << ms << " ms");
        }
    }
    done = true;
    health.join();
    const long long growth_kib = status_kib("VmHWM") - rss_before;
    BOOST_TEST_MESSAGE("peak RSS growth " << growth_kib << " KiB, slowest /health "
                                          << worst_health_ms << " ms");
    BOOST_TEST(growth_kib < 64 * 1024, "the gateway's peak RSS grew by " << growth_kib << " KiB");
    BOOST_TEST(worst_health_ms < 200, "slowest /health: " << worst_health_ms << " ms");
    BOOST_TEST(health_failures == 0);
    BOOST_TEST(rows() == 0);
}

BOOST_AUTO_TEST_SUITE_END()
