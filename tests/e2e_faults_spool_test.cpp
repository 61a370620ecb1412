// The spool (DESIGN.md, "The promise"): PostgreSQL down is not a lost message. Twilio SMS, whose
// client never retries, posted while PostgreSQL is stopped for 10 s are each answered 2xx and,
// once it is back, each in PostgreSQL exactly once with the spool empty: on one instance, on two
// instances posted the same messages, and across a kill -9 while spooling and a restart while
// PostgreSQL is still down. A spool on a full file system, or at its max_size, is 503
// `spool_full` with Retry-After and acknowledges nothing it did not commit; freed, it drains.
// A hung PostgreSQL holds only the batch that tries it; the drainer's failures are counted and
// logged once; a gateway started without PostgreSQL is ready once the drainer has migrated it.
// PostgreSQL only (CTest passes `-- --backend=postgresql` and runs it alone: it stops the
// server every PostgreSQL test shares).
#define BOOST_TEST_MODULE e2e_faults_spool
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "support/e2e_fixture.hpp"
#include "support/http_client.hpp"
#include "support/json.hpp"
#include "support/load.hpp"
#include "support/postgres_outage.hpp"
#include "support/tmpfs.hpp"

using namespace memolib::test;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

constexpr seconds kOutage{10};
// From PostgreSQL's return to an empty spool: the drainer wakes about every second and moves
// at most storage.batch.max_messages rows per transaction.
constexpr seconds kDrainBound{20};

long long ms(Clock::duration d) { return std::chrono::duration_cast<milliseconds>(d).count(); }

ChannelConfig sms_channel() { return {"sms", {{"plugin", "sms"}, {"max_body", "50KiB"}}}; }

// Twilio traffic at a steady rate: four clients, each pausing 20 ms after an answer.
FormLoad::Options twilio_load(std::uint16_t port, const std::string& prefix) {
    FormLoad::Options options;
    options.port = port;
    options.clients = 4;
    options.tag_prefix = prefix;
    options.channel = LoadChannel::kTwilioSms;
    options.interval = milliseconds(20);
    return options;
}

// The value of the sample "series" (name and labels) in a /metrics body; -1 when absent.
double metric(const std::string& body, const std::string& series) {
    const std::size_t at = body.find("\n" + series + " ");
    if (at == std::string::npos) return -1;
    return std::stod(body.substr(at + series.size() + 2));
}

double scrape(std::uint16_t port, const std::string& series) {
    return metric(http_get(port, "/metrics").body, series);
}

// The messages a spool file holds, by tag; none when it does not exist (nothing spooled yet).
std::map<std::string, std::vector<long long>> spool_rows(const fs::path& file) {
    if (!fs::exists(file)) return {};
    return rows_by_tag(*open_sqlite(file));
}

long long spool_count(const fs::path& file) {
    if (!fs::exists(file)) return 0;
    return open_sqlite(file)->scalar("SELECT COUNT(*) FROM messages");
}

struct Spooler {
    std::uint16_t port;
    fs::path spool;
};

// Polls until every instance's spool is empty, by its file and by its gauge, at most `bound`;
// returns when they were, or nothing.
std::optional<Clock::time_point> wait_until_drained(const std::vector<Spooler>& instances,
                                                    Clock::duration bound) {
    const auto began = Clock::now();
    while (Clock::now() - began < bound) {
        const bool empty = std::all_of(instances.begin(), instances.end(), [](const Spooler& s) {
            return spool_count(s.spool) == 0 && scrape(s.port, "memolib_spool_depth") == 0;
        });
        if (empty) return Clock::now();
        std::this_thread::sleep_for(milliseconds(200));
    }
    return std::nullopt;
}

void wait_for_successes(const FormLoad& load, std::size_t wanted) {
    BOOST_REQUIRE_MESSAGE(load.wait_for_successes(wanted, seconds(20)),
                          "the load ran: " << load.successes() << " 2xx");
}

// Waits until the gateway has spooled at least `wanted` SMS (its counter), at most 15 s.
void wait_until_spooled(std::uint16_t port, double wanted) {
    const std::string series = R"(memolib_messages_spooled_total{channel="sms"})";
    const auto bound = Clock::now() + seconds(15);
    double spooled = scrape(port, series);
    while (spooled < wanted && Clock::now() < bound) {
        std::this_thread::sleep_for(milliseconds(50));
        spooled = scrape(port, series);
    }
    BOOST_REQUIRE_MESSAGE(spooled >= wanted, "the gateway spooled " << spooled << " SMS in 15 s");
}

