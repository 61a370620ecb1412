// What an operator sees while PostgreSQL is down and the spool takes the messages: /ready stays
// 200 and says `degraded` (503 only once the spool cannot take them either), the spool's gauge,
// alert and dashboard figures, and the read API's spooled messages; then the drain, after
// which everything says ready again. PostgreSQL only (CTest passes `-- --backend=postgresql`
// and runs it alone: it stops the server every PostgreSQL test shares).
#define BOOST_TEST_MODULE e2e_spool_operations
#include <chrono>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "memolib/plugins/common/crypto.hpp"
#include "support/e2e_fixture.hpp"
#include "support/http_client.hpp"
#include "support/json.hpp"
#include "support/load.hpp"
#include "support/postgres_outage.hpp"

using namespace memolib::test;
namespace common = memolib::plugins::common;
using Clock = std::chrono::steady_clock;

namespace {

constexpr const char* kToken = "e2e-spool-admin-4b2e";
constexpr std::chrono::seconds kDrainBound{30};

Headers bearer() { return {{"Authorization", std::string("Bearer ") + kToken}}; }

// The value of a metric sample line "name{labels} value" in a /metrics body, or -1.
double metric(const std::string& body, const std::string& series) {
    const std::size_t at = body.find("\n" + series + " ");
    if (at == std::string::npos) return -1;
    return std::stod(body.substr(at + series.size() + 2));
}

// The dashboard JSON's active alert of that name, or nullptr.
const rapidjson::Value* find_alert(const rapidjson::Document& dashboard, const std::string& name) {
    for (const auto& a : dashboard["alerts"].GetArray()) {
        if (string_member(a, "alert") == name) return &a;
    }
    return nullptr;
}

// The form's JSON from fault.TAG@example.org; `message` is stored as the text.
std::string form_json(const std::string& tag, const std::string& message) {
    return R"({"name":"Fault Test","email":"fault.)" + tag +
           R"(@example.org","subject":"Faults","message":")" + message + R"("})";
}

std::size_t count_events(const GatewayProcess& gateway, const std::string& event) {
    std::size_t n = 0;
    for (const LogEvent& e : gateway.events()) n += e.get("event") == event ? 1 : 0;
    return n;
}

struct SpoolFixture : GatewayFixture {
    SpoolFixture() {
        BOOST_REQUIRE_MESSAGE(current_backend() == "postgresql",
                              "run with -- --backend=postgresql");
        config.stages = {"size_limit", "verify", "parse", "enrich", "dedup", "persist"};
        config.pipeline_extra = "  retry: {max_attempts: 1, base_delay: 50ms, max_delay: 100ms}\n";
        // GatewayFixture gives the spool a file in the test's temp dir (config.spool_path).
        config.storage_extra = "  timeout: 2s\n";
        config.extra_yaml = std::string("monitoring:\n  admin_token: \"") + kToken +
                            "\"\n  alerts: {spool_age: 1s}\n";
    }

    rapidjson::Document ready_json() {
        const HttpResponse answer = http_get(port, "/ready");
        BOOST_REQUIRE_MESSAGE(answer.status == 200,
                              "/ready: " << answer.status << " " << answer.body);
        return parse_json(answer.body);
    }

    rapidjson::Document dashboard() {
        return parse_json(http_get(port, "/api/monitoring/metrics-dashboard").body);
    }

    rapidjson::Document messages(const std::string& query = "") {
        const HttpResponse answer = http_get(port, "/api/messages" + query, bearer());
        BOOST_REQUIRE_MESSAGE(answer.status == 200, "/api/messages" << query << ": "
                                                                    << answer.status << " "
                                                                    << answer.body);
        return parse_json(answer.body);
    }

