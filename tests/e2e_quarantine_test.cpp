// End to end, the quarantine (DESIGN.md, "The promise"): an authentic request (its signature
// checked against a secret the channel configures) that the plugin cannot turn into messages
// is committed to the quarantine table and answered 200 `quarantined`; the same bytes again
// are the same entry; an unsigned one keeps its 400; a full quarantine is 503 with
// Retry-After; the headers are kept without the secret-bearing ones; the pending gauge and
// the dashboard's alert say something waits.
// CTest runs it on SQLite and, with `-- --backend=postgresql`, on PostgreSQL.
#define BOOST_TEST_MODULE e2e_quarantine
#include <filesystem>
#include <string>
#include <thread>

#include <boost/test/unit_test.hpp>

#include "memolib/plugins/common/crypto.hpp"
#include "support/database.hpp"
#include "support/e2e_fixture.hpp"
#include "support/http_client.hpp"
#include "support/json.hpp"
#include "support/process.hpp"

using namespace memolib::test;
namespace common = memolib::plugins::common;
namespace fs = std::filesystem;

namespace {

constexpr const char* kJson = "application/json";
constexpr const char* kMetaSecret = "e2e-meta-app-secret";
constexpr const char* kFixtureToken = "e2e-fixture-token";
constexpr const char* kAdminToken = "e2e-quarantine-admin-token";
// A Meta webhook the whatsapp plugin refuses: `entry` must be a list.
constexpr const char* kUnparseableMeta =
    R"({"object":"whatsapp_business_account","entry":"a shape Meta never sent"})";

Headers bearer() { return {{"Authorization", std::string("Bearer ") + kAdminToken}}; }

HttpResponse admin_post(std::uint16_t port, const std::string& target) {
    HttpRequest request;
    request.method = "POST";
    request.target = target;
    request.headers = bearer();
    return http_request(port, request);
}

HttpResponse http_delete(std::uint16_t port, const std::string& target) {
    HttpRequest request;
    request.method = "DELETE";
    request.target = target;
    request.headers = bearer();
    return http_request(port, request);
}

Headers meta_signed(const std::string& body) {
    return {{"X-Hub-Signature-256",
             "sha256=" + common::hex_encode(common::hmac_sha256(kMetaSecret, body))},
            {"Authorization", "Bearer not-for-the-table"},
            {"Cookie", "session=not-for-the-table"}};
}

struct QuarantineFixture : GatewayFixture {
    explicit QuarantineFixture(const std::string& max_size = "1MiB") {
        const fs::path plugins = dir / "plugins";
        fs::create_directories(plugins);
        for (const char* name : {"form.so", "whatsapp.so"})
            fs::copy_file(plugins_build_directory() / name, plugins / name);
        fs::copy_file(loader_fixtures_directory() / "exploding.so", plugins / "exploding.so");
        config.plugins_directory = plugins;
        config.pipeline_extra = "  quarantine: {max_size: " + max_size + "}\n";
        config.extra_yaml = "monitoring:\n  admin_token: \"" + std::string(kAdminToken) + "\"\n";
        config.channels = {
            {"whatsapp", {{"plugin", "whatsapp"}, {"app_secret", yaml_quote(kMetaSecret)}}},
            // No secret: Meta is accepted unsigned, so nothing proves who sent it.
            {"whatsapp_open", {{"plugin", "whatsapp"}}},
            {"exploding", {{"plugin", "exploding"}, {"token", yaml_quote(kFixtureToken)}}},
        };
        start();
    }

    long long rows(const std::string& where = "1 = 1") const {
        return database()->scalar("SELECT COUNT(*) FROM quarantine WHERE " + where);
    }

    static long long quarantine_id(const HttpResponse& response) {
        BOOST_REQUIRE_EQUAL(response.status, 200);
        const auto json = parse_json(response.body);
        BOOST_REQUIRE_EQUAL(string_member(json, "status"), "quarantined");
        BOOST_REQUIRE(json.HasMember("quarantine_id") && json["quarantine_id"].IsInt64());
        BOOST_TEST(string_member(json, "request_id") ==
                   response.header("X-Request-Id").value_or("?"));
        return json["quarantine_id"].GetInt64();
    }