std::string statuses_text(const LoadRecord& record) {
    std::string text;
    for (const auto& [status, count] : record.statuses) {
        text += " " + std::to_string(status) + "×" + std::to_string(count);
    }
    return text;
}

// Every request of `record` answered, and answered 2xx: what a client that never retries needs.
void check_every_request_2xx(const LoadRecord& record, const std::string& what) {
    BOOST_TEST(record.unanswered.empty(),
               what << ": " << record.unanswered.size() << " requests got no answer");
    std::size_t refused = 0;
    for (const auto& [tag, answer] : record.answered) {
        if (!answer.success() && ++refused <= 10) {
            BOOST_ERROR(what << ": " << tag << " answered " << answer.status << " " << answer.body);
        }
    }
    BOOST_TEST(refused == 0U,
               what << ": " << refused << " of " << record.answered.size()
                    << " requests not answered 2xx; answers:" << statuses_text(record));
}

void merge(LoadRecord& into, const LoadRecord& from) {
    for (const auto& tag : from.sent) into.sent.push_back(tag);
    into.answered.insert(from.answered.begin(), from.answered.end());
    into.unanswered.insert(from.unanswered.begin(), from.unanswered.end());
    for (const auto& [status, count] : from.statuses) into.statuses[status] += count;
}

std::size_t row_count(const std::map<std::string, std::vector<long long>>& rows) {
    std::size_t n = 0;
    for (const auto& [tag, ids] : rows) n += ids.size();
    return n;
}

std::size_t count_events(const std::vector<LogEvent>& events, const std::string& event) {
    std::size_t n = 0;
    for (const LogEvent& e : events) n += e.get("event") == event ? 1U : 0U;
    return n;
}

// Another gateway of a test, stopped at its end with the checks GatewayFixture makes.
struct OtherInstance {
    std::unique_ptr<GatewayProcess> process;

    ~OtherInstance() {
        if (!process) return;
        const ExitStatus status = process->stop();
        const std::string log = process->log();
        BOOST_CHECK_MESSAGE(status.clean(), "on SIGTERM, the second gateway " << status.describe());
        BOOST_CHECK_MESSAGE(log.find("Sanitizer") == std::string::npos,
                            "the second gateway's log holds a sanitizer report");
        if (!current_test_passed()) {
            std::cerr << "---- second gateway log ----\n" << log << "---- end ----\n";
        }
    }
};

// Two clients, one per instance, posting the same Twilio SMS at the same moment, round after
// round on kept-alive connections, until stop(); both stop after the same round.
class TwinClients {
public:
    TwinClients(std::uint16_t first, std::uint16_t second, std::string prefix)
        : prefix_(std::move(prefix) + "-" + random_hex(6)) {
        threads_.emplace_back([this, first] { run(0, first); });
        threads_.emplace_back([this, second] { run(1, second); });
    }
    ~TwinClients() { stop(); }
    TwinClients(const TwinClients&) = delete;
    TwinClients& operator=(const TwinClients&) = delete;

    void stop() {
        stop_ = true;
        for (auto& t : threads_) {
            if (t.joinable()) t.join();
        }
    }

    /// What instance 0 or 1 answered.
    LoadRecord record(int instance) const {
        const std::lock_guard<std::mutex> lock(mutex_);
        return records_[instance];
    }

    std::size_t rounds() const {
        const std::lock_guard<std::mutex> lock(mutex_);
        return records_[0].answered.size() + records_[0].unanswered.size();
    }

private:
    // Both clients meet here before each post; false once stop() was asked (for both alike).
    bool next_round() {
        std::unique_lock<std::mutex> lock(mutex_);
        const long long round = round_;
        if (++waiting_ == 2) {
            waiting_ = 0;
            ++round_;
            go_ = !stop_.load();
            met_.notify_all();
            return go_;
        }
        met_.wait(lock, [&] { return round_ != round; });
        return go_;
    }

    void run(int instance, std::uint16_t port) {
        std::unique_ptr<HttpConnection> connection;
        for (int i = 0; next_round(); ++i) {
            const std::string tag = prefix_ + "-" + std::to_string(i);
            const HttpRequest request = tagged_request(LoadChannel::kTwilioSms, tag, true);
            const auto started = Clock::now();
            HttpResponse response;
            try {
                if (!connection) connection = std::make_unique<HttpConnection>(port, seconds(30));
                connection->send_all(serialize_head(request) + request.body);
                response = connection->read_response();
            } catch (const HttpError&) {
                connection.reset();
                const std::lock_guard<std::mutex> lock(mutex_);
                records_[instance].sent.push_back(tag);
                records_[instance].unanswered.insert(tag);
                continue;
            }
            if (response.header("Connection").value_or("") == "close") connection.reset();
            Answer answer = read_answer(response);
            answer.sent_at = started;
            answer.answered_at = Clock::now();
            const std::lock_guard<std::mutex> lock(mutex_);
            records_[instance].sent.push_back(tag);
            ++records_[instance].statuses[answer.status];
            records_[instance].answered[tag] = std::move(answer);
        }
    }

