// End-to-end tests of what an operator uses: reload (SIGHUP and POST /api/admin/reload), the
// read API and its bearer token, the dashboard JSON and its alerts, /ready and the reload
// metrics. The real binary on a free loopback port, checked over HTTP and against the rows.
#define BOOST_TEST_MODULE e2e_operations
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <set>
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

constexpr const char* kToken = "e2e-admin-token-7c1f";
constexpr const char* kJson = "application/json";

std::string form_json(const std::string& tag, const std::string& text = "Bonjour") {
    return R"({"name":"Jeanne","email":"jeanne.)" + tag + R"(@example.org","message":")" + text +
           " " + tag + R"("})";
}

Headers bearer(const std::string& token = kToken) { return {{"Authorization", "Bearer " + token}}; }

HttpResponse reload(std::uint16_t port, const std::string& token = kToken) {
    HttpRequest request;
    request.method = "POST";
    request.target = "/api/admin/reload";
    request.headers = bearer(token);
    return http_request(port, request);
}

long long count_rows(const GatewayFixture& f) {
    return f.database()->scalar("SELECT COUNT(*) FROM messages");
}

// The monitoring block every test here uses, with the admin token.
std::string monitoring(const std::string& alerts = "") {
    return "monitoring:\n  admin_token: \"" + std::string(kToken) + "\"\n" + alerts;
}

// Waits until the gateway's log has `count` lines of `event` (a SIGHUP reload is not answered).
bool wait_for_event(GatewayProcess& gateway, const std::string& event, std::size_t count) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
        std::size_t seen = 0;
        for (const LogEvent& e : gateway.events()) seen += e.get("event") == event ? 1 : 0;
        if (seen >= count) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
}

// The value of a metric sample line "name{labels} value" in a /metrics body, or -1.
double metric(const std::string& body, const std::string& series) {
    const std::size_t at = body.find("\n" + series + " ");
    if (at == std::string::npos) return -1;
    return std::stod(body.substr(at + series.size() + 2));
}