    std::string scrape() const { return http_get(port, "/metrics").body; }
};

struct SmallQuarantineFixture : QuarantineFixture {
    SmallQuarantineFixture() : QuarantineFixture("100") {}
};

// The dashboard's `quarantine` object of a channel: {pending, oldest_age_seconds}.
std::pair<long long, double> dashboard_quarantine(std::uint16_t port, const std::string& channel) {
    const auto dashboard = parse_json(http_get(port, "/api/monitoring/metrics-dashboard").body);
    for (const auto& c : dashboard["channels"].GetArray()) {
        if (string_member(c, "channel") != channel) continue;
        const auto& q = c["quarantine"];
        return {q["pending"].GetInt64(),
                q["oldest_age_seconds"].IsNull() ? -1.0 : q["oldest_age_seconds"].GetDouble()};
    }
    BOOST_FAIL("no channel " << channel << " on the dashboard");
    return {};
}

bool has_line(const std::string& scrape, const std::string& line) {
    return scrape.find(line + "\n") != std::string::npos;
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(quarantine, QuarantineFixture)

BOOST_AUTO_TEST_CASE(a_signed_meta_webhook_the_plugin_refuses_is_quarantined_once) {
    const std::string body = kUnparseableMeta;
    const HttpResponse first =
        http_post(port, "/webhooks/whatsapp", kJson, body, meta_signed(body));
    const long long id = quarantine_id(first);
    BOOST_TEST(rows() == 1);
    const Row row = database()->query("SELECT * FROM quarantine").at(0);
    BOOST_TEST(std::stoll(row.at("id").value()) == id);
    BOOST_TEST(row.at("channel").value() == "whatsapp");
    BOOST_TEST(row.at("state").value() == "pending");
    BOOST_TEST(row.at("reason").value() == "invalid_payload");
    BOOST_TEST(row.at("content_type").value() == kJson);
    BOOST_TEST(row.at("raw_encoding").value() == "utf8");
    BOOST_TEST(row.at("raw_body").value() == body);
    BOOST_TEST(std::stoll(row.at("raw_size").value()) == static_cast<long long>(body.size()));
    BOOST_TEST(row.at("request_id").value() == first.header("X-Request-Id").value_or("?"));
    BOOST_TEST(row.at("details").value() != "[]");
    // The signature stays (it reveals no key); the credentials do not.
    const std::string headers = row.at("headers").value();
    BOOST_TEST(headers.find("X-Hub-Signature-256") != std::string::npos, headers);
    BOOST_TEST(headers.find("not-for-the-table") == std::string::npos, headers);
    BOOST_TEST(headers.find("Authorization") == std::string::npos, headers);
    BOOST_TEST(database()->scalar("SELECT COUNT(*) FROM messages") == 0);

    BOOST_TEST(has_line(scrape(), R"(memolib_quarantine_pending{channel="whatsapp"} 1)"));
    BOOST_TEST(has_line(
        scrape(), R"(memolib_quarantined_total{channel="whatsapp",reason="invalid_payload"} 1)"));
    const auto dashboard = parse_json(http_get(port, "/api/monitoring/metrics-dashboard").body);
    bool alert = false;
    for (const auto& a : dashboard["alerts"].GetArray()) {
        alert = alert || (string_member(a, "alert") == "quarantine_pending" &&
                          string_member(a, "channel") == "whatsapp" && a["value"].GetDouble() == 1);
    }
    const auto [pending, oldest] = dashboard_quarantine(port, "whatsapp");
    BOOST_TEST(pending == 1);
    BOOST_TEST(oldest >= 0.0);
    BOOST_TEST(oldest < 60.0);
    BOOST_TEST(dashboard_quarantine(port, "exploding").first == 0);
    BOOST_TEST(dashboard_quarantine(port, "exploding").second == -1.0);
    BOOST_TEST(alert, "no quarantine_pending alert in "
                          << http_get(port, "/api/monitoring/metrics-dashboard").body);
    bool logged = false;
    for (const LogEvent& e : gateway->events()) {
        if (e.get("event") != "quarantined") continue;
        logged = e.get("request_id") == first.header("X-Request-Id").value_or("?") &&
                 e.get("channel") == "whatsapp" && e.get("reason") == "invalid_payload";
        BOOST_TEST(e.raw.find("a shape Meta never sent") == std::string::npos, e.raw);
    }
    BOOST_TEST(logged);

    // Meta retries the same bytes: the same entry, no second row, no second count.
    const HttpResponse again =
        http_post(port, "/webhooks/whatsapp", kJson, body, meta_signed(body));
    BOOST_TEST(quarantine_id(again) == id);
    BOOST_TEST(rows() == 1);
    BOOST_TEST(has_line(scrape(), R"(memolib_quarantine_pending{channel="whatsapp"} 1)"));

    // After a restart the gauge starts from the table.
    gateway->stop();
    start();
    BOOST_TEST(has_line(scrape(), R"(memolib_quarantine_pending{channel="whatsapp"} 1)"));
    BOOST_TEST(dashboard_quarantine(port, "whatsapp").first == 1);
    BOOST_TEST(dashboard_quarantine(port, "whatsapp").second >= 0.0);
}

BOOST_AUTO_TEST_CASE(an_unsigned_refused_post_keeps_its_400_and_leaves_no_row) {
    check_error(http_post(port, "/webhooks/whatsapp_open", kJson, kUnparseableMeta), 400,
                "invalid_payload");
    // Signed channel, no signature: refused before parse.
    check_error(http_post(port, "/webhooks/whatsapp", kJson, kUnparseableMeta), 401,
                "verification_failed");
    // A dry run answers what parse said, even when signed.
    check_error(http_post(port, "/webhooks/whatsapp?dry_run=1", kJson, kUnparseableMeta,
                          meta_signed(kUnparseableMeta)),
                400, "invalid_payload");
    // The channel holds Meta's secret but none of Twilio's, so Twilio's posts are accepted
    // unsigned: one that cannot parse is anybody's junk, not Twilio's.
    check_error(http_post(port, "/webhooks/whatsapp", "application/x-www-form-urlencoded",
                          "name=Jeanne&message=bonjour"),
                400, "invalid_payload");
    BOOST_TEST(rows() == 0);
    BOOST_TEST(!has_line(scrape(), R"(memolib_quarantine_pending{channel="whatsapp"} 1)"));
}

BOOST_AUTO_TEST_CASE(a_plugin_that_fails_on_one_payload_has_it_quarantined) {
    const Headers token = {{"X-Token", kFixtureToken}, {"X-Other", "kept"}};
    const HttpResponse fine = http_post(port, "/webhooks/exploding", kJson, "hello", token);
    BOOST_TEST(fine.status == 200);
    BOOST_TEST(string_member(parse_json(fine.body), "status") == "stored");

    const HttpResponse failed =
        http_post(port, "/webhooks/exploding", kJson, "please explode", token);
    quarantine_id(failed);
    BOOST_TEST(rows("channel = 'exploding' AND reason = 'plugin_error'") == 1);
    // The header holding the channel's secret is not kept; the others are.
    const std::string headers =
        database()->query("SELECT headers FROM quarantine").at(0).at("headers").value();
    BOOST_TEST(headers.find(kFixtureToken) == std::string::npos, headers);
    BOOST_TEST(headers.find("X-Other") != std::string::npos, headers);

    // Without the token the same failure is the plugin's 500, and nothing is kept.
    check_error(
        http_post(port, "/webhooks/exploding", kJson, "explode again", {{"X-Token", "wrong"}}), 401,
        "verification_failed");
    BOOST_TEST(rows() == 1);
}

BOOST_AUTO_TEST_CASE(a_message_the_host_refuses_and_a_declared_type_parse_refuses_are_quarantined) {
    const Headers token = {{"X-Token", kFixtureToken}};
    quarantine_id(http_post(port, "/webhooks/exploding", kJson, "not-utf8", token));
    quarantine_id(http_post(port, "/webhooks/exploding", kJson, "refuse-type", token));
    BOOST_TEST(rows("reason = 'message_refused'") == 1);
    BOOST_TEST(rows("reason = 'unsupported_media_type'") == 1);
    BOOST_TEST(database()->scalar("SELECT COUNT(*) FROM messages") == 0);
    // The host could read the refused message's sender: the log line names it, masked.
    bool masked = false;
    for (const LogEvent& e : gateway->events()) {
        if (e.get("event") == "quarantined" && e.get("reason") == "message_refused")
            masked =
                !e.get("sender_masked").empty() && e.get("sender_masked") != "fixture@example.org";
    }
    BOOST_TEST(masked);
}

BOOST_AUTO_TEST_CASE(operators_list_show_and_discard_entries_through_the_api) {
    const Headers token = {{"X-Token", kFixtureToken}};
    const long long meta = quarantine_id(http_post(
        port, "/webhooks/whatsapp", kJson, kUnparseableMeta, meta_signed(kUnparseableMeta)));
    const long long failed =
        quarantine_id(http_post(port, "/webhooks/exploding", kJson, "please explode", token));
    const std::string binary = std::string("explode\xff\xfe\x00!", 11);
    const long long bytes =
        quarantine_id(http_post(port, "/webhooks/exploding", kJson, binary, token));

    check_error(http_get(port, "/api/quarantine"), 401, "unauthorized");
    check_error(http_get(port, "/api/quarantine/" + std::to_string(meta)), 401, "unauthorized");

    // Two pages of the three, then the filters; never a raw body in the list.
    const HttpResponse first = http_get(port, "/api/quarantine?limit=2", bearer());
    BOOST_REQUIRE_EQUAL(first.status, 200);
    BOOST_TEST(first.body.find("please explode") == std::string::npos, first.body);
    const auto page1 = parse_json(first.body);
    BOOST_REQUIRE_EQUAL(page1["entries"].Size(), 2U);
    BOOST_TEST(page1["entries"][0]["id"].GetInt64() == meta);
    BOOST_TEST(string_member(page1["entries"][0], "channel") == "whatsapp");
    BOOST_TEST(string_member(page1["entries"][0], "state") == "pending");
    BOOST_TEST(string_member(page1["entries"][0], "reason") == "invalid_payload");
    BOOST_TEST(page1["entries"][0]["details"].IsArray());
    BOOST_TEST(!page1["entries"][0].HasMember("raw"));
    BOOST_TEST(page1["entries"][1]["id"].GetInt64() == failed);
    BOOST_REQUIRE(page1["next_cursor"].IsString());
    const auto page2 = parse_json(
        http_get(port, "/api/quarantine?limit=2&cursor=" + string_member(page1, "next_cursor"),
                 bearer())
            .body);
    BOOST_REQUIRE_EQUAL(page2["entries"].Size(), 1U);
    BOOST_TEST(page2["entries"][0]["id"].GetInt64() == bytes);
    BOOST_TEST(page2["next_cursor"].IsNull());
    const auto exploding =
        parse_json(http_get(port, "/api/quarantine?channel=exploding", bearer()).body);
    BOOST_TEST(exploding["entries"].Size() == 2U);
    BOOST_TEST(
        parse_json(http_get(port, "/api/quarantine?since=2999-01-01", bearer()).body)["entries"]
            .Size() == 0U);
    check_error(http_get(port, "/api/quarantine?state=lost", bearer()), 400, "invalid_parameter");

    // One entry has its raw request: the body as text when it is UTF-8, else base64.
    const auto shown =
        parse_json(http_get(port, "/api/quarantine/" + std::to_string(meta), bearer()).body);
    BOOST_TEST(string_member(shown["raw"], "encoding") == "utf8");
    BOOST_TEST(string_member(shown["raw"], "payload") == kUnparseableMeta);
    bool signature = false;
    for (const auto& h : shown["headers"].GetArray())
        signature = signature || std::string(h[0].GetString()) == "X-Hub-Signature-256";
    BOOST_TEST(signature);
    const auto raw =
        parse_json(http_get(port, "/api/quarantine/" + std::to_string(bytes), bearer()).body);
    BOOST_TEST(string_member(raw["raw"], "encoding") == "base64");
    BOOST_TEST(string_member(raw["raw"], "payload") == "ZXhwbG9kZf/+ACE=");
    check_error(http_get(port, "/api/quarantine/999999", bearer()), 404, "not_found");
    check_error(http_get(port, "/api/quarantine/abc", bearer()), 404, "not_found");

    // Discard: a tombstone, once; the gauge follows.
    BOOST_TEST(has_line(scrape(), R"(memolib_quarantine_pending{channel="exploding"} 2)"));
    const HttpResponse discarded = http_delete(port, "/api/quarantine/" + std::to_string(failed));
    BOOST_REQUIRE_EQUAL(discarded.status, 200);
    BOOST_TEST(string_member(parse_json(discarded.body), "state") == "discarded");
    BOOST_TEST(rows("state = 'discarded'") == 1);
    BOOST_TEST(rows() == 3);
    BOOST_TEST(has_line(scrape(), R"(memolib_quarantine_pending{channel="exploding"} 1)"));
    check_error(http_delete(port, "/api/quarantine/" + std::to_string(failed)), 409, "not_pending");
    check_error(http_delete(port, "/api/quarantine/999999"), 404, "not_found");
    BOOST_TEST(has_line(scrape(), R"(memolib_quarantine_pending{channel="exploding"} 1)"));
    const auto discarded_list =
        parse_json(http_get(port, "/api/quarantine?state=discarded", bearer()).body);
    BOOST_REQUIRE_EQUAL(discarded_list["entries"].Size(), 1U);
    BOOST_TEST(discarded_list["entries"][0]["id"].GetInt64() == failed);
}

BOOST_AUTO_TEST_CASE(a_fixed_plugin_reprocesses_an_entry_into_one_stored_message) {
    const Headers token = {{"X-Token", kFixtureToken}};
    const long long id =
        quarantine_id(http_post(port, "/webhooks/exploding", kJson, "please explode", token));
    const long long shared =
        quarantine_id(http_post(port, "/webhooks/exploding", kJson, "explode, shared", token));
    const std::string reprocess = "/api/quarantine/" + std::to_string(id) + "/reprocess";

    // The plugin still fails on it: 422 with the plugin's view, the entry stays pending.
    check_error(admin_post(port, reprocess), 422, "still_refused");
    BOOST_TEST(rows("state = 'pending'") == 2);
    BOOST_TEST(database()->scalar("SELECT COUNT(*) FROM messages") == 0);

    // The hot swap of docs/operations.md: the fixed version under a new file name, a reload.
    fs::copy_file(loader_fixtures_directory() / "exploding_fixed.so",
                  dir / "plugins" / "exploding-1.1.so");
    const HttpResponse reloaded = admin_post(port, "/api/admin/reload");
    BOOST_REQUIRE_EQUAL(reloaded.status, 200);
    BOOST_TEST(reloaded.body.find("exploding-1.1.so") != std::string::npos, reloaded.body);

    // Two operators at once: one stores it, the other is told it is done.
    HttpResponse answers[2];
    std::thread other([&] { answers[1] = admin_post(port, reprocess); });
    answers[0] = admin_post(port, reprocess);
    other.join();
    const int winner = answers[0].status == 200 ? 0 : 1;
    BOOST_REQUIRE_EQUAL(answers[winner].status, 200);
    check_error(answers[1 - winner], 409, "not_pending");
    const auto stored = parse_json(answers[winner].body);
    BOOST_TEST(string_member(stored, "status") == "reprocessed");
    BOOST_TEST(stored["quarantine_id"].GetInt64() == id);
    BOOST_REQUIRE_EQUAL(stored["messages"].Size(), 1U);
    BOOST_TEST(string_member(stored["messages"][0], "status") == "stored");
    BOOST_TEST(database()->scalar("SELECT COUNT(*) FROM messages") == 1);
    BOOST_TEST(database()->query("SELECT text FROM messages").at(0).at("text").value() ==
               "please explode");
    BOOST_TEST(rows("state = 'reprocessed'") == 1);
    BOOST_TEST(has_line(scrape(), R"(memolib_quarantine_pending{channel="exploding"} 1)"));
    BOOST_TEST(dashboard_quarantine(port, "exploding").first == 1);

    // Again: no second row; a reprocessed entry is not discarded either.
    check_error(admin_post(port, reprocess), 409, "not_pending");
    check_error(http_delete(port, "/api/quarantine/" + std::to_string(id)), 409, "not_pending");
    BOOST_TEST(database()->scalar("SELECT COUNT(*) FROM messages") == 1);
    check_error(admin_post(port, "/api/quarantine/999999/reprocess"), 404, "not_found");

    // A second instance on the same database (started once the old file is gone, as the hot
    // swap's rule says): both re-process one entry at once, one message is stored.
    fs::remove(dir / "plugins" / "exploding.so");
    GatewayProcess::Options options;
    options.args = {"serve", "-c", config_file().string()};
    options.log_file = dir / "second.log";
    options.work_dir = dir.path();
    GatewayProcess second(options);
    const std::uint16_t second_port = second.wait_until_listening();
    const std::string shared_path = "/api/quarantine/" + std::to_string(shared) + "/reprocess";
    HttpResponse both[2];
    std::thread there([&] { both[1] = admin_post(second_port, shared_path); });
    both[0] = admin_post(port, shared_path);
    there.join();
    const int first_won = both[0].status == 200 ? 0 : 1;
    BOOST_TEST(both[first_won].status == 200, both[first_won].body);
    check_error(both[1 - first_won], 409, "not_pending");
    BOOST_TEST(database()->scalar("SELECT COUNT(*) FROM messages") == 2);
    BOOST_TEST(rows("state = 'reprocessed'") == 2);
    // The instance that stored it counts it down; the other, told it was not pending, reads
    // the counts from the table again.
    for (const std::uint16_t p : {port, second_port}) {
        BOOST_TEST(dashboard_quarantine(p, "exploding").first == 0);
        BOOST_TEST(dashboard_quarantine(p, "exploding").second == -1.0);
    }
    BOOST_TEST(second.stop().clean(), second.log());
}

BOOST_AUTO_TEST_CASE(the_cli_lists_shows_reprocesses_and_discards_through_the_gateway) {
    const Headers token = {{"X-Token", kFixtureToken}};
    const long long keep =
        quarantine_id(http_post(port, "/webhooks/exploding", kJson, "explode: keep", token));
    const long long also =
        quarantine_id(http_post(port, "/webhooks/exploding", kJson, "explode: also", token));
    const long long drop =
        quarantine_id(http_post(port, "/webhooks/exploding", kJson, "explode: drop", token));
    const std::string url = "http://127.0.0.1:" + std::to_string(port);
    auto cli = [&](std::vector<std::string> args) {
        std::vector<std::string> argv = {gateway_binary().string(), "quarantine"};
        argv.insert(argv.end(), args.begin(), args.end());
        for (const std::string& a :
             {std::string("-c"), config_file().string(), std::string("--url"), url}) {
            argv.push_back(a);
        }
        return run_process(argv, dir.path());
    };

    const ProcessResult listed = cli({"list", "--channel", "exploding"});
    BOOST_TEST(listed.status.clean(), listed.err);
    BOOST_TEST(listed.out.find(std::to_string(keep) + "\tpending\texploding\tplugin_error") !=
                   std::string::npos,
               listed.out);
    const ProcessResult shown = cli({"show", std::to_string(keep)});
    BOOST_TEST(shown.status.clean(), shown.err);
    BOOST_TEST(string_member(parse_json(shown.out)["raw"], "payload") == "explode: keep");

    const ProcessResult discarded = cli({"discard", std::to_string(drop)});
    BOOST_TEST(discarded.status.clean(), discarded.err);
    BOOST_TEST(rows("state = 'discarded'") == 1);
    BOOST_TEST(!cli({"discard", std::to_string(drop)}).status.clean());

    // Still refused: a failure exit, nothing changes.
    BOOST_TEST(!cli({"reprocess", std::to_string(keep)}).status.clean());
    BOOST_TEST(rows("state = 'pending'") == 2);

    fs::copy_file(loader_fixtures_directory() / "exploding_fixed.so",
                  dir / "plugins" / "exploding-1.1.so");
    BOOST_REQUIRE_EQUAL(admin_post(port, "/api/admin/reload").status, 200);
    const ProcessResult all = cli({"reprocess", "--channel", "exploding", "--all"});
    BOOST_TEST(all.status.clean(), all.err);
    BOOST_TEST(rows("state = 'reprocessed'") == 2);
    BOOST_TEST(database()->scalar("SELECT COUNT(*) FROM messages") == 2);
    BOOST_TEST(has_line(scrape(), R"(memolib_quarantine_pending{channel="exploding"} 0)"));
    BOOST_TEST(!cli({"reprocess", std::to_string(also)}).status.clean());
    BOOST_TEST(database()->scalar("SELECT COUNT(*) FROM messages") == 2);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_CASE(a_full_quarantine_is_503_with_retry_after_never_a_silent_drop,
                        SmallQuarantineFixture) {
    const Headers token = {{"X-Token", kFixtureToken}};
    // 90 bytes fit the 100-byte cap; 20 more do not.
    quarantine_id(
        http_post(port, "/webhooks/exploding", kJson, "explode" + std::string(83, 'a'), token));
    const HttpResponse full =
        http_post(port, "/webhooks/exploding", kJson, "explode" + std::string(13, 'b'), token);
    check_error(full, 503, "quarantine_full");
    BOOST_TEST(full.header("Retry-After").has_value());
    BOOST_TEST(rows() == 1);
    // The entry already kept is still answered: it takes no more room.
    quarantine_id(
        http_post(port, "/webhooks/exploding", kJson, "explode" + std::string(83, 'a'), token));
    BOOST_TEST(rows() == 1);
}
