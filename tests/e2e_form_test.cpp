// End-to-end tests of the form channel: the real gateway binary on a free loopback port,
// the real form plugin, a real database, checked from the outside (HTTP answers and the rows
// in the database). CTest runs this executable twice: on SQLite, and with
// `-- --backend=postgresql` on the throwaway PostgreSQL server of the `postgres` fixture.
#define BOOST_TEST_MODULE e2e_form
#include <algorithm>
#include <atomic>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "support/database.hpp"
#include "support/e2e_fixture.hpp"
#include "support/http_client.hpp"
#include "support/json.hpp"

using namespace memolib::test;

namespace {

constexpr std::size_t kKiB = 1024;
constexpr std::size_t kMiB = std::size_t{1024} * 1024;

/// A valid form message, unique through `tag` (so that it is never a duplicate of another).
std::string form_json(const std::string& tag) {
    return R"({"name":"Jeanne Martin","email":"jeanne.martin.)" + tag +
           R"(@example.org","phone":"06 12 34 56 78","subject":"Rendez-vous )" + tag +
           R"(","message":"Bonjour, je voudrais un rendez-vous. Ref )" + tag + R"("})";
}

/// A valid form message of about `size` bytes, nearly all of it the message text.
std::string big_form_json(std::size_t size) {
    const std::string head = R"({"name":"Jeanne Martin","email":"jeanne.martin@example.org",)"
                             R"("subject":"Un long message","message":")";
    const std::string tail = R"("})";
    return head + std::string(size - head.size() - tail.size(), 'a') + tail;
}

HttpResponse post_form(std::uint16_t port, const std::string& body, const Headers& headers = {}) {
    return http_post(port, "/webhooks/form", "application/json", body, headers);
}

bool is_sha256_hex(const std::string& text) {
    static const std::regex kHex("^[0-9a-f]{64}$");
    return std::regex_match(text, kHex);
}

long long count_messages(const GatewayFixture& f) {
    return f.database()->scalar("SELECT COUNT(*) FROM messages");
}

