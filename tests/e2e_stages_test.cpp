// End-to-end tests of the shared stages through the real binary and the real form plugin:
// rate limits (memory and Redis, with a Redis outage), enrich, the dedup fast path and the
// replay cache, dry runs, gzip answers, duplicate_status, and a storage outage on PostgreSQL.
// CTest runs it on SQLite and, with `-- --backend=postgresql`, on PostgreSQL.
#define BOOST_TEST_MODULE e2e_stages
#include <zlib.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>

#include <boost/test/unit_test.hpp>

#include "support/database.hpp"
#include "support/e2e_fixture.hpp"
#include "support/http_client.hpp"
#include "support/json.hpp"
#include "support/process.hpp"
#include "support/redis_server.hpp"
#include "support/temp_dir.hpp"

using namespace memolib::test;

namespace {

const std::vector<std::string> kAllStages = {"size_limit", "rate_limit", "verify", "parse",
                                             "enrich",     "dedup",      "cache",  "persist"};
// The same pipeline with its replay and per-sender steps named (what kAllStages is read as).
const std::vector<std::string> kAllStagesNamed = {
    "size_limit",        "rate_limit", "verify", "replay", "parse",
    "sender_rate_limit", "enrich",     "dedup",  "cache",  "persist"};

std::string form_json(const std::string& tag, const std::string& subject = "Rendez-vous",
                      const std::string& text = "Bonjour, je voudrais un rendez-vous.") {
    return R"({"name":"Jeanne","email":"jeanne.)" + tag + R"(@example.org","subject":")" + subject +
           R"(","message":")" + text + " " + tag + R"("})";
}

HttpResponse post(std::uint16_t port, const std::string& body, const Headers& headers = {},
                  const std::string& target = "/webhooks/form") {
    return http_post(port, target, "application/json", body, headers);
}

long long count_messages(const GatewayFixture& f) {
    return f.database()->scalar("SELECT COUNT(*) FROM messages");
}

ChannelConfig form_with(std::vector<std::pair<std::string, std::string>> extra) {
    ChannelConfig c = GatewayConfig::form_channel();
    for (auto& kv : extra) c.settings.push_back(std::move(kv));
    return c;
}

std::string gunzip(const std::string& data) {
    z_stream zs{};
    inflateInit2(&zs, 15 + 16);
    std::string out(1 << 22, '\0');
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    zs.avail_in = static_cast<uInt>(data.size());
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    inflate(&zs, Z_FINISH);
    out.resize(zs.total_out);
    inflateEnd(&zs);
    return out;
}

std::string pg_state_dir() { return std::string(MEMOLIB_BINARY_DIR) + "/postgres"; }