const rapidjson::Value* channel_entry(const rapidjson::Document& dashboard,
                                      const std::string& name) {
    for (const auto& c : dashboard["channels"].GetArray()) {
        if (string_member(c, "channel") == name) return &c;
    }
    return nullptr;
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(reload_suite, GatewayFixture)

BOOST_AUTO_TEST_CASE(a_plugin_dropped_in_is_served_after_sighup_without_restart) {
    // A plugins directory of the test's own, holding only the form plugin at first.
    const auto plugins = dir / "plugins";
    std::filesystem::create_directories(plugins);
    std::filesystem::copy_file(plugins_build_directory() / "form.so", plugins / "form.so");
    config.plugins_directory = plugins;
    config.extra_yaml = monitoring();
    start();
    const pid_t pid = gateway->pid();
    const std::string sms =
        R"({"msisdn":"447700900001","to":"447700900000","messageId":"0A000001",)"
        R"("text":"Hello after reload","type":"text",)"
        R"("message-timestamp":"2026-11-24 06:00:00"})";
    check_error(http_post(port, "/webhooks/sms", kJson, sms), 404, "unknown_channel");

    std::filesystem::copy_file(plugins_build_directory() / "sms.so", plugins / "sms.so");
    config.channels.push_back({"sms", {{"plugin", "sms"}}});
    write_file(config_file(), config.to_yaml());
    BOOST_REQUIRE_EQUAL(::kill(pid, SIGHUP), 0);
    BOOST_REQUIRE_MESSAGE(wait_for_event(*gateway, "reloaded", 1), "no `reloaded` log line");

    HttpResponse stored = http_post(port, "/webhooks/sms", kJson, sms);
    BOOST_TEST(stored.status == 200, stored.body);
    BOOST_TEST(database()->scalar("SELECT COUNT(*) FROM messages WHERE channel = 'sms'") == 1);
    BOOST_TEST(http_post(port, "/webhooks/form", kJson, form_json("a")).status == 200);
    BOOST_TEST(gateway->pid() == pid);

    auto version = parse_json(http_get(port, "/version").body);
    std::set<std::string> names;
    for (const auto& p : version["plugins"].GetArray()) names.insert(string_member(p, "name"));
    BOOST_TEST((names == std::set<std::string>{"form", "sms"}));
    const std::string body = http_get(port, "/metrics").body;
    BOOST_TEST(metric(body, R"(memolib_reloads_total{result="ok",trigger="signal"})") == 1);
    BOOST_TEST(metric(body, "memolib_config_generation") == 2);
    BOOST_TEST(body.find(R"(memolib_plugins_loaded{name="sms",)") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_reload_that_fails_validation_changes_nothing) {
    config.extra_yaml = monitoring();
    config.channels[0].settings.emplace_back("duplicate_status", "409");
    start();
    BOOST_TEST(http_post(port, "/webhooks/form", kJson, form_json("b")).status == 200);

    // A broken file: an unknown key, and a channel that would change the duplicate status.
    const std::string good = config.to_yaml();
    write_file(config_file(), good + "bogus_key: 1\n");
    auto refused = check_error(reload(port), 422, "reload_failed");
    BOOST_REQUIRE(refused["details"].Size() >= 1);
    const std::string problem = string_member(refused["details"][0], "message");
    BOOST_TEST(problem.find("bogus_key") != std::string::npos, problem);
    BOOST_TEST(problem.find("gateway.yaml:") != std::string::npos, problem);

    // Still the old configuration: same channel, same duplicate status.
    check_error(http_post(port, "/webhooks/form", kJson, form_json("b")), 409, "duplicate");
    auto ready = parse_json(http_get(port, "/ready").body);
    BOOST_TEST(ready["generation"].GetUint64() == 1u);
    const std::string body = http_get(port, "/metrics").body;
    BOOST_TEST(metric(body, R"(memolib_reloads_total{result="failed",trigger="api"})") == 1);
    BOOST_TEST(metric(body, "memolib_config_generation") == 1);

    // A good file again: applied, with what needs a restart named.
    config.channels[0].settings.back().second = "200";
    config.threads = 3;
    write_file(config_file(), config.to_yaml());
    HttpResponse ok = reload(port);
    BOOST_REQUIRE_EQUAL(ok.status, 200);
    auto json = parse_json(ok.body);
    BOOST_TEST(json["generation"].GetUint64() == 2u);
    BOOST_REQUIRE(json["restart_required"].Size() == 1);
    BOOST_TEST(std::string(json["restart_required"][0].GetString()) == "server");
    BOOST_TEST(http_post(port, "/webhooks/form", kJson, form_json("b")).status == 200);
    BOOST_TEST(count_rows(*this) == 1);
}

BOOST_AUTO_TEST_CASE(a_request_in_flight_finishes_on_the_configuration_it_started_with) {
    config.extra_yaml = monitoring();
    config.stages = {"size_limit", "verify", "parse", "enrich", "dedup", "persist"};
    start();
    // The headers are admitted (the 100 Continue says so) under a config serving `form` with
    // the enrich stage (which makes this message high priority)...
    const std::string body = form_json("inflight", "C'est urgent");
    HttpRequest request;
    request.method = "POST";
    request.target = "/webhooks/form";
    request.headers = {{"Content-Type", kJson},
                       {"Content-Length", std::to_string(body.size())},
                       {"Expect", "100-continue"}};
    HttpConnection connection(port, std::chrono::seconds(20));
    connection.send_all(serialize_head(request));
    BOOST_REQUIRE_EQUAL(connection.read_response(true).status, 100);

    // ...then a reload removes the channel and the stage: new requests no longer find it...
    config.channels = {{"other", {{"plugin", "form"}}}};
    config.stages = {"size_limit", "verify", "parse", "dedup", "persist"};
    write_file(config_file(), config.to_yaml());
    BOOST_REQUIRE_EQUAL(reload(port).status, 200);
    check_error(http_post(port, "/webhooks/form", kJson, form_json("new")), 404, "unknown_channel");

    // ...while the request in flight completes on the old one and is stored.
    connection.send_all(body);
    HttpResponse answer = connection.read_response();
    BOOST_TEST(answer.status == 200, answer.body);
    BOOST_TEST(database()->scalar("SELECT COUNT(*) FROM messages WHERE channel = 'form' AND "
                                  "priority = 'high'") == 1);
}

BOOST_AUTO_TEST_CASE(admin_endpoints_need_the_bearer_token) {
    config.extra_yaml = monitoring();
    start();
    auto no_header = check_error(http_get(port, "/api/messages"), 401, "unauthorized");
    HttpResponse wrong = http_get(port, "/api/messages", bearer("e2e-admin-token-7c1e"));
    check_error(wrong, 401, "unauthorized");
    BOOST_TEST(wrong.header("WWW-Authenticate").value_or("").rfind("Bearer", 0) == 0);
    check_error(http_get(port, "/api/messages", bearer(std::string(kToken) + "x")), 401,
                "unauthorized");
    check_error(reload(port, "nope"), 401, "unauthorized");
    check_error(http_get(port, "/api/admin/reload", bearer()), 405, "method_not_allowed");
    BOOST_TEST(http_get(port, "/api/messages", bearer()).status == 200);
    BOOST_TEST(http_get(port, "/api/messages", {{"Authorization", std::string("bearer ") + kToken}})
                   .status == 200);
}

BOOST_AUTO_TEST_CASE(without_a_token_the_admin_endpoints_are_off) {
    start();
    check_error(http_get(port, "/api/messages", bearer()), 403, "admin_disabled");
    check_error(reload(port), 403, "admin_disabled");
    // The monitoring endpoints stay open, as /metrics is.
    BOOST_TEST(http_get(port, "/api/monitoring/metrics-dashboard").status == 200);
    BOOST_TEST(http_get(port, "/dashboard").status == 200);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(read_api, GatewayFixture)

BOOST_AUTO_TEST_CASE(messages_are_listed_with_filters_and_a_cursor) {
    config.extra_yaml = monitoring();
    config.stages = {"size_limit", "verify", "parse", "enrich", "dedup", "persist"};
    config.channels.push_back({"contact", {{"plugin", "form"}}});
    start();
    for (int i = 0; i < 7; ++i) {
        const std::string text = i % 3 == 0 ? "C'est urgent, merci" : "Bonjour";
        BOOST_REQUIRE_EQUAL(
            http_post(port, "/webhooks/form", kJson, form_json("m" + std::to_string(i), text))
                .status,
            200);
    }
    BOOST_REQUIRE_EQUAL(http_post(port, "/webhooks/contact", kJson, form_json("c")).status, 200);

    // Every form message once, in id order, three at a time.
    std::vector<long long> ids;
    std::string cursor;
    int pages = 0;
    for (;;) {
        std::string target = "/api/messages?channel=form&limit=3";
        if (!cursor.empty()) target += "&cursor=" + cursor;
        HttpResponse page = http_get(port, target, bearer());
        BOOST_REQUIRE_EQUAL(page.status, 200);
        auto json = parse_json(page.body);
        ++pages;
        for (const auto& m : json["messages"].GetArray()) {
            BOOST_TEST(string_member(m, "channel") == "form");
            BOOST_TEST(!string_member(m, "dedup_key").empty());
            BOOST_TEST(string_member(m, "sender_masked").find("@") != std::string::npos);
            ids.push_back(m["id"].GetInt64());
        }
        if (json["next_cursor"].IsNull()) break;
        cursor = json["next_cursor"].GetString();
        BOOST_REQUIRE(pages < 10);
    }
    BOOST_TEST(pages == 3);
    BOOST_REQUIRE_EQUAL(ids.size(), 7u);
    for (std::size_t i = 1; i < ids.size(); ++i) BOOST_TEST(ids[i] > ids[i - 1]);

    auto high = parse_json(http_get(port, "/api/messages?priority=high", bearer()).body);
    BOOST_TEST(high["messages"].Size() == 3u);
    for (const auto& m : high["messages"].GetArray())
        BOOST_TEST(string_member(m, "priority") == "high");
    auto contact = parse_json(http_get(port, "/api/messages?channel=contact", bearer()).body);
    BOOST_TEST(contact["messages"].Size() == 1u);
    auto future =
        parse_json(http_get(port, "/api/messages?since=2999-01-01T00:00:00Z", bearer()).body);
    BOOST_TEST(future["messages"].Size() == 0u);
    auto past = parse_json(
        http_get(port, "/api/messages?since=2020-01-01T00%3A00%3A00%2B02%3A00", bearer()).body);
    BOOST_TEST(past["messages"].Size() == 8u);

    check_error(http_get(port, "/api/messages?since=yesterday", bearer()), 400,
                "invalid_parameter");
    check_error(http_get(port, "/api/messages?limit=0", bearer()), 400, "invalid_parameter");
    check_error(http_get(port, "/api/messages?limit=501", bearer()), 400, "invalid_parameter");
    check_error(http_get(port, "/api/messages?priority=urgent", bearer()), 400,
                "invalid_parameter");
    check_error(http_get(port, "/api/messages?cursor=abc", bearer()), 400, "invalid_parameter");
}

BOOST_AUTO_TEST_CASE(one_message_is_read_by_id_with_its_raw_payload) {
    config.extra_yaml = monitoring();
    start();
    const std::string body = form_json("one");
    auto stored = parse_json(http_post(port, "/webhooks/form", kJson, body).body);
    const long long id = stored["messages"][0]["id"].GetInt64();
    HttpResponse answer = http_get(port, "/api/messages/" + std::to_string(id), bearer());
    BOOST_REQUIRE_EQUAL(answer.status, 200);
    auto m = parse_json(answer.body);
    BOOST_TEST(m["id"].GetInt64() == id);
    BOOST_TEST(string_member(m, "sender") == "jeanne.one@example.org");
    BOOST_TEST(string_member(m, "text") == "Bonjour one");
    BOOST_TEST(string_member(m["raw"], "payload") == body);
    BOOST_TEST(string_member(m["raw"], "content_type") == kJson);
    BOOST_TEST(m["attachments"].IsArray());
    check_error(http_get(port, "/api/messages/999999", bearer()), 404, "not_found");
    check_error(http_get(port, "/api/messages/x1", bearer()), 404, "not_found");
}

// The dry run shows a message as the read API will show it once stored: one writer makes both.
// Only the read API's own fields (the row id, the list's cut flags, metadata and the raw
// request) and the arrival time of each request may differ.
BOOST_AUTO_TEST_CASE(the_dry_run_and_the_read_api_show_a_message_alike) {
    config.extra_yaml = monitoring();
    start();
    const std::string body = form_json("alike");
    const Headers same_id = {{"X-Request-Id", "alike-1"}};
    const HttpResponse dry = http_post(port, "/webhooks/form?dry_run=1", kJson, body, same_id);
    BOOST_REQUIRE_EQUAL(dry.status, 200);
    const HttpResponse stored = http_post(port, "/webhooks/form", kJson, body, same_id);
    BOOST_REQUIRE_EQUAL(stored.status, 200);
    const long long id = parse_json(stored.body)["messages"][0]["id"].GetInt64();
    const HttpResponse by_id = http_get(port, "/api/messages/" + std::to_string(id), bearer());
    BOOST_REQUIRE_EQUAL(by_id.status, 200);
    const HttpResponse list = http_get(port, "/api/messages?channel=form", bearer());
    BOOST_REQUIRE_EQUAL(list.status, 200);

    auto dry_json = parse_json(dry.body);
    BOOST_REQUIRE_EQUAL(dry_json["messages"].Size(), 1U);
    const rapidjson::Value& shown = dry_json["messages"][0];
    auto one = parse_json(by_id.body);
    auto page = parse_json(list.body);
    BOOST_REQUIRE_EQUAL(page["messages"].Size(), 1U);
    const std::set<std::string> read_api_only = {"id", "text_truncated", "html_truncated",
                                                 "metadata", "raw"};
    const rapidjson::Value& listed = page["messages"][0];
    for (const rapidjson::Value* read : {static_cast<const rapidjson::Value*>(&one), &listed}) {
        for (const auto& field : shown.GetObject()) {
            const std::string name = field.name.GetString();
            BOOST_TEST_CONTEXT("field " << name) {
                BOOST_REQUIRE(read->HasMember(name.c_str()));
                const rapidjson::Value& value = (*read)[name.c_str()];
                if (name == "received_at") {
                    BOOST_TEST(value.GetStringLength() == field.value.GetStringLength());
                } else {
                    BOOST_TEST((value == field.value));
                }
            }
        }
        for (const auto& field : read->GetObject()) {
            const std::string name = field.name.GetString();
            BOOST_TEST((shown.HasMember(name.c_str()) || read_api_only.count(name) == 1),
                       "the read API's field " << name << " is missing from the dry run");
        }
    }
    BOOST_TEST(string_member(shown, "text") == "Bonjour alike");
    BOOST_TEST(string_member(shown, "request_id") == "alike-1");
}

// Large e-mails made the list answer as large as all of them together. A list answer holds
// at most 1 MiB of JSON (at least one message), cuts text and html to 65,536 characters
// (`text_truncated`), and its cursor goes on from the last message it holds; the message by
// id still has everything.
BOOST_AUTO_TEST_CASE(large_messages_are_listed_within_a_byte_budget) {
    constexpr std::size_t kBudget = 1024 * 1024;
    constexpr std::size_t kCut = 65536;
    constexpr std::size_t kLarge = 1000 * 1000;  // the form plugin takes up to 1 MiB
    config.extra_yaml = monitoring();
    start();
    std::map<long long, std::string> texts;
    std::map<long long, std::string> bodies;
    for (int i = 0; i < 24; ++i) {
        const std::string tag = "large" + std::to_string(i);
        const bool large = i % 4 != 3;
        const std::string text =
            large ? std::string(kLarge, static_cast<char>('a' + i)) : "Bonjour";
        const std::string body = form_json(tag, text);
        const HttpResponse answer = http_post(port, "/webhooks/form", kJson, body);
        BOOST_REQUIRE_MESSAGE(answer.status == 200,
                              answer.status << " " << answer.body.substr(0, 300));
        const long long id = parse_json(answer.body)["messages"][0]["id"].GetInt64();
        texts[id] = text + " " + tag;
        bodies[id] = body;
    }

    std::vector<long long> ids;
    std::string cursor;
    int pages = 0;
    for (;;) {
        std::string target = "/api/messages?limit=500";
        if (!cursor.empty()) target += "&cursor=" + cursor;
        const HttpResponse page = http_get(port, target, bearer());
        BOOST_REQUIRE_EQUAL(page.status, 200);
        BOOST_TEST(page.body.size() <= kBudget,
                   "page " << pages << ": " << page.body.size() << " bytes");
        auto json = parse_json(page.body);
        ++pages;
        BOOST_TEST(json["messages"].Size() >= 1U);
        for (const auto& m : json["messages"].GetArray()) {
            const long long id = m["id"].GetInt64();
            ids.push_back(id);
            const std::string& whole = texts[id];
            const std::string text = string_member(m, "text");
            BOOST_TEST_CONTEXT("message " << id) {
                BOOST_TEST(!m.HasMember("raw"));
                BOOST_TEST(m["text_truncated"].GetBool() == (whole.size() > kCut));
                BOOST_TEST(m["html_truncated"].GetBool() == false);
                BOOST_TEST(text.size() == std::min(whole.size(), kCut));
                BOOST_TEST((whole.compare(0, text.size(), text) == 0));
            }
        }
        if (json["next_cursor"].IsNull()) break;
        cursor = json["next_cursor"].GetString();
        BOOST_REQUIRE(pages < 20);
    }
    BOOST_TEST(pages >= 2, "18 messages of 64 KiB do not fit in one page");
    std::vector<long long> expected;
    for (const auto& [id, text] : texts) expected.push_back(id);
    BOOST_TEST(ids == expected, boost::test_tools::per_element());

    const long long first = texts.begin()->first;
    const HttpResponse one = http_get(port, "/api/messages/" + std::to_string(first), bearer());
    BOOST_REQUIRE_EQUAL(one.status, 200);
    auto m = parse_json(one.body);
    BOOST_TEST(string_member(m["raw"], "payload") == bodies[first]);
    BOOST_TEST(string_member(m, "text") == texts[first]);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(monitoring_suite, GatewayFixture)

BOOST_AUTO_TEST_CASE(the_dashboard_json_has_rates_percentiles_and_alerts) {
    config.stages = {"size_limit", "verify", "parse", "enrich", "dedup", "cache", "persist"};
    config.channels.push_back({"quiet", {{"plugin", "form"}}});
    // Duplicates alert above 10 % (the default); errors only above 50 % here.
    config.extra_yaml = monitoring("  alerts: {error_rate: 0.5}\n");
    start();
    for (int i = 0; i < 6; ++i)
        BOOST_REQUIRE_EQUAL(
            http_post(port, "/webhooks/form", kJson, form_json("d" + std::to_string(i))).status,
            200);
    // A provider's retry (replayed from the cache) and a malformed request.
    HttpResponse replay = http_post(port, "/webhooks/form", kJson, form_json("d0"));
    BOOST_TEST(replay.status == 200);
    BOOST_TEST(replay.header("X-Idempotent-Replay").value_or("") == "true");
    BOOST_TEST(http_post(port, "/webhooks/form", kJson, "{").status == 400);

    HttpResponse answer = http_get(port, "/api/monitoring/metrics-dashboard");
    BOOST_REQUIRE_EQUAL(answer.status, 200);
    auto json = parse_json(answer.body);
    const rapidjson::Value* form = channel_entry(json, "form");
    BOOST_REQUIRE(form != nullptr);
    BOOST_TEST((*form)["requests"].GetUint64() == 8u);
    BOOST_TEST((*form)["success"].GetUint64() == 6u);
    BOOST_TEST((*form)["duplicates"].GetUint64() == 1u);
    BOOST_TEST((*form)["errors"].GetUint64() == 1u);
    BOOST_TEST((*form)["error_rate"].GetDouble() == 0.125);
    BOOST_TEST((*form)["duplicate_rate"].GetDouble() == 0.125);
    const auto& latency = (*form)["latency_ms"];
    BOOST_TEST(latency["p50"].GetDouble() > 0);
    BOOST_TEST(latency["p50"].GetDouble() <= latency["p95"].GetDouble());
    BOOST_TEST(latency["p95"].GetDouble() <= latency["p99"].GetDouble());
    BOOST_TEST((*form)["cache"]["hits"].GetUint64() == 1u);
    // Every request that passed verify consulted the cache (with its raw bytes, before parse).
    BOOST_TEST((*form)["cache"]["lookups"].GetUint64() == 8u);
    // One alert: duplicates (12.5 % > 10 %), not errors (12.5 % < 50 %).
    BOOST_REQUIRE_EQUAL((*form)["alerts"].Size(), 1u);
    BOOST_TEST(string_member((*form)["alerts"][0], "alert") == "duplicate_rate");
    BOOST_REQUIRE_EQUAL(json["alerts"].Size(), 1u);
    BOOST_TEST(string_member(json["alerts"][0], "channel") == "form");
    BOOST_TEST(json["thresholds"]["error_rate"].GetDouble() == 0.5);
    BOOST_TEST(json["thresholds"]["p99_ms"].GetDouble() == 5000);
    // An idle channel is listed, with no rates yet.
    const rapidjson::Value* quiet = channel_entry(json, "quiet");
    BOOST_REQUIRE(quiet != nullptr);
    BOOST_TEST((*quiet)["requests"].GetUint64() == 0u);
    BOOST_TEST((*quiet)["error_rate"].IsNull());
    BOOST_TEST((*quiet)["latency_ms"]["p99"].IsNull());
}

BOOST_AUTO_TEST_CASE(ready_reports_storage_and_channels) {
    start();
    HttpResponse answer = http_get(port, "/ready");
    BOOST_REQUIRE_EQUAL(answer.status, 200);
    auto json = parse_json(answer.body);
    BOOST_TEST(string_member(json, "storage") == "ok");
    BOOST_TEST(string_member(json["channels"], "form") == "form");
    check_error(http_request(port, {"POST", "/ready", {}, ""}), 405, "method_not_allowed");
}

BOOST_AUTO_TEST_SUITE_END()
