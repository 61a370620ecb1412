// Storage and Redis that stop answering, under load: a full disk (SQLite on a small tmpfs), a
// hung PostgreSQL and a hung Redis (their processes SIGSTOPped: the kernel still accepts
// connections, nothing answers), a stopped PostgreSQL seen through /ready, and libpq's notices
// in the log. Whatever happens: 503 + Retry-After within a bounded time (never 500, never a
// hang), /ready answers at once and tells the truth without naming the database's host, no 2xx
// for a message not stored, and service again without a restart.
// PostgreSQL's cases run with the spool off (storage.spool.path ""): e2e_faults_spool_test
// has the answers of an outage with it.
// CTest runs the sqlite_* and redis_* suites on SQLite, and the postgresql_* suites with
// `-- --backend=postgresql`, alone (they freeze and stop the server every test shares).
#define BOOST_TEST_MODULE e2e_faults_storage
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "support/e2e_fixture.hpp"
#include "support/http_client.hpp"
#include "support/json.hpp"
#include "support/load.hpp"
#include "support/postgres_outage.hpp"
#include "support/redis_server.hpp"
#include "support/tmpfs.hpp"

using namespace memolib::test;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

constexpr const char* kToken = "e2e-storage-admin-token";

long long ms(Clock::duration d) { return std::chrono::duration_cast<milliseconds>(d).count(); }

struct ReadyAnswer {
    int status = 0;
    std::string body;
    long long latency_ms = 0;
    Clock::time_point sent_at;
};

ReadyAnswer get_ready(std::uint16_t port, const Headers& headers = {}) {
    ReadyAnswer answer;
    answer.sent_at = Clock::now();
    HttpRequest request;
    request.target = "/ready";
    request.headers = headers;
    const HttpResponse response = http_request(port, request, seconds(10));
    answer.latency_ms = ms(Clock::now() - answer.sent_at);
    answer.status = response.status;
    answer.body = response.body;
    return answer;
}

// Posts tagged probes, 100 ms apart, until one is stored or `bound` passes; each probe joins
// `record`. Returns when the first 200 came (a default time point when none did).
Clock::time_point post_until_stored(std::uint16_t port, LoadRecord& record,
                                    const std::string& prefix, Clock::duration bound) {
    const auto began = Clock::now();
    for (int i = 0; Clock::now() - began < bound; ++i) {
        const std::string tag = prefix + "-" + std::to_string(i) + "-" + random_hex(6);
        record.sent.push_back(tag);
        try {
            const Answer answer = post_tagged(port, tag, seconds(20));
            record.answered[tag] = answer;
            if (answer.status == 200) return answer.answered_at;
        } catch (const HttpError&) {
            record.unanswered.insert(tag);
        }
        std::this_thread::sleep_for(milliseconds(100));
    }
    return {};
}

void merge(LoadRecord& into, const LoadRecord& from) {
    for (const auto& tag : from.sent) into.sent.push_back(tag);
    into.answered.insert(from.answered.begin(), from.answered.end());
    into.unanswered.insert(from.unanswered.begin(), from.unanswered.end());
}

void wait_for_successes(const FormLoad& load, std::size_t wanted) {
    BOOST_REQUIRE_MESSAGE(load.wait_for_successes(wanted, seconds(20)),
                          "the load ran: " << load.successes() << " 2xx");
}

std::size_t count_events(const std::vector<LogEvent>& events, std::size_t from, std::size_t to,
                         const std::string& event) {
    std::size_t n = 0;
    for (std::size_t i = from; i < std::min(to, events.size()); ++i) {
        n += events[i].get("event") == event ? 1U : 0U;
    }
    return n;
}

// The port of a libpq URL "postgresql://user@host:PORT/db".
std::string url_port(const std::string& url) {
    const auto at = url.find('@');
    const auto colon = url.find(':', at == std::string::npos ? 0 : at);
    const auto slash = url.find('/', colon);
    return colon == std::string::npos ? std::string() : url.substr(colon + 1, slash - colon - 1);
}

