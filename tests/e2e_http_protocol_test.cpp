// HTTP/1.1 framing and the fields every answer carries, through the real binary on raw sockets:
// a Transfer-Encoding that does not end in chunked is a 400 that closes the connection and
// leaves what followed it unanswered and unstored (RFC 9112 §6.3); transfer and content codings
// the gateway does not decode are 415; a missing or repeated Host and a repeated Authorization
// are 400; an absolute-form target is routed on its path; Vary, Allow and nosniff. On SQLite.
#define BOOST_TEST_MODULE e2e_http_protocol
#include <chrono>
#include <sstream>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "support/e2e_fixture.hpp"
#include "support/http_client.hpp"
#include "support/json.hpp"
#include "support/load.hpp"

using namespace memolib::test;
using std::chrono::milliseconds;

namespace {

constexpr milliseconds kTimeout{5000};
constexpr const char* kVerifyToken = "meta-verify-token-for-tests";

long long count_messages(const GatewayFixture& f) {
    return f.database()->scalar("SELECT COUNT(*) FROM messages");
}

/// A complete, valid form post: the request a smuggler hides behind the first one.
std::string smuggled_post(const std::string& tag) {
    const std::string body = tagged_form_json(tag);
    return "POST /webhooks/form HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\n"
           "Content-Length: " +
           std::to_string(body.size()) + "\r\n\r\n" + body;
}

/// What the server sent back on one connection: its first answer, and every byte after it up
/// to its close (`closed` false when it kept the connection open past the timeout).
struct RawExchange {
    HttpResponse first;
    std::string after;
    bool closed = true;
};

RawExchange send_raw(std::uint16_t port, const std::string& bytes) {
    HttpConnection connection(port, kTimeout);
    connection.send_all(bytes);
    RawExchange out;
    out.first = connection.read_response();
    try {
        out.after = connection.read_until_close();
    } catch (const HttpError&) {
        out.closed = false;
    }
    return out;
}

/// The answer to a request that cannot be framed: `status`, said to close, closed, and
/// nothing answered after it.
void check_refused_and_closed(const RawExchange& answer, int status, const std::string& error) {
    check_error(answer.first, status, error);
    BOOST_TEST(answer.first.header("Connection").value_or("") == "close");
    BOOST_TEST(answer.closed, "the server kept the connection open");
    BOOST_TEST(answer.after.empty(), "a second answer followed: " << answer.after.substr(0, 200));
}

struct ProtocolFixture : GatewayFixture {
    ProtocolFixture() { start(); }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(framing, ProtocolFixture)

BOOST_AUTO_TEST_CASE(transfer_encoding_not_ending_in_chunked_is_400_and_closes) {
    const std::string head =
        "POST /webhooks/form HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\n";
    const std::vector<std::string> framings = {
        "Transfer-Encoding: chunked, identity\r\n",
        "Transfer-Encoding: identity\r\n",
        "Transfer-Encoding: x-unknown\r\nContent-Length: 0\r\n",
        "Transfer-Encoding: identity\r\nContent-Length: 0\r\n",
        "Transfer-Encoding: chunked, chunked\r\n",
    };
    int n = 0;
    for (const std::string& framing : framings) {
        BOOST_TEST_CONTEXT(framing) {
            const std::string request =
                head + framing + "\r\n" + smuggled_post("smuggled-" + std::to_string(n++));
            check_refused_and_closed(send_raw(port, request), 400, "bad_request");
        }
    }
    BOOST_TEST(count_messages(*this) == 0);
}

BOOST_AUTO_TEST_CASE(gzip_then_chunked_is_415_and_closes) {
    const std::string chunk = tagged_form_json("gzip-chunked");
    std::ostringstream size;
    size << std::hex << chunk.size();
    const std::string request =
        "POST /webhooks/form HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: gzip, chunked\r\n\r\n" +
        size.str() + "\r\n" + chunk + "\r\n0\r\n\r\n" + smuggled_post("after-gzip-chunked");
    check_refused_and_closed(send_raw(port, request), 415, "unsupported_encoding");
    BOOST_TEST(count_messages(*this) == 0);
}

BOOST_AUTO_TEST_CASE(a_content_encoding_the_gateway_does_not_decode_is_415) {
    const HttpResponse gzip =
        http_post(port, "/webhooks/form", "application/json", tagged_form_json("content-gzip"),
                  {{"Content-Encoding", "gzip"}});
    check_error(gzip, 415, "unsupported_encoding");
    BOOST_TEST(gzip.header("Accept-Encoding").value_or("") == "identity");
    BOOST_TEST(count_messages(*this) == 0);
    // identity is no coding at all.
    const HttpResponse identity =
        http_post(port, "/webhooks/form", "application/json", tagged_form_json("content-identity"),
                  {{"Content-Encoding", "identity"}});
    BOOST_TEST(identity.status == 200);
    BOOST_TEST(count_messages(*this) == 1);
}

BOOST_AUTO_TEST_CASE(chunked_alone_is_still_read) {
    const std::string chunk = tagged_form_json("plain-chunked");
    std::ostringstream size;
    size << std::hex << chunk.size();
    const std::string request =
        "POST /webhooks/form HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n" +
        size.str() + "\r\n" + chunk + "\r\n0\r\n\r\n";
    const RawExchange answer = send_raw(port, request);
    BOOST_TEST(answer.first.status == 200);
    BOOST_TEST(count_messages(*this) == 1);
}

BOOST_AUTO_TEST_CASE(host_missing_or_repeated_and_authorization_repeated_are_400) {
    const std::vector<std::string> heads = {
        "GET /health HTTP/1.1\r\n\r\n",
        "GET /health HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
        "GET /health HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer x\r\nAuthorization: Bearer "
        "y\r\n\r\n",
        "POST /webhooks/form HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 0"
        "\r\n\r\n",
    };
    for (const std::string& head : heads) {
        BOOST_TEST_CONTEXT(head) {
            check_refused_and_closed(send_raw(port, head), 400, "bad_request");
        }
    }
    // HTTP/1.0 has no Host requirement.
    const RawExchange old = send_raw(port, "GET /health HTTP/1.0\r\n\r\n");
    BOOST_TEST(old.first.status == 200);
}

BOOST_AUTO_TEST_CASE(an_absolute_form_target_is_routed_on_its_path) {
    const std::string body = tagged_form_json("absolute-form");
    const std::string request = "POST http://127.0.0.1:" + std::to_string(port) +
                                "/webhooks/form?source=test HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                "Content-Type: application/json\r\nConnection: close\r\n"
                                "Content-Length: " +
                                std::to_string(body.size()) + "\r\n\r\n" + body;
    const RawExchange answer = send_raw(port, request);
    BOOST_TEST(answer.first.status == 200, answer.first.body);
    BOOST_TEST(count_messages(*this) == 1);
    const RawExchange health = send_raw(port,
                                        "GET HTTPS://gateway.example/health HTTP/1.1\r\n"
                                        "Host: gateway.example\r\nConnection: close\r\n\r\n");
    BOOST_TEST(health.first.status == 200);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(answer_fields, GatewayFixture)

BOOST_AUTO_TEST_CASE(every_answer_that_may_be_gzipped_says_vary) {
    // The dashboard JSON of one channel (about 600 bytes) is compressed, to less than this.
    config.pipeline_extra = "  compression:\n    min_bytes: 512\n";
    start();
    post_tagged(port, "vary");
    const std::string path = "/api/monitoring/metrics-dashboard";
    const HttpResponse gzipped = http_get(port, path, {{"Accept-Encoding", "gzip"}});
    BOOST_TEST(gzipped.status == 200);
    BOOST_TEST(gzipped.header("Content-Encoding").value_or("") == "gzip");
    BOOST_TEST(gzipped.header("Vary").value_or("") == "Accept-Encoding");
    const HttpResponse plain = http_get(port, path);
    BOOST_TEST(plain.status == 200);
    BOOST_TEST(!plain.header("Content-Encoding"));
    BOOST_TEST(plain.header("Vary").value_or("") == "Accept-Encoding");
}

BOOST_AUTO_TEST_CASE(a_405_on_a_get_route_allows_head) {
    start();
    for (const std::string path :
         {"/health", "/version", "/metrics", "/ready", "/api/monitoring/metrics-dashboard"}) {
        BOOST_TEST_CONTEXT(path) {
            const HttpResponse answer = http_post(port, path, "application/json", "{}");
            check_error(answer, 405, "method_not_allowed");
            BOOST_TEST(answer.header("Allow").value_or("") == "GET, HEAD");
        }
    }
}

BOOST_AUTO_TEST_CASE(a_handshake_echo_is_not_sniffed) {
    config.channels = {{"whatsapp",
                        {{"plugin", "whatsapp"},
                         {"app_secret", yaml_quote("app-secret")},
                         {"verify_token", yaml_quote(kVerifyToken)}}}};
    start();
    const HttpResponse answer =
        http_get(port, std::string("/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=") +
                           kVerifyToken + "&hub.challenge=%3Cscript%3Ealert(1)%3C/script%3E");
    BOOST_TEST(answer.status == 200);
    BOOST_TEST(answer.body == "<script>alert(1)</script>");
    BOOST_TEST(answer.header("X-Content-Type-Options").value_or("") == "nosniff");
}

BOOST_AUTO_TEST_SUITE_END()