    // Waits (bounded) until /ready says ready again: the spool drained and PostgreSQL taking
    // writes. Returns the last /ready body.
    std::string wait_until_ready() {
        const auto deadline = Clock::now() + kDrainBound;
        std::string body;
        while (Clock::now() < deadline) {
            const HttpResponse answer = http_get(port, "/ready");
            body = answer.body;
            if (answer.status == 200 && string_member(parse_json(body), "status") == "ready")
                return body;
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
        }
        return body;
    }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(spool_operations, SpoolFixture)

BOOST_AUTO_TEST_CASE(while_spooling_ready_is_degraded_and_the_spool_is_seen_then_drained) {
    start();
    // Before the outage: ready, with an empty spool.
    auto before = ready_json();
    BOOST_TEST(string_member(before, "status") == "ready");
    BOOST_REQUIRE(before.HasMember("spool"));
    BOOST_TEST(before["spool"]["depth"].GetInt64() == 0);
    BOOST_TEST(before["spool"]["oldest_age_seconds"].IsNull());
    BOOST_TEST(messages()["spool"]["messages"].GetInt64() == 0);
    BOOST_TEST(metric(http_get(port, "/metrics").body, "memolib_spool_oldest_age_seconds") == 0);
    BOOST_TEST(dashboard()["spool"]["depth"].GetInt64() == 0);

    const std::vector<std::string> tags = {"spool-a-" + random_hex(4), "spool-b-" + random_hex(4),
                                           "spool-c-" + random_hex(4)};
    PostgresOutage outage;
    for (const std::string& tag : tags) {
        const Answer answer = post_tagged(port, tag);
        BOOST_REQUIRE_MESSAGE(
            answer.status == 200 && answer.outcome == "accepted",
            tag << " while PostgreSQL is down: " << answer.status << " " << answer.body);
    }

    // /ready stays 200 for the load balancer, and says why the instance is not quite itself.
    const auto ready = ready_json();
    BOOST_TEST(string_member(ready, "status") == "degraded");
    BOOST_TEST(string_member(ready, "storage") == "unavailable");
    BOOST_TEST(ready["spool"]["depth"].GetInt64() == 3);
    BOOST_TEST(ready["spool"]["oldest_age_seconds"].GetDouble() >= 0);
    BOOST_TEST(ready["spool"]["bytes"].GetUint64() > 0u);
    BOOST_TEST(ready["channels"].HasMember("form"));

    // The spooled messages, from the spool file, marked so; paged like the others.
    auto first = messages("?source=spool&limit=2");
    BOOST_REQUIRE_EQUAL(first["messages"].Size(), 2u);
    BOOST_REQUIRE(first["next_cursor"].IsString());
    auto rest =
        messages(std::string("?source=spool&limit=2&cursor=") + first["next_cursor"].GetString());
    BOOST_REQUIRE_EQUAL(rest["messages"].Size(), 1u);
    BOOST_TEST(rest["next_cursor"].IsNull());
    std::set<std::string> spooled;
    for (const auto* page : {&first, &rest}) {
        for (const auto& m : (*page)["messages"].GetArray()) {
            BOOST_TEST(string_member(m, "source") == "spool");
            BOOST_TEST(string_member(m, "channel") == "form");
            BOOST_TEST(!string_member(m, "dedup_key").empty());
            spooled.insert(tag_of_text(string_member(m, "text")));
        }
    }
    BOOST_TEST(spooled == std::set<std::string>(tags.begin(), tags.end()));
    check_error(http_get(port, "/api/messages?source=elsewhere", bearer()), 400,
                "invalid_parameter");
    // The primary's list needs PostgreSQL.
    check_error(http_get(port, "/api/messages", bearer()), 503, "storage_unavailable");

    // The alert, once the oldest spooled message is older than monitoring.alerts.spool_age.
    const rapidjson::Value* alert = nullptr;
    rapidjson::Document board;
    for (const auto deadline = Clock::now() + std::chrono::seconds(15);
         alert == nullptr && Clock::now() < deadline;) {
        board = dashboard();
        alert = find_alert(board, "spool_not_empty");
        if (alert == nullptr) std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    BOOST_REQUIRE_MESSAGE(alert != nullptr, "no spool_not_empty alert within 15 s");
    BOOST_TEST(!alert->HasMember("channel"));
    BOOST_TEST((*alert)["value"].GetDouble() > 1.0);
    BOOST_TEST((*alert)["threshold"].GetDouble() == 1.0);
    BOOST_TEST(board["thresholds"]["spool_age_seconds"].GetDouble() == 1.0);
    BOOST_REQUIRE(board["spool"].IsObject());
    BOOST_TEST(board["spool"]["depth"].GetInt64() == 3);
    BOOST_TEST(board["spool"]["oldest_age_seconds"].GetDouble() > 1.0);
    BOOST_TEST(board["spool"]["bytes"].GetUint64() == ready["spool"]["bytes"].GetUint64());
    BOOST_TEST(board["spool"]["max_bytes"].GetUint64() == 1073741824u);
    BOOST_TEST(metric(http_get(port, "/metrics").body, "memolib_spool_oldest_age_seconds") > 1.0);
    BOOST_TEST(count_events(*gateway, "storage_unavailable") >= 1u);

    outage.end();
    const auto resumed = Clock::now();
    const std::string after = wait_until_ready();
    BOOST_TEST_MESSAGE(
        "the spool held "
        << ready["spool"]["bytes"].GetUint64() << " bytes for 3 form messages; /ready said ready "
        << std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - resumed).count()
        << " ms after PostgreSQL was started again");
    BOOST_TEST_CONTEXT("/ready after PostgreSQL's return: " << after) {
        const auto json = parse_json(after);
        BOOST_TEST(string_member(json, "status") == "ready");
        BOOST_TEST(string_member(json, "storage") == "ok");
        BOOST_TEST(json["spool"]["depth"].GetInt64() == 0);
    }
    BOOST_TEST(count_events(*gateway, "spool_drained") >= 1u);
    auto stored = messages();
    BOOST_TEST(stored["spool"]["messages"].GetInt64() == 0);
    std::set<std::string> in_postgresql;
    for (const auto& m : stored["messages"].GetArray()) {
        BOOST_TEST(!m.HasMember("source"));
        in_postgresql.insert(tag_of_text(string_member(m, "text")));
    }
    BOOST_TEST(in_postgresql == std::set<std::string>(tags.begin(), tags.end()));
    BOOST_TEST(stored["messages"].Size() == tags.size());
    BOOST_TEST(messages("?source=spool")["messages"].Size() == 0u);
    const auto calm = dashboard();
    BOOST_REQUIRE(calm["spool"].IsObject());
    BOOST_TEST(calm["spool"]["depth"].GetInt64() == 0);
    BOOST_TEST(calm["spool"]["oldest_age_seconds"].IsNull());
    BOOST_TEST(find_alert(calm, "spool_not_empty") == nullptr);
    BOOST_TEST(metric(http_get(port, "/metrics").body, "memolib_spool_oldest_age_seconds") == 0);
}

// A spooled message by the id the spool list gave it, whole (text past the list's cut, raw
// payload), while PostgreSQL is down; 404 once drained, when it is PostgreSQL's under another id.
BOOST_AUTO_TEST_CASE(a_spooled_message_is_read_by_its_spool_id_until_drained) {
    start();
    std::map<std::string, std::string> bodies;
    std::map<std::string, std::string> texts;
    PostgresOutage outage;
    for (int i = 0; i < 3; ++i) {
        const std::string tag = "one-" + std::to_string(i) + "-" + random_hex(4);
        // The first is longer than the list shows (65,536 characters).
        const std::string message = (i == 0 ? std::string(70000, 'l') : "message") + " " + tag;
        bodies[tag] = form_json(tag, message);
        texts[tag] = message;
        const HttpResponse answer =
            http_post(port, "/webhooks/form", "application/json", bodies[tag]);
        BOOST_REQUIRE_MESSAGE(answer.status == 200,
                              tag << " while PostgreSQL is down: " << answer.status << " "
                                  << answer.body.substr(0, 300));
    }

    // Every message the list pages through is fetched by its id there.
    std::map<std::string, rapidjson::Document> by_dedup_key;
    std::vector<std::string> spool_ids;
    std::string cursor;
    for (int pages = 0; pages < 5; ++pages) {
        auto page = messages("?source=spool&limit=2" + (cursor.empty() ? "" : "&cursor=" + cursor));
        for (const auto& listed : page["messages"].GetArray()) {
            const std::string id = std::to_string(listed["id"].GetInt64());
            // From the sender: the list cuts the longest text before its tag.
            const std::string sender = string_member(listed, "sender");
            const std::string tag = sender.substr(6, sender.find('@') - 6);
            const HttpResponse answer =
                http_get(port, "/api/messages/" + id + "?source=spool", bearer());
            BOOST_TEST_CONTEXT("spool id " << id << ", " << answer.status << " "
                                           << answer.body.substr(0, 300)) {
                BOOST_REQUIRE_EQUAL(answer.status, 200);
                rapidjson::Document m = parse_json(answer.body);
                BOOST_TEST(m["id"].GetInt64() == listed["id"].GetInt64());
                BOOST_TEST(string_member(m, "source") == "spool");
                BOOST_TEST(string_member(m, "dedup_key") == string_member(listed, "dedup_key"));
                const std::string text = string_member(m, "text");
                BOOST_TEST((text == texts.at(tag)), "text of " << text.size() << " bytes, "
                                                               << texts.at(tag).size()
                                                               << " posted");
                BOOST_TEST(!m.HasMember("text_truncated"));
                BOOST_REQUIRE(m["raw"].IsObject());
                BOOST_TEST((string_member(m["raw"], "payload") == bodies.at(tag)),
                           "the raw payload is the body posted");
                BOOST_TEST(string_member(m["raw"], "encoding") == "utf8");
                BOOST_TEST(string_member(m["raw"], "content_type") == "application/json");
                by_dedup_key[string_member(m, "dedup_key")] = std::move(m);
            }
            spool_ids.push_back(id);
        }
        if (page["next_cursor"].IsNull()) break;
        cursor = page["next_cursor"].GetString();
    }
    BOOST_REQUIRE_EQUAL(spool_ids.size(), 3u);

    const HttpResponse absent = http_get(port, "/api/messages/999999?source=spool", bearer());
    const auto absent_json = check_error(absent, 404, "not_found");
    BOOST_TEST(string_member(absent_json, "message")
                   .find("not in the spool: drained into storage, or never spooled") !=
               std::string::npos);
    check_error(http_get(port, "/api/messages/x1?source=spool", bearer()), 404, "not_found");
    const auto unknown =
        check_error(http_get(port, "/api/messages/" + spool_ids[0] + "?source=elsewhere", bearer()),
                    400, "invalid_parameter");
    BOOST_TEST(string_member(unknown["details"][0], "field") == "source");
    check_error(http_get(port, "/api/messages/" + spool_ids[0] + "?source=spool"), 401,
                "unauthorized");
    // The storage's message by id needs PostgreSQL.
    check_error(http_get(port, "/api/messages/" + spool_ids[0], bearer()), 503,
                "storage_unavailable");

    outage.end();
    const std::string after = wait_until_ready();
    BOOST_REQUIRE_MESSAGE(string_member(parse_json(after), "status") == "ready", after);
    for (const std::string& id : spool_ids) {
        const auto drained = check_error(
            http_get(port, "/api/messages/" + id + "?source=spool", bearer()), 404, "not_found");
        BOOST_TEST(string_member(drained, "message").find("drained into storage") !=
                   std::string::npos);
    }
    // What the spool showed is what PostgreSQL shows under its own id.
    auto stored = messages();
    BOOST_REQUIRE_EQUAL(stored["messages"].Size(), 3u);
    for (const auto& listed : stored["messages"].GetArray()) {
        const std::string key = string_member(listed, "dedup_key");
        BOOST_TEST_CONTEXT("dedup_key " << key) {
            BOOST_REQUIRE(by_dedup_key.count(key) == 1u);
            const rapidjson::Document& spooled = by_dedup_key[key];
            const HttpResponse answer = http_get(
                port, "/api/messages/" + std::to_string(listed["id"].GetInt64()), bearer());
            BOOST_REQUIRE_EQUAL(answer.status, 200);
            const auto m = parse_json(answer.body);
            BOOST_TEST(!m.HasMember("source"));
            for (const auto& field : m.GetObject()) {
                const std::string name = field.name.GetString();
                if (name == "id") continue;
                BOOST_TEST_CONTEXT("field " << name) {
                    BOOST_REQUIRE(spooled.HasMember(field.name));
                    BOOST_TEST((spooled[field.name] == field.value));
                }
            }
            BOOST_TEST(spooled.MemberCount() == m.MemberCount() + 1);
        }
    }
}

BOOST_AUTO_TEST_CASE(a_full_spool_makes_ready_503_until_drained) {
    config.spool_max_size = "64KiB";
    start();
    PostgresOutage outage;
    // About 6 KiB a message: the 64 KiB cap is met within a few.
    const std::string padding(6000, 'p');
    std::set<std::string> accepted;
    HttpResponse refused;
    for (int i = 0; i < 40; ++i) {
        const std::string tag = "full-" + std::to_string(i) + "-" + random_hex(4);
        const std::string body = R"({"name":"Fault Test","email":"full.)" + tag +
                                 R"(@example.org","message":")" + padding + " " + tag + R"("})";
        const HttpResponse answer = http_post(port, "/webhooks/form", "application/json", body);
        if (answer.status != 200) {
            refused = answer;
            break;
        }
        BOOST_REQUIRE_MESSAGE(string_member(parse_json(answer.body), "status") == "accepted",
                              answer.body);
        accepted.insert(tag);
    }
    check_error(refused, 503, "spool_full");
    BOOST_TEST(!accepted.empty());

    // Neither PostgreSQL nor the spool takes a message: now the instance is not ready.
    const HttpResponse ready = http_get(port, "/ready");
    check_error(ready, 503, "spool_full");
    BOOST_TEST(ready.header("Retry-After").value_or("") == "5");
    const auto board = dashboard();
    BOOST_REQUIRE(board["spool"].IsObject());
    BOOST_TEST(board["spool"]["depth"].GetInt64() == static_cast<std::int64_t>(accepted.size()));
    BOOST_TEST(board["spool"]["max_bytes"].GetUint64() == 65536u);

    outage.end();
    const std::string after = wait_until_ready();
    BOOST_TEST(string_member(parse_json(after), "status") == "ready", after);
    std::set<std::string> in_postgresql;
    for (const auto& row : database()->query("SELECT text FROM messages"))
        in_postgresql.insert(tag_of_text(row.at("text").value_or("")));
    BOOST_TEST(in_postgresql == accepted);
}