std::string monitoring_yaml() {
    return std::string("monitoring:\n  admin_token: \"") + kToken + "\"\n";
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(sqlite_disk_full, GatewayFixture)

BOOST_AUTO_TEST_CASE(a_full_disk_is_503_with_retry_after_and_recovers_without_restart) {
    BOOST_REQUIRE(current_backend() == "sqlite");
    TmpfsMount disk(dir / "disk", "16m");
    if (!disk.mounted()) {
        BOOST_WARN_MESSAGE(false, "SKIPPED: mounting a tmpfs is not permitted here ("
                                      << disk.error() << "); run the test as root");
        return;
    }
    const std::filesystem::path db_file = disk.path() / "memolib.db";
    config.storage_url = db_file.string();
    config.stages = {"size_limit", "verify", "parse", "dedup", "persist"};
    config.pipeline_extra = "  retry: {max_attempts: 2, base_delay: 20ms, max_delay: 100ms}\n";
    start();
    auto db = open_sqlite(db_file);

    FormLoad::Options options;
    options.port = port;
    options.clients = 4;
    options.tag_prefix = "full";
    FormLoad load(options);
    wait_for_successes(load, 50);

    const std::filesystem::path filler = disk.path() / "filler";
    const auto fill_began = Clock::now();
    const std::size_t filled = fill_until_full(filler);
    const auto full_since = Clock::now();

    // The writes now fail: 503 with Retry-After, and /ready says so, within a bounded time.
    std::size_t unavailable = 0;
    std::string statuses;
    std::vector<ReadyAnswer> ready_while_full;
    while (Clock::now() - full_since < seconds(20)) {
        const LoadRecord seen = load.snapshot();
        const auto it = seen.statuses.find(503);
        unavailable = it == seen.statuses.end() ? 0 : static_cast<std::size_t>(it->second);
        statuses.clear();
        for (const auto& [status, count] : seen.statuses) {
            statuses += " " + std::to_string(status) + "×" + std::to_string(count);
        }
        if (unavailable >= 20) break;
        std::this_thread::sleep_for(milliseconds(50));
    }
    BOOST_REQUIRE_MESSAGE(unavailable >= 20, "the full disk was answered 503 "
                                                 << unavailable
                                                 << " times in 20 s; answers:" << statuses);
    for (int i = 0; i < 5; ++i) {
        ready_while_full.push_back(get_ready(port));
        std::this_thread::sleep_for(milliseconds(100));
    }
    load.stop();
    LoadRecord record = load.snapshot();
    for (const ReadyAnswer& ready : ready_while_full) {
        // Read while the load still met the full disk: /ready says so for a few seconds after
        // the last failed write only, so that a load balancer tries the instance again.
        BOOST_TEST_CONTEXT("/ready while full: " << ready.status << " " << ready.body) {
            BOOST_TEST(ready.status == 503);
            BOOST_TEST(ready.body.find("\"storage_unavailable\"") != std::string::npos);
        }
    }

    // Before the disk filled, every answer is a 200. Once it is full, a commit still fits
    // where SQLite reuses pages it already holds (the WAL after a checkpoint), so which request
    // meets the full disk is SQLite's choice: for those, a 200 is one row (the exactly-once
    // check below) and a 503 says why and when to retry.
    for (const auto& [tag, answer] : record.answered) {
        BOOST_TEST_CONTEXT(tag << " answered " << answer.status << " " << answer.body) {
            if (answer.answered_at < fill_began) BOOST_TEST(answer.status == 200);
            if (answer.status == 503) {
                BOOST_TEST(answer.outcome == "storage_unavailable");
                BOOST_TEST(!answer.retry_after.empty(), "a 503 has a Retry-After");
            }
        }
    }
    BOOST_TEST(record.unanswered.empty(), record.unanswered.size() << " requests got no answer");
    for (const auto& problem : check_stored_once(record, rows_by_tag(*db))) {
        BOOST_ERROR("while full: " << problem);
    }
    BOOST_TEST(db->query("PRAGMA integrity_check").at(0).begin()->second.value_or("") == "ok");

    // Space freed: stored again, and ready again, without a restart.
    std::filesystem::remove(filler);
    const auto freed = Clock::now();
    LoadRecord probes;
    const auto recovered = post_until_stored(port, probes, "after", seconds(10));
    BOOST_REQUIRE_MESSAGE(recovered != Clock::time_point{}, "no 200 within 10 s of freeing space");
    ReadyAnswer ready_again;
    for (int i = 0; i < 30; ++i) {
        ready_again = get_ready(port);
        if (ready_again.status == 200) break;
        std::this_thread::sleep_for(milliseconds(100));
    }
    BOOST_TEST(ready_again.status == 200, "/ready after freeing space: " << ready_again.body);
    BOOST_TEST(gateway->running());
    merge(record, probes);
    for (const auto& problem : check_stored_once(record, rows_by_tag(*db))) {
        BOOST_ERROR("after freeing space: " << problem);
    }
    BOOST_TEST(db->query("PRAGMA integrity_check").at(0).begin()->second.value_or("") == "ok");
    BOOST_TEST_MESSAGE("filled " << filled / 1024 << " KiB; " << record.successes() << " 2xx, "
                                 << unavailable << "+ 503; stored again " << ms(recovered - freed)
                                 << " ms after freeing space");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(redis_hang, GatewayFixture)

BOOST_AUTO_TEST_CASE(a_hung_redis_stalls_no_more_than_the_requests_in_flight_and_recovers_once) {
    RedisServer redis;
    config.stages = {"size_limit", "rate_limit", "verify", "parse", "dedup", "persist"};
    config.pipeline_extra =
        "  rate_limit: {backend: redis, redis_url: \"" + redis.url() + "\", timeout: 1s}\n";
    ChannelConfig form = GatewayConfig::form_channel();
    form.settings.emplace_back("rate_limit", "{requests: 1000000, window: 1h, key: channel}");
    config.channels = {form};
    start();

    constexpr int kClients = 4;
    FormLoad::Options options;
    options.port = port;
    options.clients = kClients;
    options.tag_prefix = "redis";
    FormLoad load(options);
    wait_for_successes(load, 50);

    const std::size_t events_before = gateway->events().size();
    redis.freeze();
    const auto frozen = Clock::now();
    std::this_thread::sleep_for(seconds(6));
    const auto thaw_began = Clock::now();
    const std::size_t events_frozen = gateway->events().size();
    redis.thaw();

    // Recovered once a command succeeds again: one line, soon.
    std::size_t recovered_lines = 0;
    for (int i = 0; i < 50 && recovered_lines == 0; ++i) {
        std::this_thread::sleep_for(milliseconds(100));
        const auto events = gateway->events();
        recovered_lines =
            count_events(events, events_frozen, events.size(), "rate_limit_redis_recovered");
    }
    std::this_thread::sleep_for(milliseconds(1500));
    load.stop();
    const auto events = gateway->events();
    const LoadRecord record = load.snapshot();

    std::size_t during = 0;
    std::size_t stalled = 0;
    long long slowest = 0;
    for (const auto& [tag, answer] : record.answered) {
        BOOST_TEST_CONTEXT(tag << " answered " << answer.status << " " << answer.body) {
            BOOST_TEST(answer.status == 200, "the rate limit fails open");
        }
        if (answer.sent_at < frozen || answer.sent_at > thaw_began) continue;
        ++during;
        slowest = std::max<long long>(slowest, answer.latency.count());
        // A request that waited for Redis's timeout (1 s), or behind one that did: far above
        // what a commit's fsync ever takes on a busy machine.
        if (answer.latency >= milliseconds(800)) ++stalled;
    }
    BOOST_TEST(record.unanswered.empty());
    BOOST_TEST(during >= 50U, "the load went on during the freeze: " << during << " requests");
    BOOST_TEST(stalled <= static_cast<std::size_t>(kClients),
               stalled << " requests during the freeze waited for Redis");
    BOOST_TEST(slowest < 3000, "the slowest request during the freeze took " << slowest << " ms");
    BOOST_TEST(count_events(events, events_before, events_frozen, "rate_limit_redis_unavailable") ==
               1U);
    BOOST_TEST(count_events(events, events_before, events_frozen, "rate_limit_redis_recovered") ==
               0U);
    BOOST_TEST(count_events(events, events_frozen, events.size(), "rate_limit_redis_recovered") ==
               1U);
    BOOST_TEST_MESSAGE(during << " requests during the 6 s freeze, " << stalled
                              << " of them stalled, the slowest " << slowest << " ms");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(postgresql_hang, GatewayFixture)

BOOST_AUTO_TEST_CASE(a_hung_postgresql_is_503_within_seconds_and_ready_answers_at_once) {
    BOOST_REQUIRE_MESSAGE(current_backend() == "postgresql", "run with -- --backend=postgresql");
    config.stages = {"size_limit", "verify", "parse", "dedup", "persist"};
    config.storage_extra = "  timeout: 2s\n";
    config.spool_path = "";
    config.extra_yaml = monitoring_yaml();
    start();

    FormLoad::Options options;
    options.port = port;
    options.clients = 8;
    options.tag_prefix = "hang";
    options.timeout = seconds(60);
    FormLoad load(options);
    wait_for_successes(load, 50);

    freeze_test_postgresql();
    const auto frozen = Clock::now();
    std::vector<ReadyAnswer> readies;
    while (Clock::now() - frozen < seconds(10)) {
        try {
            readies.push_back(get_ready(port));
        } catch (const HttpError& e) {
            BOOST_ERROR("/ready got no answer while PostgreSQL hung: " << e.what());
        }
        std::this_thread::sleep_for(milliseconds(250));
    }
    const auto thaw_began = Clock::now();
    try {
        thaw_test_postgresql();
    } catch (const std::exception& e) {
        load.stop();
        BOOST_FAIL("PostgreSQL could not be thawed: " << e.what());
    }
    LoadRecord probes;
    const auto recovered = post_until_stored(port, probes, "thawed", seconds(15));
    BOOST_REQUIRE_MESSAGE(recovered != Clock::time_point{}, "no 200 within 15 s of the thaw");
    std::this_thread::sleep_for(milliseconds(500));
    load.stop();
    LoadRecord record = load.snapshot();
    merge(record, probes);

    long long slowest_ready = 0;
    for (const ReadyAnswer& ready : readies) {
        slowest_ready = std::max(slowest_ready, ready.latency_ms);
        BOOST_TEST_CONTEXT("/ready " << ms(ready.sent_at - frozen) << " ms into the freeze: "
                                     << ready.status << " " << ready.body) {
            BOOST_TEST(ready.latency_ms < 2000);
            if (ready.sent_at - frozen > seconds(3)) BOOST_TEST(ready.status == 503);
        }
    }
    std::size_t unavailable = 0;
    long long slowest_503 = 0;
    for (const auto& [tag, answer] : record.answered) {
        BOOST_TEST_CONTEXT(tag << " answered " << answer.status << " after "
                               << answer.latency.count() << " ms: " << answer.body) {
            if (answer.answered_at < frozen) BOOST_TEST(answer.status == 200, "before the freeze");
            if (answer.sent_at > recovered) BOOST_TEST(answer.status == 200, "after the thaw");
            if (answer.status == 503) {
                ++unavailable;
                slowest_503 = std::max<long long>(slowest_503, answer.latency.count());
                BOOST_TEST(answer.outcome == "storage_unavailable");
                BOOST_TEST(!answer.retry_after.empty(), "a 503 has a Retry-After");
            }
            // Waiting during the freeze: answered within a few seconds, whatever the answer. A
            // request can join a batch whose attempt has begun, then wait out its retries: three
            // 2 s storage timeouts, and some scheduling slack on a busy machine.
            if (answer.answered_at > frozen && answer.sent_at < thaw_began) {
                BOOST_TEST(answer.latency.count() < 7000);
            }
            if (answer.sent_at > frozen + seconds(1) && answer.answered_at < thaw_began) {
                BOOST_TEST(answer.status == 503, "during the freeze");
            }
        }
    }
    BOOST_TEST(record.unanswered.empty(), record.unanswered.size() << " requests got no answer");
    BOOST_TEST(unavailable > 0U);
    BOOST_TEST(gateway->running());
    for (const auto& problem : check_stored_once(record, rows_by_tag(*database()))) {
        BOOST_ERROR(problem);
    }
    BOOST_TEST_MESSAGE(readies.size()
                       << " /ready during the freeze, the slowest " << slowest_ready << " ms; "
                       << unavailable << " answered 503, the slowest after " << slowest_503
                       << " ms; stored again " << ms(recovered - thaw_began)
                       << " ms after the thaw");
}

BOOST_AUTO_TEST_CASE(ready_names_no_database_host_unless_the_admin_asks) {
    BOOST_REQUIRE_MESSAGE(current_backend() == "postgresql", "run with -- --backend=postgresql");
    config.spool_path = "";
    config.extra_yaml = monitoring_yaml();
    start();
    BOOST_REQUIRE_EQUAL(get_ready(port).status, 200);

    pause_test_postgresql();
    struct Resume {
        ~Resume() {
            try {
                resume_test_postgresql();
            } catch (const std::exception& e) {
                BOOST_ERROR("PostgreSQL could not be started again: " << e.what());
            }
        }
    } resume;
    ReadyAnswer down;
    for (int i = 0; i < 50; ++i) {
        down = get_ready(port);
        if (down.status == 503) break;
        std::this_thread::sleep_for(milliseconds(100));
    }
    HttpResponse anonymous = http_get(port, "/ready");
    check_error(anonymous, 503, "storage_unavailable");
    BOOST_TEST(!anonymous.header("Retry-After").value_or("").empty());
    const std::string port_text = url_port(storage.url());
    BOOST_REQUIRE(!port_text.empty());
    for (const std::string& secret :
         {port_text, std::string("127.0.0.1"), std::string("host"),
          std::string("connection to server"), std::string("postgres")}) {
        BOOST_TEST(anonymous.body.find(secret) == std::string::npos,
                   "/ready shows '" << secret << "': " << anonymous.body);
    }
    // The admin gets the detail.
    HttpResponse admin =
        http_get(port, "/ready", {{"Authorization", std::string("Bearer ") + kToken}});
    check_error(admin, 503, "storage_unavailable");
    BOOST_TEST(admin.body.find(port_text) != std::string::npos, admin.body);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(postgresql_notices, GatewayFixture)

BOOST_AUTO_TEST_CASE(every_log_line_is_json_when_migrations_meet_existing_tables) {
    BOOST_REQUIRE_MESSAGE(current_backend() == "postgresql", "run with -- --backend=postgresql");
    config.extra_yaml = "logging:\n  level: debug\n";
    start();
    BOOST_REQUIRE(gateway->stop().clean());
    const std::string first = gateway->log();
    // The second start finds every table there: libpq gets a NOTICE for each IF NOT EXISTS.
    start();
    BOOST_TEST(
        http_post(port, "/webhooks/form", "application/json", tagged_form_json("notice")).status ==
        200);
    BOOST_REQUIRE(gateway->stop().clean());
    const std::string second = gateway->log();
    std::size_t notices = 0;
    for (const std::string* log : {&first, &second}) {
        for (const LogEvent& event : parse_log(*log)) {
            BOOST_TEST(event.json, "not a JSON log line: " << event.raw);
            if (event.get("event") == "postgresql_notice") ++notices;
        }
    }
    BOOST_TEST(notices > 0U, "the second start's notices are in the log, as JSON");
}

BOOST_AUTO_TEST_SUITE_END()