/// Each test case runs its own gateway on its own fresh storage.
struct FormFixture : GatewayFixture {
    FormFixture() { start(); }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(form_channel, FormFixture)

BOOST_AUTO_TEST_CASE(health_answers_200) {
    const auto response = http_get(port, "/health");
    BOOST_TEST(response.status == 200);
}

BOOST_AUTO_TEST_CASE(every_log_line_is_one_json_object) {
    BOOST_TEST(http_get(port, "/health").status == 200);
    BOOST_TEST(post_form(port, form_json(random_hex(8))).status == 200);
    const ExitStatus status = gateway->stop();
    BOOST_TEST(status.clean(), "on SIGTERM, the gateway " << status.describe());
    const auto events = gateway->events();
    BOOST_TEST(!events.empty());
    for (const auto& event : events) {
        BOOST_TEST(event.json, "not a JSON object: " << event.raw);
        if (event.json) {
            BOOST_TEST(!event.get("level").empty(), "no level in: " << event.raw);
            BOOST_TEST(!event.get("event").empty(), "no event in: " << event.raw);
        }
    }
}

BOOST_AUTO_TEST_CASE(form_post_is_stored_and_answered_with_id_and_checksum) {
    const std::string tag = random_hex(12);
    const std::string body = form_json(tag);
    const auto response = post_form(port, body);
    BOOST_TEST_INFO("answer: " << response.body);
    BOOST_REQUIRE_EQUAL(response.status, 200);
    BOOST_TEST(response.header("Content-Type").value_or("").rfind("application/json", 0) == 0);

    const auto json = parse_json(response.body);
    BOOST_REQUIRE(json.IsObject());
    BOOST_TEST(string_member(json, "status") == "stored");
    const std::string request_id = string_member(json, "request_id");
    BOOST_TEST(!request_id.empty());
    BOOST_TEST(response.header("X-Request-Id").value_or("") == request_id);
    BOOST_REQUIRE(json.HasMember("messages"));
    BOOST_REQUIRE(json["messages"].IsArray());
    BOOST_REQUIRE_EQUAL(json["messages"].Size(), 1U);
    const auto& message = json["messages"][0];
    BOOST_REQUIRE(message.HasMember("id"));
    BOOST_REQUIRE(message["id"].IsInt64());
    const long long id = message["id"].GetInt64();
    const std::string checksum = string_member(message, "checksum");
    BOOST_TEST(is_sha256_hex(checksum), "checksum '" << checksum << "' is not 64 hex digits");
    BOOST_TEST(string_member(message, "status") == "stored");

    // The row is really in the database: read it back, bypassing the gateway.
    const auto rows = database()->query(
        "SELECT id, channel, provider, sender, subject, text, dedup_key, request_id, "
        "received_at, length(raw_payload) AS raw_length FROM messages WHERE id = " +
        std::to_string(id));
    BOOST_REQUIRE_EQUAL(rows.size(), 1U);
    const auto& row = rows.front();
    const auto column = [&](const char* name) { return row.at(name).value_or(""); };
    BOOST_TEST(column("channel") == "form");
    BOOST_TEST(!column("provider").empty());
    BOOST_TEST(!column("sender").empty());
    BOOST_TEST(column("subject").find(tag) != std::string::npos, "subject: " << column("subject"));
    BOOST_TEST(column("text").find(tag) != std::string::npos, "text: " << column("text"));
    BOOST_TEST(!column("dedup_key").empty());
    BOOST_TEST(column("request_id") == request_id);
    BOOST_TEST(!column("received_at").empty());
    BOOST_TEST(
        column("raw_length") == std::to_string(body.size()),
        "raw_payload holds " << column("raw_length") << " bytes, the request " << body.size());
    BOOST_TEST(count_messages(*this) == 1);
}

BOOST_AUTO_TEST_CASE(same_form_again_is_a_duplicate_and_stored_once) {
    const std::string body = form_json(random_hex(12));
    const auto first = post_form(port, body);
    BOOST_REQUIRE_MESSAGE(first.status == 200, "first post: " << first.status << " " << first.body);
    const auto second = post_form(port, body);
    check_error(second, 409, "duplicate");
    BOOST_TEST(count_messages(*this) == 1);
    // And a third time, on a fresh connection again: still a duplicate, still one row.
    BOOST_TEST(post_form(port, body).status == 409);
    BOOST_TEST(count_messages(*this) == 1);
}

BOOST_AUTO_TEST_CASE(every_2xx_is_one_stored_row) {
    // Four clients at once, so that concurrent messages share the storage's transactions.
    constexpr std::size_t kClients = 4;
    constexpr std::size_t kPerClient = 8;
    std::vector<std::string> bodies;
    bodies.reserve(kClients * kPerClient);
    for (std::size_t i = 0; i < kClients * kPerClient; ++i) {
        bodies.push_back(form_json(random_hex(12)));
    }
    std::vector<int> statuses(bodies.size(), 0);
    std::vector<std::string> answers(bodies.size());
    std::vector<std::thread> clients;
    clients.reserve(kClients);
    for (std::size_t c = 0; c < kClients; ++c) {
        clients.emplace_back([&, c] {
            for (std::size_t i = c * kPerClient; i < (c + 1) * kPerClient; ++i) {
                try {
                    const auto response = post_form(port, bodies[i]);
                    statuses[i] = response.status;
                    answers[i] = response.body;
                } catch (const std::exception& e) {
                    answers[i] = e.what();
                }
            }
        });
    }
    for (auto& client : clients) {
        client.join();
    }

    long long accepted = 0;
    std::set<long long> ids;
    std::set<std::string> checksums;
    for (std::size_t i = 0; i < bodies.size(); ++i) {
        BOOST_TEST_INFO("message " << i << ": " << answers[i]);
        BOOST_TEST(statuses[i] == 200);
        if (statuses[i] / 100 == 2) {
            ++accepted;
            const auto json = parse_json(answers[i]);
            const auto& message = json["messages"][0];
            ids.insert(message["id"].GetInt64());
            checksums.insert(string_member(message, "checksum"));
        }
    }
    BOOST_TEST(accepted == static_cast<long long>(bodies.size()));
    BOOST_TEST(ids.size() == static_cast<std::size_t>(accepted), "every id is distinct");
    BOOST_TEST(checksums.size() == static_cast<std::size_t>(accepted),
               "every checksum is distinct");
    BOOST_TEST(count_messages(*this) == accepted);
}

// The same form from several clients at the same moment, all in one transaction (the batch
// waits up to 1 s for the eight): exactly one row holds it, the first is answered stored and the
// others duplicate (409), every answer naming that row.
BOOST_AUTO_TEST_CASE(the_same_form_posted_at_once_is_one_row_and_one_id) {
    constexpr std::size_t kClients = 8;
    BOOST_REQUIRE(gateway->stop().clean());
    config.storage_extra = "  batch: { max_messages: 8, max_delay: 1s }\n";
    start();
    const std::string body = form_json(random_hex(12));
    std::vector<int> statuses(kClients, 0);
    std::vector<std::string> answers(kClients);
    std::atomic<bool> go{false};
    std::vector<std::thread> clients;
    clients.reserve(kClients);
    for (std::size_t c = 0; c < kClients; ++c) {
        clients.emplace_back([&, c] {
            while (!go.load()) std::this_thread::yield();
            try {
                const auto response = post_form(port, body);
                statuses[c] = response.status;
                answers[c] = response.body;
            } catch (const std::exception& e) {
                answers[c] = e.what();
            }
        });
    }
    go = true;
    for (auto& client : clients) client.join();

    std::size_t stored = 0;
    std::set<long long> ids;
    for (std::size_t c = 0; c < kClients; ++c) {
        BOOST_TEST_INFO("client " << c << ": " << statuses[c] << " " << answers[c]);
        if (statuses[c] != 200 && statuses[c] != 409) continue;  // counted below
        const auto json = parse_json(answers[c]);
        const auto& message = json["messages"][0];
        ids.insert(message["id"].GetInt64());
        BOOST_TEST(!json.HasMember("replayed"), "no answer was there to replay yet");
        if (statuses[c] == 200) {
            ++stored;
            BOOST_TEST(string_member(message, "status") == "stored");
        } else {
            BOOST_TEST(string_member(message, "status") == "duplicate");
        }
    }
    BOOST_TEST(stored == 1u);
    BOOST_TEST(std::count(statuses.begin(), statuses.end(), 409) == kClients - 1);
    BOOST_TEST(ids.size() == 1u, "every answer names the one row");
    BOOST_TEST(count_messages(*this) == 1);
}

BOOST_AUTO_TEST_CASE(requests_sent_back_to_back_are_each_answered_in_order) {
    // A client may write its next requests before reading an answer (HTTP/1.1 pipelining),
    // or split one request over several writes: each request is answered once, in order.
    auto form_request = [](const std::string& body, bool chunked) {
        HttpRequest request;
        request.method = "POST";
        request.target = "/webhooks/form";
        request.headers = {{"Content-Type", "application/json"}, {"Connection", "keep-alive"}};
        if (!chunked) {
            request.headers.emplace_back("Content-Length", std::to_string(body.size()));
            return serialize_head(request) + body;
        }
        request.headers.emplace_back("Transfer-Encoding", "chunked");
        const std::string half = body.substr(0, body.size() / 2);
        const std::string rest = body.substr(half.size());
        auto hex = [](std::size_t n) {
            std::ostringstream out;
            out << std::hex << n;
            return out.str();
        };
        return serialize_head(request) + hex(half.size()) + "\r\n" + half + "\r\n" +
               hex(rest.size()) + "\r\n" + rest + "\r\n0\r\n\r\n";
    };
    const std::string plain = form_request(form_json(random_hex(8)), false);
    const std::string chunked = form_request(form_json(random_hex(8)), true);
    const std::string health = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

    HttpConnection together(port, std::chrono::seconds(10));
    together.send_all(plain + health + chunked + health);
    const int expected[] = {200, 200, 200, 200};
    std::set<std::string> request_ids;
    for (int status : expected) {
        const HttpResponse response = together.read_response();
        BOOST_TEST(response.status == status);
        request_ids.insert(response.header("X-Request-Id").value_or(""));
    }
    BOOST_TEST(request_ids.size() == 4u, "each answer belongs to its own request");
    BOOST_TEST(count_messages(*this) == 2);

    HttpConnection split(port, std::chrono::seconds(10));
    const std::string next = form_request(form_json(random_hex(8)), true);
    for (std::size_t at = 0; at < next.size(); at += 40) {
        split.send_all(next.substr(at, 40));
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    BOOST_TEST(split.read_response().status == 200);
    BOOST_TEST(count_messages(*this) == 3);
}

BOOST_AUTO_TEST_CASE(a_head_answer_has_no_body_and_a_closing_answer_says_so) {
    // HEAD gets GET's status and Content-Length without the body, so the next answer on the
    // connection starts where the client expects it; the answer after which the gateway
    // closes carries Connection: close.
    HttpConnection connection(port, std::chrono::seconds(10));
    connection.send_all(
        "HEAD /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    const std::string raw = connection.read_until_close();
    const std::size_t second = raw.find("HTTP/1.1 ", 1);
    BOOST_REQUIRE(second != std::string::npos);
    const std::string head = raw.substr(0, second);
    const std::string get = raw.substr(second);
    BOOST_TEST(head.rfind("HTTP/1.1 200 ", 0) == 0u);
    BOOST_TEST(head.find("Content-Length: 15\r\n") != std::string::npos, head);
    BOOST_TEST(head.substr(head.size() - 4) == "\r\n\r\n", "the HEAD answer sent a body");
    BOOST_TEST(head.find("Connection: close") == std::string::npos);
    BOOST_TEST(get.find("Connection: close\r\n") != std::string::npos, get);
    BOOST_TEST(get.substr(get.size() - 15) == R"({"status":"ok"})");
}

BOOST_AUTO_TEST_CASE(six_mib_form_gets_413) {
    // The whole 6 MiB body, sent as a browser would: the client keeps reading while it sends,
    // and must get the 413 (not a reset) whether or not the server drained the body.
    const std::string body = big_form_json(6 * kMiB);
    HttpRequest request;
    request.method = "POST";
    request.target = "/webhooks/form";
    request.headers = {{"Content-Type", "application/json"}};
    request.body = body;
    HttpConnection connection(port, std::chrono::seconds(30));
    connection.send_all(serialize_head(request));
    const auto sent = connection.send_watching(body);
    BOOST_TEST_MESSAGE("sent " << sent.sent << " of " << body.size()
                               << " body bytes before the answer");
    check_error(connection.read_response(), 413, "payload_too_large");
    BOOST_TEST(count_messages(*this) == 0);
    // The gateway still serves.
    BOOST_TEST(post_form(port, form_json(random_hex(8))).status == 200);
}

BOOST_AUTO_TEST_CASE(six_mib_form_sent_without_reading_still_gets_413) {
    // A client that writes its whole body before it reads anything: the gateway must not
    // reset the connection under it (DESIGN.md's lingering close), or the 413 is lost.
    const std::string body = big_form_json(6 * kMiB);
    HttpRequest request;
    request.method = "POST";
    request.target = "/webhooks/form";
    request.headers = {{"Content-Type", "application/json"}};
    request.body = body;
    HttpConnection connection(port, std::chrono::seconds(30));
    try {
        connection.send_all(serialize_head(request) + body);
    } catch (const HttpError& e) {
        BOOST_TEST_MESSAGE("sending failed: " << e.what());
    }
    check_error(connection.read_response(), 413, "payload_too_large");
}

BOOST_AUTO_TEST_CASE(oversized_form_is_refused_before_its_body_is_sent) {
    // Headers and 64 KiB of a 6 MiB body: a server that waited for the body would never answer.
    const std::size_t length = 6 * kMiB;
    HttpRequest request;
    request.method = "POST";
    request.target = "/webhooks/form";
    request.headers = {{"Content-Type", "application/json"},
                       {"Content-Length", std::to_string(length)}};
    HttpConnection connection(port, std::chrono::seconds(20));
    connection.send_all(serialize_head(request) + R"({"message":")" + std::string(64 * kKiB, 'a'));
    check_error(connection.read_response(), 413, "payload_too_large");
    BOOST_TEST(count_messages(*this) == 0);

    // Lingering close: the gateway discards what the client still sends, then closes in
    // order; an immediate close() with unread data would reset the connection instead.
    bool sent = true;
    try {
        connection.send_all(std::string(kMiB, 'a'));
    } catch (const HttpError& e) {
        sent = false;
        BOOST_TEST_MESSAGE("sending the rest failed: " << e.what());
    }
    connection.shutdown_send();
    BOOST_TEST(connection.wait_for_close(), "the gateway did not close the connection");
    BOOST_TEST((sent && !connection.was_reset()),
               "the gateway reset the connection after its 413 instead of draining the body");
}

BOOST_AUTO_TEST_CASE(oversized_form_with_expect_100_continue_gets_413_without_100) {
    HttpRequest request;
    request.method = "POST";
    request.target = "/webhooks/form";
    request.headers = {{"Content-Type", "application/json"},
                       {"Content-Length", std::to_string(6 * kMiB)},
                       {"Expect", "100-continue"}};
    HttpConnection connection(port, std::chrono::seconds(20));
    connection.send_all(serialize_head(request));
    const auto response = connection.read_response(/*keep_interim=*/true);
    BOOST_TEST(response.status != 100, "the server invited a body it will refuse");
    check_error(response.status == 100 ? connection.read_response() : response, 413,
                "payload_too_large");
}

BOOST_AUTO_TEST_CASE(text_plain_gets_415) {
    const auto response =
        http_post(port, "/webhooks/form", "text/plain", "name=Jeanne message=bonjour");
    check_error(response, 415, "unsupported_media_type");
    BOOST_TEST(count_messages(*this) == 0);
}

BOOST_AUTO_TEST_CASE(malformed_json_gets_400_with_details) {
    const auto response = post_form(port, R"({"name": "Jeanne", "message": "bonjour)");
    const auto json = check_error(response, 400, "invalid_payload");
    BOOST_REQUIRE(json.IsObject() && json.HasMember("details") && json["details"].IsArray());
    BOOST_TEST(json["details"].Size() > 0U, "details says what is wrong");
    for (const auto& detail : json["details"].GetArray()) {
        BOOST_TEST(detail.IsObject());
        for (const char* key : {"field", "code", "message"}) {
            BOOST_TEST((detail.HasMember(key) && detail[key].IsString()),
                       "detail has a string '" << key << "'");
        }
    }
    BOOST_TEST(count_messages(*this) == 0);
}

BOOST_AUTO_TEST_CASE(missing_message_and_bad_email_name_their_fields) {
    const auto response =
        post_form(port, R"({"name":"Jeanne","email":"not-an-address","subject":"x"})");
    const auto json = check_error(response, 400, "invalid_payload");
    std::set<std::string> fields;
    if (json.IsObject() && json.HasMember("details") && json["details"].IsArray()) {
        for (const auto& detail : json["details"].GetArray()) {
            fields.insert(string_member(detail, "field"));
        }
    }
    BOOST_TEST(fields.count("message") == 1U, "a detail names the missing 'message'");
    BOOST_TEST(fields.count("email") == 1U, "a detail names the invalid 'email'");
    BOOST_TEST(count_messages(*this) == 0);
}

BOOST_AUTO_TEST_CASE(x_request_id_is_echoed) {
    const std::string id = "e2e-" + random_hex(16);
    const auto stored = post_form(port, form_json(random_hex(8)), {{"X-Request-Id", id}});
    BOOST_TEST(stored.status == 200);
    BOOST_TEST(stored.header("X-Request-Id").value_or("") == id);
    BOOST_TEST(string_member(parse_json(stored.body), "request_id") == id);

    const std::string error_id = "e2e-" + random_hex(16);
    const auto refused =
        http_post(port, "/webhooks/form", "text/plain", "x", {{"X-Request-Id", error_id}});
    const auto json = check_error(refused, 415, "unsupported_media_type");
    BOOST_TEST(string_member(json, "request_id") == error_id);

    // Without one, the gateway makes one up, and still returns it.
    const auto generated = http_get(port, "/health");
    BOOST_TEST(!generated.header("X-Request-Id").value_or("").empty());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_CASE(migrate_creates_the_schema_and_is_idempotent, GatewayFixture) {
    write_file(config_file(), config.to_yaml());
    for (int run = 1; run <= 2; ++run) {
        const auto result = run_process(
            {gateway_binary().string(), "migrate", "-c", config_file().string()}, dir.path());
        BOOST_TEST_INFO("migrate run " << run << " stderr: " << result.err);
        BOOST_TEST(result.status.clean(), "migrate " << result.status.describe());
    }
    BOOST_TEST(database()->scalar("SELECT COUNT(*) FROM messages") == 0);
}