void pg(const char* verb) {
    const std::string cmd =
        std::string("bash ") + MEMOLIB_SOURCE_DIR + "/scripts/pg.sh " + verb + " " + pg_state_dir();
    BOOST_REQUIRE_MESSAGE(std::system(cmd.c_str()) == 0, cmd << " failed");
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(stages, GatewayFixture)

BOOST_AUTO_TEST_CASE(rate_limit_per_ip_answers_429_with_retry_after) {
    config.stages = kAllStages;
    config.channels = {form_with({{"rate_limit", "{requests: 3, window: 1h, key: ip}"}})};
    start();
    for (int i = 0; i < 3; ++i)
        BOOST_TEST(post(port, form_json("r" + std::to_string(i))).status == 200);
    HttpResponse refused = post(port, form_json("r3"));
    auto json = check_error(refused, 429, "rate_limited");
    const int retry_after = std::atoi(refused.header("Retry-After").value_or("0").c_str());
    BOOST_TEST(retry_after > 3500);
    BOOST_TEST(retry_after <= 3600);
    BOOST_TEST(count_messages(*this) == 3);
}

BOOST_AUTO_TEST_CASE(rate_limit_per_sender_counts_each_sender) {
    config.stages = kAllStages;
    config.channels = {form_with({{"rate_limit", "{requests: 1, window: 1h, key: sender}"}})};
    start();
    BOOST_TEST(post(port, form_json("s1", "a", "first")).status == 200);
    BOOST_TEST(post(port, form_json("s2", "a", "first")).status == 200);
    check_error(post(port, form_json("s1", "a", "second")), 429, "rate_limited");
    BOOST_TEST(count_messages(*this) == 2);
}

BOOST_AUTO_TEST_CASE(redis_rate_limit_holds_across_two_instances_and_fails_open) {
    RedisServer redis;
    config.stages = kAllStages;
    config.pipeline_extra = "  rate_limit: {backend: redis, redis_url: \"" + redis.url() + "\"}\n";
    config.channels = {form_with({{"rate_limit", "{requests: 3, window: 1h, key: channel}"}})};
    start();
    // A second gateway on the same storage and the same Redis.
    GatewayProcess::Options options;
    options.args = {"serve", "-c", config_file().string()};
    options.log_file = dir / "gateway2.log";
    options.work_dir = dir.path();
    GatewayProcess second(std::move(options));
    const std::uint16_t port2 = second.wait_until_listening();

    BOOST_TEST(post(port, form_json("x1")).status == 200);
    BOOST_TEST(post(port2, form_json("x2")).status == 200);
    BOOST_TEST(post(port, form_json("x3")).status == 200);
    check_error(post(port2, form_json("x4")), 429, "rate_limited");
    check_error(post(port, form_json("x5")), 429, "rate_limited");
    BOOST_TEST(count_messages(*this) == 3);

    // Redis down: requests are let through rather than refused or failed.
    redis.stop();
    BOOST_TEST(post(port, form_json("x6")).status == 200);
    BOOST_TEST(post(port2, form_json("x7")).status == 200);
    BOOST_TEST(count_messages(*this) == 5);
    BOOST_TEST(second.stop().clean());
    BOOST_TEST(gateway->log().find("rate_limit_redis_unavailable") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(enrich_stores_language_and_priority) {
    config.stages = kAllStages;
    start();
    BOOST_REQUIRE(post(port, form_json("e1", "URGENT : rappel",
                                       "Bonjour, merci de me rappeler immédiatement au sujet "
                                       "de mon dossier de divorce."))
                      .status == 200);
    BOOST_REQUIRE(post(port, form_json("e2", "Our newsletter",
                                       "Hello, here is the monthly newsletter of our office with "
                                       "all the news of the month."))
                      .status == 200);
    auto rows =
        database()->query("SELECT language, priority, sender_masked FROM messages ORDER BY id");
    BOOST_REQUIRE_EQUAL(rows.size(), 2U);
    BOOST_TEST(rows[0].at("language").value_or("") == "fr");
    BOOST_TEST(rows[0].at("priority").value_or("") == "high");
    BOOST_TEST(rows[0].at("sender_masked").value_or("") == "j***@e***.org");
    BOOST_TEST(rows[1].at("language").value_or("") == "en");
    BOOST_TEST(rows[1].at("priority").value_or("") == "low");
}

BOOST_AUTO_TEST_CASE(priority_keywords_beside_french_typography_are_found) {
    config.stages = kAllStages;
    start();
    // Guillemets, an ellipsis and a curly apostrophe, as French keyboards and phones write them.
    BOOST_REQUIRE(post(port, form_json("t1", "«Urgent»", "Merci de me rappeler.")).status == 200);
    BOOST_REQUIRE(
        post(port, form_json("t2", "Dossier", "Pouvez-vous me rappeler au plus vite…")).status ==
        200);
    BOOST_REQUIRE(post(port, form_json("t3", "Dossier", "C’est l’urgence, merci.")).status == 200);
    auto rows = database()->query("SELECT priority FROM messages ORDER BY id");
    BOOST_REQUIRE_EQUAL(rows.size(), 3U);
    for (const auto& row : rows) BOOST_TEST(row.at("priority").value_or("") == "high");
}

BOOST_AUTO_TEST_CASE(dry_runs_have_their_own_figures_and_rate_budget) {
    config.stages = kAllStages;
    config.channels = {form_with({{"rate_limit", "{requests: 2, window: 1h, key: ip}"}})};
    start();
    // Two dry runs use up their own budget, not the channel's: the real posts still pass.
    BOOST_TEST(post(port, form_json("b1"), {}, "/webhooks/form?dry_run=1").status == 200);
    BOOST_TEST(post(port, form_json("b2"), {}, "/webhooks/form?dry_run=1").status == 200);
    check_error(post(port, form_json("b3"), {}, "/webhooks/form?dry_run=1"), 429, "rate_limited");
    BOOST_TEST(post(port, form_json("r1")).status == 200);
    BOOST_TEST(post(port, form_json("r2")).status == 200);
    check_error(post(port, form_json("r3")), 429, "rate_limited");
    BOOST_TEST(count_messages(*this) == 2);

    const std::string scrape = http_get(port, "/metrics").body;
    auto has = [&](const std::string& line) {
        return scrape.find(line + "\n") != std::string::npos;
    };
    BOOST_TEST(has(R"(memolib_requests_total{channel="form",status="200",reason=""} 2)"), scrape);
    BOOST_TEST(
        has(R"(memolib_requests_total{channel="form",status="429",reason="rate_limited"} 1)"),
        scrape);
    BOOST_TEST(has(R"(memolib_rate_limited_total{channel="form"} 1)"), scrape);
    BOOST_TEST(has(R"(memolib_dry_runs_total{channel="form",status="200",reason=""} 2)"), scrape);
    BOOST_TEST(
        has(R"(memolib_dry_runs_total{channel="form",status="429",reason="rate_limited"} 1)"),
        scrape);
    BOOST_TEST(has(R"(memolib_request_duration_seconds_count{channel="form"} 3)"), scrape);

    auto dashboard = parse_json(http_get(port, "/api/monitoring/metrics-dashboard").body);
    BOOST_TEST(dashboard["totals"]["requests"].GetInt() == 3);
}

BOOST_AUTO_TEST_CASE(dry_run_normalizes_and_stores_and_counts_nothing) {
    config.stages = kAllStages;
    start();
    const std::string body =
        form_json("d1", "Urgent", "Bonjour, je voudrais un rendez-vous rapidement.");
    HttpResponse dry = post(port, body, {}, "/webhooks/form?dry_run=1");
    BOOST_REQUIRE_EQUAL(dry.status, 200);
    auto json = parse_json(dry.body);
    BOOST_TEST(string_member(json, "status") == "dry_run");
    const auto& m = json["messages"][0];
    BOOST_TEST(string_member(m, "sender") == "jeanne.d1@example.org");
    BOOST_TEST(string_member(m, "sender_masked") == "j***@e***.org");
    BOOST_TEST(string_member(m, "language") == "fr");
    BOOST_TEST(string_member(m, "priority") == "high");
    BOOST_TEST(string_member(m, "dedup_key").size() == 64U);
    BOOST_TEST(count_messages(*this) == 0);
    // Not counted as a duplicate either: the real post afterwards is stored.
    HttpResponse real = post(port, body);
    BOOST_TEST(real.status == 200);
    BOOST_TEST(string_member(parse_json(real.body)["messages"][0], "checksum") ==
               string_member(m, "dedup_key"));
    BOOST_TEST(count_messages(*this) == 1);
}

BOOST_AUTO_TEST_CASE(a_retry_gets_the_first_answer_and_later_a_409) {
    config.stages = kAllStages;
    config.pipeline_extra = "  cache: {max_entries: 10, ttl: 1s}\n";
    start();
    const std::string body = form_json("c1");
    HttpResponse first = post(port, body);
    BOOST_REQUIRE_EQUAL(first.status, 200);
    const auto first_json = parse_json(first.body);
    HttpResponse replay = post(port, body);
    BOOST_TEST(replay.status == 200);
    BOOST_TEST(replay.header("X-Idempotent-Replay").value_or("") == "true");
    const auto replay_json = parse_json(replay.body);
    BOOST_TEST(replay_json["messages"][0]["id"].GetInt64() ==
               first_json["messages"][0]["id"].GetInt64());
    BOOST_TEST(string_member(replay_json, "request_id") != string_member(first_json, "request_id"));
    // Past the TTL the dedup index answers: a duplicate of the first row, still one row.
    std::this_thread::sleep_for(std::chrono::milliseconds(1200));
    HttpResponse later = post(port, body);
    check_error(later, 409, "duplicate");
    BOOST_TEST(parse_json(later.body)["messages"][0]["id"].GetInt64() ==
               first_json["messages"][0]["id"].GetInt64());
    BOOST_TEST(count_messages(*this) == 1);
    const std::string metrics = http_get(port, "/metrics").body;
    BOOST_TEST(metrics.find("memolib_cache_hits_total{cache=\"dedup\"} 1\n") != std::string::npos,
               metrics);
}

BOOST_AUTO_TEST_CASE(a_retry_in_other_bytes_is_replayed_too_and_the_log_names_it) {
    config.stages = kAllStages;
    start();
    const std::string body = form_json("c2");
    BOOST_REQUIRE_EQUAL(post(port, body).status, 200);
    // The same message in other bytes (spaces in the JSON): not the raw form the cache saw,
    // but the same messages once parsed.
    std::string spaced = body;
    spaced.insert(1, "  ");
    HttpResponse other_bytes = post(port, spaced);
    BOOST_TEST(other_bytes.status == 200);
    BOOST_TEST(other_bytes.header("X-Idempotent-Replay").value_or("") == "true");
    // The byte-identical retry is answered before parse; its log line still names the
    // provider and the masked sender.
    HttpResponse same_bytes = post(port, body);
    BOOST_TEST(same_bytes.header("X-Idempotent-Replay").value_or("") == "true");
    const std::string id = same_bytes.header("X-Request-Id").value_or("");
    bool logged = false;
    for (const LogEvent& e : gateway->events()) {
        if (e.get("event") != "request" || e.get("request_id") != id) continue;
        logged = true;
        BOOST_TEST(e.get("reason") == "replayed");
        BOOST_TEST(e.get("provider") == "website");
        BOOST_TEST(e.get("sender_masked") == "j***@e***.org");
    }
    BOOST_TEST(logged);
    BOOST_TEST(count_messages(*this) == 1);
}

BOOST_AUTO_TEST_CASE(duplicate_status_200_for_providers_that_retry) {
    config.channels = {form_with({{"duplicate_status", "200"}})};
    start();
    const std::string body = form_json("p1");
    BOOST_REQUIRE_EQUAL(post(port, body).status, 200);
    HttpResponse again = post(port, body);
    BOOST_TEST(again.status == 200);
    auto json = parse_json(again.body);
    BOOST_TEST(string_member(json, "status") == "duplicate");
    BOOST_TEST(string_member(json["messages"][0], "status") == "duplicate");
    BOOST_TEST(count_messages(*this) == 1);
}

// The size_limit stage refuses early, but an operator may leave it out: the channel's
// max_body still holds, for a Content-Length over it (refused before the body is read) and
// for a chunked body that grows past it. Nothing is stored, and the gateway still serves.
BOOST_AUTO_TEST_CASE(without_the_size_limit_stage_max_body_still_holds) {
    config.stages = {"verify", "parse", "dedup", "persist"};
    config.channels = {
        {"form", {{"plugin", "form"}, {"max_body", "1KiB"}, {"default_region", "FR"}}}};
    start();
    const std::string head =
        "POST /webhooks/form HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n";
    {
        HttpConnection connection(port, std::chrono::seconds(10));
        connection.send_all(head + "Content-Length: 5000\r\n\r\n");
        check_error(connection.read_response(), 413, "payload_too_large");
    }
    {
        HttpConnection connection(port, std::chrono::seconds(10));
        connection.send_all(head + "Transfer-Encoding: chunked\r\n\r\n");
        const std::string chunk(600, ' ');
        connection.send_watching("258\r\n" + chunk + "\r\n258\r\n" + chunk + "\r\n0\r\n\r\n");
        check_error(connection.read_response(), 413, "payload_too_large");
    }
    BOOST_TEST(count_messages(*this) == 0);
    BOOST_TEST(post(port, form_json("after")).status == 200);
}

BOOST_AUTO_TEST_CASE(large_answers_are_gzipped_when_the_client_accepts_it) {
    config.stages = kAllStages;
    start();
    std::string text(3000, 'x');
    const std::string body = form_json("z1", "Long", text);
    const Headers same_id = {{"X-Request-Id", "gzip-test"}};
    HttpResponse plain = post(port, body, same_id, "/webhooks/form?dry_run=1");
    Headers gzip_headers = same_id;
    gzip_headers.emplace_back("Accept-Encoding", "gzip, deflate");
    HttpResponse gz = post(port, body, gzip_headers, "/webhooks/form?dry_run=1");
    BOOST_REQUIRE_EQUAL(gz.status, 200);
    BOOST_TEST(!plain.header("Content-Encoding").has_value());
    BOOST_TEST(gz.header("Content-Encoding").value_or("") == "gzip");
    BOOST_TEST(gz.body.size() < plain.body.size() / 4);
    const auto unzipped = parse_json(gunzip(gz.body));
    BOOST_TEST(string_member(unzipped["messages"][0], "text") ==
               string_member(parse_json(plain.body)["messages"][0], "text"));
    // Small answers stay as they are.
    HttpResponse small = http_get(port, "/health", {{"Accept-Encoding", "gzip"}});
    BOOST_TEST(!small.header("Content-Encoding").has_value());
}

BOOST_AUTO_TEST_CASE(metrics_parse_and_count_what_happened) {
    config.stages = kAllStages;
    config.channels = {form_with({{"typeform_secret", "\"s3cret\""}, {"verify", "report"}})};
    start();
    std::ifstream in(std::string(MEMOLIB_SOURCE_DIR) +
                     "/plugins/form/tests/fixtures/typeform_contact.json");
    const std::string typeform((std::istreambuf_iterator<char>(in)),
                               std::istreambuf_iterator<char>());
    BOOST_REQUIRE(!typeform.empty());
    // A wrong signature under `verify: report` is accepted, and counted.
    BOOST_TEST(post(port, typeform, {{"Typeform-Signature", "sha256=AAAA"}}).status == 200);
    BOOST_TEST(post(port, form_json("m1")).status == 200);
    BOOST_TEST(post(port, form_json("m1")).status == 200);  // a replay
    check_error(post(port, "{"), 400, "invalid_payload");

    HttpResponse scrape = http_get(port, "/metrics");
    BOOST_REQUIRE_EQUAL(scrape.status, 200);
    BOOST_TEST(scrape.header("Content-Type").value_or("").rfind("text/plain; version=0.0.4", 0) ==
               0);
    const auto file = dir / "metrics.txt";
    write_file(file, scrape.body);
    const auto parsed = run_process(
        {"/usr/bin/python3", std::string(MEMOLIB_SOURCE_DIR) + "/tests/tools/parse_metrics.py",
         file.string()},
        dir.path());
    BOOST_REQUIRE_MESSAGE(parsed.status.clean(),
                          "the Prometheus parser refused /metrics: " << parsed.err);
    auto has = [&](const std::string& line) {
        return parsed.out.find(line + "\n") != std::string::npos;
    };
    BOOST_TEST(has("memolib_verification_failures_total{channel=form,mode=report} 1"), parsed.out);
    BOOST_TEST(has("memolib_requests_total{channel=form,reason=,status=200} 2"), parsed.out);
    BOOST_TEST(has("memolib_requests_total{channel=form,reason=replayed,status=200} 1"),
               parsed.out);
    BOOST_TEST(has("memolib_requests_total{channel=form,reason=invalid_payload,status=400} 1"),
               parsed.out);
    BOOST_TEST(has("memolib_messages_stored_total{channel=form} 2"), parsed.out);
    BOOST_TEST(has("memolib_cache_hits_total{cache=replay} 1"), parsed.out);
    BOOST_TEST(has("memolib_request_duration_seconds_count{channel=form} 4"), parsed.out);
    BOOST_TEST(has("memolib_plugins_loaded{name=form,version=1.1.0} 1"), parsed.out);
}

BOOST_AUTO_TEST_CASE(dry_run_command_normalizes_a_file_offline) {
    config.stages = kAllStages;
    write_file(config_file(), config.to_yaml());
    const auto payload = dir / "contact.json";
    write_file(payload,
               form_json("cli", "Urgent", "Bonjour, je voudrais un rendez-vous rapidement."));
    const auto ok = run_process({gateway_binary().string(), "dry-run", "-c", config_file().string(),
                                 "form", payload.string()},
                                dir.path());
    BOOST_REQUIRE_MESSAGE(ok.status.clean(), "dry-run " << ok.status.describe() << ": " << ok.err);
    auto json = parse_json(ok.out);
    BOOST_TEST(string_member(json, "status") == "dry_run");
    BOOST_TEST(string_member(json["messages"][0], "sender") == "jeanne.cli@example.org");
    BOOST_TEST(string_member(json["messages"][0], "priority") == "high");

    const auto bad = dir / "bad.json";
    write_file(bad, R"({"email":"not-an-address"})");
    const auto refused = run_process(
        {gateway_binary().string(), "dry-run", "-c", config_file().string(), "form", bad.string()},
        dir.path());
    BOOST_TEST(!refused.status.clean());
    BOOST_TEST(string_member(parse_json(refused.out), "error") == "invalid_payload");
    // Offline means offline: the SQLite file was not created (PostgreSQL: nothing to check).
    if (storage.backend() == "sqlite") BOOST_TEST(!std::filesystem::exists(storage.url()));
}

// The eight-stage list of old and the list naming replay and sender_rate_limit run the same
// steps: a byte-identical retry is replayed before parse (so before the per-sender count),
// and a second message from the same sender is refused after parse.
void replay_and_sender_limit_run_as_before(GatewayFixture& f,
                                           const std::vector<std::string>& stages) {
    f.config.stages = stages;
    f.config.channels = {form_with({{"rate_limit", "{requests: 1, window: 1h, key: sender}"}})};
    f.start();
    const std::string body = form_json("o1", "a", "first");
    HttpResponse first = post(f.port, body);
    BOOST_REQUIRE_EQUAL(first.status, 200);
    HttpResponse retry = post(f.port, body);
    BOOST_TEST(retry.status == 200);
    BOOST_TEST(retry.header("X-Idempotent-Replay").value_or("") == "true");
    check_error(post(f.port, form_json("o1", "a", "second")), 429, "rate_limited");
    BOOST_TEST(post(f.port, form_json("o2", "a", "first")).status == 200);
    BOOST_TEST(count_messages(f) == 2);
}

BOOST_AUTO_TEST_CASE(the_old_eight_stage_list_runs_replay_and_the_sender_limit_as_before) {
    replay_and_sender_limit_run_as_before(*this, kAllStages);
    // Said once, at start, with what is run.
    const std::string log = gateway->log();
    const std::size_t at = log.find("pipeline_stages_read_as");
    BOOST_REQUIRE(at != std::string::npos);
    BOOST_TEST(log.find("pipeline_stages_read_as", at + 1) == std::string::npos);
    BOOST_TEST(log.find("size_limit, rate_limit, verify, replay, parse, sender_rate_limit, "
                        "enrich, dedup, cache, persist") != std::string::npos,
               log);
}

BOOST_AUTO_TEST_CASE(the_list_naming_every_step_runs_the_same_and_is_taken_as_written) {
    replay_and_sender_limit_run_as_before(*this, kAllStagesNamed);
    BOOST_TEST(gateway->log().find("pipeline_stages_read_as") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(validate_shows_how_an_old_list_is_read) {
    config.stages = kAllStages;
    write_file(config_file(), config.to_yaml());
    const auto result = run_process(
        {gateway_binary().string(), "validate", "-c", config_file().string()}, dir.path());
    BOOST_TEST(result.status.clean(), result.err);
    BOOST_TEST(result.out.find("pipeline.stages [size_limit, rate_limit, verify, parse, enrich, "
                               "dedup, cache, persist] is read as [size_limit, rate_limit, "
                               "verify, replay, parse, sender_rate_limit, enrich, dedup, cache, "
                               "persist]") != std::string::npos,
               result.out);
}

BOOST_AUTO_TEST_SUITE_END()

// Run only on PostgreSQL (CTest selects it), whose server the test can stop and start again;
// without the spool (e2e_faults_spool_test has it), so that the outage is answered 503.
BOOST_FIXTURE_TEST_SUITE(postgresql_outage, GatewayFixture)

BOOST_AUTO_TEST_CASE(storage_outage_is_503_with_retry_after_and_recovers_without_restart) {
    BOOST_REQUIRE(current_backend() == "postgresql");
    config.pipeline_extra = "  retry: {max_attempts: 2, base_delay: 50ms, max_delay: 200ms}\n";
    config.spool_path = "";
    start();
    BOOST_REQUIRE_EQUAL(post(port, form_json("o1")).status, 200);
    pg("pause");
    HttpResponse down = post(port, form_json("o2"));
    // Not ready while the storage is down (so a load balancer sends the traffic elsewhere)...
    HttpResponse not_ready = http_get(port, "/ready");
    pg("resume");
    auto json = check_error(down, 503, "storage_unavailable");
    BOOST_TEST(!down.header("Retry-After").value_or("").empty());
    check_error(not_ready, 503, "storage_unavailable");
    // ...and ready again as soon as it answers, before any write has succeeded: readiness
    // must not wait for traffic that a load balancer withholds from an unready instance.
    BOOST_TEST(http_get(port, "/ready").status == 200);
    // Back without a restart; the refused message can be sent again and is stored once.
    HttpResponse back = post(port, form_json("o2"));
    BOOST_TEST(back.status == 200);
    BOOST_TEST(count_messages(*this) == 2);
}

BOOST_AUTO_TEST_SUITE_END()
