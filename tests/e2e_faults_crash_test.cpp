// kill -9 in the middle of a load, then a restart on the same storage: every message answered
// 2xx before the kill is in the database once, and the requests that got no answer, sent
// again the way a provider retries, are each stored exactly once.
// CTest runs it on SQLite and, with `-- --backend=postgresql`, on PostgreSQL.
#define BOOST_TEST_MODULE e2e_faults_crash
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <set>
#include <string>
#include <thread>

#include <boost/test/unit_test.hpp>

#include "support/e2e_fixture.hpp"
#include "support/http_client.hpp"
#include "support/load.hpp"

using namespace memolib::test;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

BOOST_FIXTURE_TEST_SUITE(crash, GatewayFixture)

BOOST_AUTO_TEST_CASE(kill_9_under_load_then_restart_loses_and_doubles_nothing) {
    config.stages = {"size_limit", "verify", "parse", "enrich", "dedup", "cache", "persist"};
    start();

    FormLoad::Options options;
    options.port = port;
    options.clients = 12;
    options.stop_when_refused = true;
    options.tag_prefix = "crash";
    FormLoad load(options);
    const auto loaded_by = Clock::now() + std::chrono::seconds(20);
    while (load.successes() < 100U && Clock::now() < loaded_by) {
        std::this_thread::sleep_for(milliseconds(10));
    }
    BOOST_REQUIRE_MESSAGE(load.successes() >= 100U, "the load ran: " << load.successes() << " 2xx");

    BOOST_REQUIRE_EQUAL(::kill(gateway->pid(), SIGKILL), 0);
    const ExitStatus died = gateway->wait_for_exit(std::chrono::seconds(10));
    BOOST_TEST(died.signal == SIGKILL, "the gateway " << died.describe());
    BOOST_TEST(load.wait_until_done(std::chrono::seconds(30)),
               "every client saw the gateway gone (a refused connect)");
    LoadRecord record = load.snapshot();

    // The killed process's log is kept beside the new one, which start() writes afresh.
    const auto killed = std::move(gateway);
    std::filesystem::rename(dir / "gateway.log", dir / "gateway.killed.log");
    start();

    const std::size_t before = record.successes();
    for (const auto& [tag, answer] : record.answered) {
        BOOST_TEST(answer.status == 200,
                   "before the kill, " << tag << " got " << answer.status << " " << answer.body);
    }
    // What the killed process committed: a retry of one of these is a duplicate, of any other
    // a new message.
    const auto committed = rows_by_tag(*database());
    for (const auto& problem : check_stored_once(record, committed)) {
        BOOST_ERROR("after the restart, before any retry: " << problem);
    }

    // A provider sends again whatever was not answered 2xx.
    const std::set<std::string> retried = record.unanswered;
    std::size_t stored_by_retry = 0;
    std::size_t duplicates = 0;
    for (const std::string& tag : retried) {
        Answer answer;
        try {
            answer = post_tagged(port, tag);
        } catch (const HttpError& e) {
            BOOST_ERROR("the retry of " << tag << " got no answer: " << e.what());
            continue;
        }
        if (committed.count(tag) == 0) {
            BOOST_TEST(answer.status == 200,
                       "retry of " << tag << ": " << answer.status << " " << answer.body);
            BOOST_TEST(answer.outcome == "stored", "retry of " << tag << ": " << answer.body);
            ++stored_by_retry;
        } else {
            // The website form: a person reads its answers, so its duplicate is a 409.
            BOOST_TEST(answer.status == 409,
                       "retry of " << tag << ": " << answer.status << " " << answer.body);
            BOOST_TEST(answer.outcome == "duplicate", "retry of " << tag << ": " << answer.body);
            ++duplicates;
        }
        record.unanswered.erase(tag);
        record.answered[tag] = answer;
    }
    BOOST_TEST_MESSAGE(storage.backend()
                       << ": " << before << " answered 2xx before the kill; " << retried.size()
                       << " unanswered (" << options.clients
                       << " of them refused at connect), retried: " << stored_by_retry
                       << " stored then, " << duplicates << " already stored (409)");

    const auto rows = rows_by_tag(*database());
    for (const auto& problem : check_stored_once(record, rows)) {
        BOOST_ERROR("after the retries: " << problem);
    }
    const std::set<std::string> distinct(record.sent.begin(), record.sent.end());
    std::size_t row_count = 0;
    for (const auto& [tag, ids] : rows) row_count += ids.size();
    BOOST_TEST(row_count == distinct.size(),
               row_count << " rows for " << distinct.size() << " distinct messages sent");

    const std::string killed_log = read_file(dir / "gateway.killed.log");
    BOOST_TEST(killed_log.find("Sanitizer") == std::string::npos,
               "the killed gateway's log holds a sanitizer report");
    if (!current_test_passed()) {
        std::cerr << "---- log of the killed gateway ----\n" << killed_log << "---- end ----\n";
    }
}

BOOST_AUTO_TEST_SUITE_END()