// A gateway started while PostgreSQL is down learns, once the drainer reaches it, what its start
// would have read there: the quarantine entries an earlier run left pending (the gauge and the
// dashboard's alert count them).
BOOST_AUTO_TEST_CASE(started_without_postgresql_it_counts_the_pending_quarantine_once_it_returns) {
    start();
    gateway->stop();
    database()->query(
        "INSERT INTO quarantine (channel, provider, received_at, request_id, reason, details, "
        "content_type, headers, raw_encoding, raw_body, raw_size, state, dedup_key) VALUES "
        "('form', 'website', now(), 'req-left', 'invalid_payload', '[]', 'application/json', "
        "'[]', 'utf8', '{}', 2, 'pending', 'left-by-an-earlier-run')");
    PostgresOutage outage;
    start();
    BOOST_TEST(count_events(*gateway, "storage_unavailable_at_start") == 1u);
    outage.end();
    const std::string ready = wait_until_ready();
    BOOST_TEST(string_member(parse_json(ready), "status") == "ready", ready);
    const std::string scrape = http_get(port, "/metrics").body;
    BOOST_TEST(metric(scrape, R"(memolib_quarantine_pending{channel="form"})") == 1);
}

// An authentic request parse refuses, while PostgreSQL is down: its quarantine entry goes to the
// spool and the provider gets its success (Twilio would never send it again), then it moves
// into PostgreSQL's quarantine table once, though its provider sent it twice meanwhile.
BOOST_AUTO_TEST_CASE(an_authentic_request_parse_refuses_during_an_outage_is_quarantined_once) {
    constexpr const char* kMetaSecret = "e2e-spool-meta-secret";
    config.channels = {
        GatewayConfig::form_channel(),
        {"whatsapp", {{"plugin", "whatsapp"}, {"app_secret", yaml_quote(kMetaSecret)}}}};
    start();
    const std::string body =
        R"({"object":"whatsapp_business_account","entry":"a shape Meta never sent"})";
    const Headers signature = {
        {"X-Hub-Signature-256",
         "sha256=" + common::hex_encode(common::hmac_sha256(kMetaSecret, body))}};
    PostgresOutage outage;
    for (int i = 0; i < 2; ++i) {
        const HttpResponse answer =
            http_post(port, "/webhooks/whatsapp", "application/json", body, signature);
        BOOST_REQUIRE_MESSAGE(answer.status == 200, answer.status << " " << answer.body);
        const auto json = parse_json(answer.body);
        BOOST_TEST(string_member(json, "status") == "quarantined");
        BOOST_TEST(json["quarantine_id"].IsNull(), answer.body);
    }
    BOOST_TEST(metric(http_get(port, "/metrics").body, "memolib_spool_quarantined") == 1);
    const auto degraded = ready_json();
    BOOST_TEST(string_member(degraded, "status") == "degraded");
    BOOST_TEST(degraded["spool"]["quarantined"].GetInt64() == 1);
    BOOST_TEST(dashboard()["spool"]["quarantined"].GetInt64() == 1);

    outage.end();
    const std::string ready = wait_until_ready();
    BOOST_TEST(string_member(parse_json(ready), "status") == "ready", ready);
    BOOST_TEST(database()->scalar("SELECT COUNT(*) FROM quarantine") == 1);
    BOOST_TEST(database()->scalar("SELECT COUNT(*) FROM quarantine WHERE state = 'pending' AND "
                                  "channel = 'whatsapp' AND reason = 'invalid_payload'") == 1);
    const std::string scrape = http_get(port, "/metrics").body;
    BOOST_TEST(metric(scrape, "memolib_spool_quarantined") == 0);
    BOOST_TEST(metric(scrape, R"(memolib_quarantine_pending{channel="whatsapp"})") == 1);
    const HttpResponse listed = http_get(port, "/api/quarantine", bearer());
    BOOST_REQUIRE_EQUAL(listed.status, 200);
    BOOST_TEST(parse_json(listed.body)["entries"].Size() == 1u, listed.body);
}

BOOST_AUTO_TEST_CASE(without_a_spool_ready_is_503_while_postgresql_is_down) {
    config.spool_path = "";
    start();
    BOOST_TEST(!ready_json().HasMember("spool"));
    BOOST_TEST(dashboard()["spool"].IsNull());
    BOOST_TEST(!messages().HasMember("spool"));
    check_error(http_get(port, "/api/messages?source=spool", bearer()), 400, "invalid_parameter");
    check_error(http_get(port, "/api/messages/1?source=spool", bearer()), 400, "invalid_parameter");
    BOOST_TEST(metric(http_get(port, "/metrics").body, "memolib_spool_oldest_age_seconds") == -1);

    PostgresOutage outage;
    check_error(http_post(port, "/webhooks/form", "application/json", tagged_form_json("nospool")),
                503, "storage_unavailable");
    const HttpResponse ready = http_get(port, "/ready");
    check_error(ready, 503, "storage_unavailable");
    BOOST_TEST(ready.header("Retry-After").value_or("") == "5");
}

BOOST_AUTO_TEST_SUITE_END()