    std::string prefix_;
    std::atomic<bool> stop_{false};
    mutable std::mutex mutex_;
    std::condition_variable met_;
    int waiting_ = 0;
    long long round_ = 0;
    bool go_ = true;
    LoadRecord records_[2];
    std::vector<std::thread> threads_;
};

struct SpoolFixture : GatewayFixture {
    SpoolFixture() {
        BOOST_REQUIRE_MESSAGE(current_backend() == "postgresql",
                              "run with -- --backend=postgresql");
        config.stages = {"size_limit", "verify", "parse", "enrich", "dedup", "cache", "persist"};
        config.channels = {sms_channel()};
    }

    fs::path spool() const { return fs::path(config.spool_path.value_or("")); }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(spool_outage, SpoolFixture)

BOOST_AUTO_TEST_CASE(postgresql_stopped_10_s_under_twilio_load_every_sms_is_2xx_and_stored_once) {
    start();
    FormLoad load(twilio_load(port, "outage"));
    wait_for_successes(load, 50);

    Clock::time_point stopped;
    Clock::time_point resume_began;
    double deepest = 0;
    {
        PostgresOutage outage;
        stopped = Clock::now();
        while (Clock::now() - stopped < kOutage) {
            deepest = std::max(deepest, scrape(port, "memolib_spool_depth"));
            std::this_thread::sleep_for(milliseconds(250));
        }
        resume_began = Clock::now();
        outage.end();
    }
    const auto resumed = Clock::now();
    // The load goes on a little while the drainer moves the spool.
    std::this_thread::sleep_for(seconds(1));
    load.stop();
    const LoadRecord record = load.snapshot();

    const auto drained = wait_until_drained({{port, spool()}}, kDrainBound);
    BOOST_TEST(drained.has_value(), "the spool still holds " << spool_count(spool()) << " rows "
                                                             << kDrainBound.count()
                                                             << " s after PostgreSQL returned");

    check_every_request_2xx(record, "under the outage");
    std::size_t during = 0;
    for (const auto& [tag, answer] : record.answered) {
        during += answer.sent_at > stopped && answer.answered_at < resume_began ? 1U : 0U;
    }
    BOOST_TEST(during >= 50U, "the load went on during the outage: " << during << " requests");
    BOOST_TEST(deepest > 0,
               "the spool held messages during the outage (deepest " << deepest << ")");
    const std::string metrics = http_get(port, "/metrics").body;
    BOOST_TEST(metric(metrics, R"(memolib_messages_spooled_total{channel="sms"})") > 0);
    BOOST_TEST(metric(metrics, R"(memolib_spool_drained_total{result="stored"})") > 0);

    const auto rows = rows_by_tag(*database());
    for (const auto& problem : check_stored_once(record, rows)) BOOST_ERROR(problem);
    const std::set<std::string> distinct(record.sent.begin(), record.sent.end());
    BOOST_TEST(row_count(rows) == distinct.size(),
               row_count(rows) << " rows for " << distinct.size() << " distinct SMS sent");
    BOOST_TEST(spool_count(spool()) == 0);
    BOOST_TEST(scrape(port, "memolib_spool_depth") == 0);
    std::size_t drained_lines = 0;
    for (const LogEvent& event : gateway->events()) {
        drained_lines += event.get("event") == "spool_drained" ? 1U : 0U;
    }
    BOOST_TEST(drained_lines > 0U, "a spool_drained log line");
    BOOST_TEST_MESSAGE(record.answered.size()
                       << " SMS answered 2xx, " << during << " during the " << kOutage.count()
                       << " s outage, the spool " << deepest << " deep at most; drained "
                       << (drained ? ms(*drained - resumed) : -1)
                       << " ms after PostgreSQL was back");
}

BOOST_AUTO_TEST_CASE(two_instances_spooling_the_same_sms_store_each_once_and_both_drain) {
    start();
    OtherInstance second{start_another("gateway2")};
    const std::uint16_t port2 = second.process->port();
    const fs::path spool2 = dir / "gateway2.spool.db";

    TwinClients twins(port, port2, "twin");
    const auto loaded_by = Clock::now() + seconds(20);
    while (twins.rounds() < 50U && Clock::now() < loaded_by) {
        std::this_thread::sleep_for(milliseconds(10));
    }
    BOOST_REQUIRE_MESSAGE(twins.rounds() >= 50U, "the load ran: " << twins.rounds() << " rounds");
    {
        PostgresOutage outage;
        std::this_thread::sleep_for(kOutage);
        outage.end();
    }
    const auto resumed = Clock::now();
    std::this_thread::sleep_for(seconds(1));
    twins.stop();
    const LoadRecord first = twins.record(0);
    const LoadRecord other = twins.record(1);

    const auto drained = wait_until_drained({{port, spool()}, {port2, spool2}}, kDrainBound);
    BOOST_TEST(drained.has_value(), "the spools still hold " << spool_count(spool()) << " and "
                                                             << spool_count(spool2) << " rows "
                                                             << kDrainBound.count()
                                                             << " s after PostgreSQL returned");

    check_every_request_2xx(first, "instance 1");
    check_every_request_2xx(other, "instance 2");
    const std::string duplicate = R"(memolib_spool_drained_total{result="duplicate"})";
    double duplicates = 0;
    for (const std::uint16_t p : {port, port2}) {
        const std::string metrics = http_get(p, "/metrics").body;
        BOOST_TEST(metric(metrics, R"(memolib_messages_spooled_total{channel="sms"})") > 0,
                   "instance on port " << p << " spooled");
        duplicates += std::max(0.0, metric(metrics, duplicate));
    }
    // Both spooled the messages posted to both during the outage: one drain finds each there.
    BOOST_TEST(duplicates > 0, "a drain met the rows the other instance had moved");

    const auto rows = rows_by_tag(*database());
    for (const auto& problem : check_stored_once(first, rows)) BOOST_ERROR(problem);
    for (const auto& problem : check_stored_once(other, rows)) BOOST_ERROR(problem);
    const std::set<std::string> distinct(first.sent.begin(), first.sent.end());
    BOOST_TEST(row_count(rows) == distinct.size(),
               row_count(rows) << " rows for " << distinct.size() << " distinct SMS sent");
    BOOST_TEST(spool_count(spool()) == 0);
    BOOST_TEST(spool_count(spool2) == 0);
    BOOST_TEST(scrape(port, "memolib_spool_depth") == 0);
    BOOST_TEST(scrape(port2, "memolib_spool_depth") == 0);
    BOOST_TEST_MESSAGE(distinct.size() << " SMS each posted to both instances; " << duplicates
                                       << " spooled rows found already drained; drained "
                                       << (drained ? ms(*drained - resumed) : -1)
                                       << " ms after PostgreSQL was back");
}

BOOST_AUTO_TEST_CASE(kill_9_while_spooling_then_a_restart_with_postgresql_down_loses_nothing) {
    start();
    FormLoad::Options options = twilio_load(port, "killed");
    options.stop_when_refused = true;
    FormLoad load(options);
    wait_for_successes(load, 50);

    PostgresOutage outage;
    wait_until_spooled(port, 100);
    BOOST_REQUIRE_EQUAL(::kill(gateway->pid(), SIGKILL), 0);
    const ExitStatus died = gateway->wait_for_exit(seconds(10));
    BOOST_TEST(died.signal == SIGKILL, "the gateway " << died.describe());
    BOOST_TEST(load.wait_until_done(seconds(30)),
               "every client saw the gateway gone (a refused connect)");
    LoadRecord record = load.snapshot();
    const long long left = spool_count(spool());
    BOOST_TEST(left > 0, "the killed gateway left its spool with rows");

    // PostgreSQL is still down: the new process must start, and spool.
    const auto killed = std::move(gateway);
    fs::rename(dir / "gateway.log", dir / "gateway.killed.log");
    start();
    std::size_t unavailable_lines = 0;
    for (const LogEvent& event : gateway->events()) {
        unavailable_lines += event.get("event") == "storage_unavailable_at_start" ? 1U : 0U;
    }
    BOOST_TEST(unavailable_lines == 1U, "one storage_unavailable_at_start line");
    FormLoad restarted(twilio_load(port, "restarted"));
    wait_for_successes(restarted, 30);
    restarted.stop();
    const LoadRecord after = restarted.snapshot();

    outage.end();
    const auto resumed = Clock::now();
    const auto drained = wait_until_drained({{port, spool()}}, kDrainBound);
    BOOST_TEST(drained.has_value(), "the spool still holds " << spool_count(spool()) << " rows "
                                                             << kDrainBound.count()
                                                             << " s after PostgreSQL returned");

    // Before the kill every request was answered 2xx or not at all (the kill cut it).
    for (const auto& [tag, answer] : record.answered) {
        BOOST_TEST(answer.success(),
                   "before the kill, " << tag << " got " << answer.status << " " << answer.body);
    }
    check_every_request_2xx(after, "after the restart");
    const std::size_t cut = record.unanswered.size();
    merge(record, after);
    // Every 2xx once; an SMS whose answer the kill cut off is there once or not at all (its
    // client never sends it again); no row twice, no row of an unknown message.
    const auto rows = rows_by_tag(*database());
    for (const auto& problem : check_stored_once(record, rows)) BOOST_ERROR(problem);
    BOOST_TEST(row_count(rows) >= record.successes());
    BOOST_TEST(spool_count(spool()) == 0);
    BOOST_TEST(scrape(port, "memolib_spool_depth") == 0);
    BOOST_TEST_MESSAGE(record.successes()
                       << " SMS answered 2xx (" << after.successes() << " after the restart), "
                       << cut << " cut off by the kill; " << left
                       << " rows left in the spool by the kill; drained "
                       << (drained ? ms(*drained - resumed) : -1)
                       << " ms after PostgreSQL was back");

    const std::string killed_log = read_file(dir / "gateway.killed.log");
    BOOST_TEST(killed_log.find("Sanitizer") == std::string::npos,
               "the killed gateway's log holds a sanitizer report");
    if (!current_test_passed()) {
        std::cerr << "---- log of the killed gateway ----\n" << killed_log << "---- end ----\n";
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(spool_full, SpoolFixture)

BOOST_AUTO_TEST_CASE(a_spool_on_a_full_file_system_is_503_then_drains_once_space_is_freed) {
    TmpfsMount disk(dir / "spool-disk", "8m");
    if (!disk.mounted()) {
        BOOST_WARN_MESSAGE(false, "SKIPPED: mounting a tmpfs is not permitted here ("
                                      << disk.error() << "); run the test as root");
        return;
    }
    config.spool_path = (disk.path() / "spool.db").string();
    start();
    const pid_t pid = gateway->pid();
    FormLoad load(twilio_load(port, "full"));
    wait_for_successes(load, 50);

    PostgresOutage outage;
    wait_until_spooled(port, 20);
    const auto fill_began = Clock::now();
    const std::size_t filled = fill_until_full(disk.path() / "filler");
    const auto full_since = Clock::now();
    std::size_t refused = 0;
    while (Clock::now() - full_since < seconds(20)) {
        const LoadRecord seen = load.snapshot();
        const auto it = seen.statuses.find(503);
        refused = it == seen.statuses.end() ? 0U : static_cast<std::size_t>(it->second);
        if (refused >= 20U) break;
        std::this_thread::sleep_for(milliseconds(50));
    }
    load.stop();
    LoadRecord record = load.snapshot();
    BOOST_REQUIRE_MESSAGE(refused >= 20U,
                          "the full spool was answered 503 "
                              << refused << " times in 20 s; answers:" << statuses_text(record));

    // A 503 says why and when to come back, and only once the disk is full. Which commit meets
    // the full disk is SQLite's choice (it reuses the pages it holds): before it, a 2xx.
    std::set<std::string> refused_tags;
    for (const auto& [tag, answer] : record.answered) {
        BOOST_TEST_CONTEXT(tag << " answered " << answer.status << " " << answer.body) {
            BOOST_TEST((answer.status == 200 || answer.status == 503));
            if (answer.status != 503) continue;
            refused_tags.insert(tag);
            BOOST_TEST(answer.outcome == "spool_full");
            BOOST_TEST(answer.retry_after == "5");
            BOOST_TEST((answer.answered_at > fill_began), "a 503 before the disk was full");
        }
    }
    BOOST_TEST(record.unanswered.empty(), record.unanswered.size() << " requests got no answer");
    const auto spooled = spool_rows(spool());
    for (const auto& tag : refused_tags) {
        BOOST_TEST(spooled.count(tag) == 0U, tag << " was answered 503 but is in the spool");
    }
    BOOST_TEST(
        open_sqlite(spool())->query("PRAGMA integrity_check").at(0).begin()->second.value_or("") ==
        "ok");

    // Space freed: the spool takes messages again, then PostgreSQL back: drained, no restart.
    fs::remove(disk.path() / "filler");
    const auto freed = Clock::now();
    LoadRecord probes;
    Clock::time_point accepted_again{};
    for (int i = 0; Clock::now() - freed < seconds(10); ++i) {
        const std::string tag = "freed-" + std::to_string(i) + "-" + random_hex(6);
        probes.sent.push_back(tag);
        try {
            const Answer answer = post_tagged(port, tag, seconds(20), LoadChannel::kTwilioSms);
            probes.answered[tag] = answer;
            if (answer.success()) {
                accepted_again = answer.answered_at;
                break;
            }
        } catch (const HttpError&) {
            probes.unanswered.insert(tag);
        }
        std::this_thread::sleep_for(milliseconds(100));
    }
    BOOST_TEST((accepted_again != Clock::time_point{}),
               "no 2xx within 10 s of freeing space, PostgreSQL still down");
    merge(record, probes);
    outage.end();
    const auto resumed = Clock::now();
    const auto drained = wait_until_drained({{port, spool()}}, kDrainBound);
    BOOST_TEST(drained.has_value(), "the spool still holds " << spool_count(spool()) << " rows "
                                                             << kDrainBound.count()
                                                             << " s after PostgreSQL returned");

    const auto rows = rows_by_tag(*database());
    for (const auto& problem : check_stored_once(record, rows)) BOOST_ERROR(problem);
    for (const auto& [tag, answer] : record.answered) {
        if (!answer.success()) {
            BOOST_TEST(rows.count(tag) == 0U,
                       tag << " was answered " << answer.status << " but is in PostgreSQL");
        }
    }
    BOOST_TEST(row_count(rows) == record.successes(),
               row_count(rows) << " rows for " << record.successes() << " SMS answered 2xx");
    BOOST_TEST(spool_count(spool()) == 0);
    BOOST_TEST(scrape(port, "memolib_spool_depth") == 0);
    BOOST_TEST(gateway->running());
    BOOST_TEST(gateway->pid() == pid);
    BOOST_TEST_MESSAGE(
        "filled " << filled / 1024 << " KiB; " << record.successes() << " 2xx, "
                  << refused_tags.size() << " × 503 spool_full; accepted again "
                  << ms(accepted_again - freed) << " ms after freeing space; drained "
                  << (drained ? ms(*drained - resumed) : -1) << " ms after PostgreSQL was back");
}

BOOST_AUTO_TEST_CASE(a_spool_at_max_size_is_503_and_the_next_start_drains_what_it_holds) {
    // PostgreSQL unreachable from the start (nothing listens on port 1): the gateway starts
    // anyway and spools, up to 64 KiB.
    config.storage_url = "postgresql://postgres@127.0.0.1:1/memolib_test";
    config.spool_max_size = "64KiB";
    config.channels = {sms_channel(), GatewayConfig::form_channel()};
    start();

    // The website form's answer to a spooled message, and to the same message again.
    for (int i = 0; i < 2; ++i) {
        const HttpResponse form =
            http_post(port, "/webhooks/form", "application/json", tagged_form_json("form-0"));
        BOOST_TEST_CONTEXT("form post " << i << ": " << form.status << " " << form.body) {
            BOOST_TEST(form.status == 200);
            const auto json = parse_json(form.body);
            BOOST_REQUIRE(json.IsObject());
            BOOST_TEST(string_member(json, "status") == "accepted");
            BOOST_TEST(string_member(json, "request_id") ==
                       form.header("X-Request-Id").value_or(""));
            BOOST_REQUIRE((json.HasMember("messages") && json["messages"].IsArray() &&
                           json["messages"].Size() == 1U));
            const auto& message = json["messages"][0];
            BOOST_TEST((message.HasMember("id") && message["id"].IsNull()), "id null");
            BOOST_TEST(string_member(message, "checksum").size() == 64U);
            BOOST_TEST(string_member(message, "status") == "accepted");
        }
    }

    LoadRecord record;
    record.sent.emplace_back("form-0");
    HttpResponse full;
    std::string refused_tag;
    for (int i = 0; i < 2000; ++i) {
        const std::string tag = "cap-" + std::to_string(i) + "-" + random_hex(6);
        record.sent.push_back(tag);
        const HttpResponse response =
            http_request(port, tagged_request(LoadChannel::kTwilioSms, tag, false), seconds(20));
        record.answered[tag] = read_answer(response);
        if (response.status != 200) {
            full = response;
            refused_tag = tag;
            break;
        }
        if (i == 0) check_twiml(response);
    }
    BOOST_REQUIRE_MESSAGE(!refused_tag.empty(), "2000 SMS spooled under a 64 KiB cap");
    check_error(full, 503, "spool_full");
    BOOST_TEST(full.header("Retry-After").value_or("") == "5");
    // Still full: nothing drains it while PostgreSQL is unreachable.
    check_error(http_request(port, tagged_request(LoadChannel::kTwilioSms, refused_tag, false),
                             seconds(20)),
                503, "spool_full");
    const auto spooled = spool_rows(spool());
    BOOST_TEST(spooled.count(refused_tag) == 0U, "the refused SMS is in the spool");
    for (const auto& problem : check_stored_once(record, spooled)) {
        BOOST_ERROR("in the spool: " << problem);
    }
    const std::size_t accepted = record.successes();

    // The same spool, a gateway on the real server: it drains what the first one left.
    BOOST_REQUIRE(gateway->stop().clean());
    config.storage_url = storage.url();
    start();
    const auto drained = wait_until_drained({{port, spool()}}, kDrainBound);
    BOOST_TEST(drained.has_value(), "the spool still holds " << spool_count(spool()) << " rows");
    const auto rows = rows_by_tag(*database());
    for (const auto& problem : check_stored_once(record, rows)) BOOST_ERROR(problem);
    BOOST_TEST(rows.count(refused_tag) == 0U);
    BOOST_TEST(row_count(rows) == accepted + 1U, "the SMS answered 2xx and the form");
    BOOST_TEST_MESSAGE(accepted << " SMS spooled before the 64 KiB cap");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(spool_mends, SpoolFixture)

// PostgreSQL hung (SIGSTOP) for 8 s under 8 clients, storage.timeout 3 s. Until a batch has
// failed the gateway cannot know: every pool writer tries PostgreSQL and the requests in flight
// wait out the timeout. From then on one batch at a time tries it again, about every 4 s (the
// timeout, then 1 s of spooling first), and waits; the others must be spooled at once.
BOOST_AUTO_TEST_CASE(a_hung_postgresql_holds_only_the_batch_that_tries_it_the_rest_is_spooled) {
    // One message a transaction: a try of the server holds one request, whatever the moment the
    // clients' requests happen to arrive together.
    config.storage_extra = "  timeout: 3s\n  batch: {max_messages: 1}\n";
    start();
    FormLoad::Options options = twilio_load(port, "hung");
    options.clients = 8;
    // About 4 requests a second per client: a client held behind a try is a share of its
    // requests that does not vanish among thousands of spooled ones.
    options.interval = milliseconds(200);
    FormLoad load(options);
    wait_for_successes(load, 50);

    Clock::time_point frozen;
    Clock::time_point thaw_began;
    {
        PostgresOutage freeze(PostgresOutage::Kind::kFrozen);
        frozen = Clock::now();
        std::this_thread::sleep_for(seconds(8));
        thaw_began = Clock::now();
        freeze.end();
    }
    std::this_thread::sleep_for(milliseconds(500));
    load.stop();
    const LoadRecord record = load.snapshot();
    const auto drained = wait_until_drained({{port, spool()}}, seconds(10));
    BOOST_TEST(drained.has_value(),
               "the spool still holds " << spool_count(spool()) << " rows 10 s after the thaw");

    check_every_request_2xx(record, "with PostgreSQL hung");
    // When the first batch that met the hung server came back, spooled: from then on the
    // gateway knows.
    Clock::time_point known = thaw_began;
    long long slowest = 0;
    for (const auto& [tag, answer] : record.answered) {
        if (answer.answered_at < frozen) continue;
        slowest = std::max<long long>(slowest, answer.latency.count());
        if (answer.latency >= seconds(1)) known = std::min(known, answer.answered_at);
    }
    // The storage timeout and some slack.
    BOOST_TEST(slowest < 6000, "the slowest request took " << slowest << " ms");
    std::size_t after_known = 0;
    std::size_t slow = 0;
    for (const auto& [tag, answer] : record.answered) {
        if (answer.sent_at < known || answer.sent_at >= thaw_began) continue;
        ++after_known;
        slow += answer.latency >= seconds(1) ? 1U : 0U;
    }
    BOOST_REQUIRE_MESSAGE(known < frozen + seconds(5),
                          "no request waited for the hung server in the first 5 s");
    BOOST_TEST(after_known >= 50U, after_known << " requests while the failure was known");
    // The try of the server, between 1 s and 2 s after the first failure, holds its batch.
    BOOST_TEST(slow >= 1U, "no batch tried the hung server again");
    // When every writer waits behind the try, each client waits about 3 s once per cycle of
    // about 4 s, and makes some 4 requests in the second left of the cycle and as many between
    // the last try and the thaw: about one request in ten slow. With only the trying batch
    // waiting, one request of the ~170 the clients make: under 1 %. 3 % is several times away
    // from both.
    const double share = static_cast<double>(slow) / static_cast<double>(after_known);
    BOOST_TEST(share < 0.03, slow << " of " << after_known
                                  << " requests sent while the failure was known took 1 s or more");
    const auto rows = rows_by_tag(*database());
    for (const auto& problem : check_stored_once(record, rows)) BOOST_ERROR(problem);
    const std::set<std::string> distinct(record.sent.begin(), record.sent.end());
    BOOST_TEST(row_count(rows) == distinct.size(),
               row_count(rows) << " rows for " << distinct.size() << " distinct SMS sent");
    BOOST_TEST_MESSAGE(slow << " of " << after_known << " requests sent from " << ms(known - frozen)
                            << " ms into the 8 s freeze took 1 s or more"
                            << "; the slowest of all " << slowest << " ms; drained "
                            << (drained ? ms(*drained - thaw_began) : -1) << " ms after the thaw");
}

// The drainer tries PostgreSQL about every second while the spool holds rows: each failure is
// counted, the same error is logged once.
BOOST_AUTO_TEST_CASE(while_postgresql_is_down_the_drainer_logs_its_failure_once_and_counts_each) {
    start();
    LoadRecord record;
    PostgresOutage outage;
    for (int i = 0; i < 3; ++i) {
        const std::string tag = "undrained-" + std::to_string(i) + "-" + random_hex(6);
        record.sent.push_back(tag);
        record.answered[tag] = post_tagged(port, tag, seconds(20), LoadChannel::kTwilioSms);
    }
    check_every_request_2xx(record, "while PostgreSQL is down");
    const std::string counter = "memolib_spool_drain_failures_total";
    const double failures_before = std::max(0.0, scrape(port, counter));
    std::this_thread::sleep_for(seconds(5));
    const double failures = scrape(port, counter);
    const std::vector<LogEvent> events = gateway->events();
    const std::size_t lines = count_events(events, "spool_drain_failed");
    std::string error;
    for (const LogEvent& event : events) {
        if (event.get("event") == "spool_drain_failed") error = event.get("error");
    }
    outage.end();
    const auto resumed = Clock::now();

    // A refused connection, the same error each time.
    BOOST_TEST(lines == 1U, lines << " spool_drain_failed lines in 5 s of outage");
    BOOST_TEST(!error.empty(), "the line names the error");
    BOOST_TEST(failures - failures_before >= 3, counter << " went from " << failures_before
                                                        << " to " << failures
                                                        << " in 5 s (-1: not in /metrics)");
    const auto drained = wait_until_drained({{port, spool()}}, seconds(10));
    BOOST_TEST(drained.has_value(),
               "the spool still holds " << spool_count(spool()) << " rows 10 s after its return");
    const auto rows = rows_by_tag(*database());
    for (const auto& problem : check_stored_once(record, rows)) BOOST_ERROR(problem);
    BOOST_TEST(row_count(rows) == record.sent.size());
    BOOST_TEST_MESSAGE(failures - failures_before << " drain failures counted in 5 s of outage, "
                                                  << lines << " logged; drained "
                                                  << (drained ? ms(*drained - resumed) : -1)
                                                  << " ms after PostgreSQL was back");
}

// With nothing posted, the drainer alone meets PostgreSQL when it returns: it applies the
// migrations, and the writers may use it from then on.
BOOST_AUTO_TEST_CASE(a_gateway_started_with_postgresql_down_is_ready_once_it_returns) {
    PostgresOutage outage;
    start();
    BOOST_TEST(count_events(gateway->events(), "storage_unavailable_at_start") == 1U);
    const HttpResponse down = http_get(port, "/ready");
    BOOST_TEST_CONTEXT("/ready while PostgreSQL is down: " << down.status << " " << down.body) {
        BOOST_TEST(down.status == 200);
        BOOST_TEST(string_member(parse_json(down.body), "status") == "degraded");
    }
    outage.end();
    const auto resumed = Clock::now();
    std::string body;
    bool ready = false;
    while (!ready && Clock::now() - resumed < seconds(10)) {
        const HttpResponse answer = http_get(port, "/ready");
        body = answer.body;
        ready = answer.status == 200 && string_member(parse_json(body), "status") == "ready";
        if (!ready) std::this_thread::sleep_for(milliseconds(100));
    }
    const auto answered = Clock::now();
    BOOST_TEST_CONTEXT("/ready after PostgreSQL's return: " << body) {
        BOOST_TEST(ready, "not ready within 10 s of PostgreSQL's return");
        const auto json = parse_json(body);
        BOOST_TEST(string_member(json, "storage") == "ok");
        BOOST_TEST(string_member(json, "last_write") == "ok");
        BOOST_TEST(json["spool"]["depth"].GetInt64() == 0);
    }
    BOOST_TEST(count_events(gateway->events(), "storage_migrated_late") == 1U);
    BOOST_TEST_MESSAGE("/ready said ready " << ms(answered - resumed)
                                            << " ms after PostgreSQL was back");
}

BOOST_AUTO_TEST_SUITE_END()
