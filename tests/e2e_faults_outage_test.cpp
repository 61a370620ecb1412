// PostgreSQL stopped in the middle of a load, then started again, with the spool turned off
// (storage.spool.path ""; e2e_faults_spool_test has it on): meanwhile the gateway answers
// 503 with Retry-After and never 2xx for a message it could not commit; afterwards it serves
// again without a restart; every 2xx is stored once, and the 503'd messages, sent again, too.
// PostgreSQL only (CTest passes `-- --backend=postgresql` and runs it alone: it stops the
// server every PostgreSQL test shares).
#define BOOST_TEST_MODULE e2e_faults_outage
#include <chrono>
#include <set>
#include <string>
#include <thread>

#include <boost/test/unit_test.hpp>

#include "support/e2e_fixture.hpp"
#include "support/http_client.hpp"
#include "support/load.hpp"
#include "support/postgres_outage.hpp"

using namespace memolib::test;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

constexpr milliseconds kOutage{2000};
constexpr std::chrono::seconds kRecoveryBound{15};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(postgresql_outage, GatewayFixture)

BOOST_AUTO_TEST_CASE(outage_under_load_is_503_then_recovers_and_stores_each_message_once) {
    BOOST_REQUIRE_MESSAGE(current_backend() == "postgresql", "run with -- --backend=postgresql");
    config.stages = {"size_limit", "verify", "parse", "enrich", "dedup", "cache", "persist"};
    config.pipeline_extra = "  retry: {max_attempts: 2, base_delay: 50ms, max_delay: 200ms}\n";
    config.spool_path = "";
    start();

    FormLoad::Options options;
    options.port = port;
    options.clients = 8;
    options.tag_prefix = "outage";
    FormLoad load(options);
    const auto loaded_by = Clock::now() + std::chrono::seconds(20);
    while (load.successes() < 50U && Clock::now() < loaded_by) {
        std::this_thread::sleep_for(milliseconds(10));
    }
    BOOST_REQUIRE_MESSAGE(load.successes() >= 50U, "the load ran: " << load.successes() << " 2xx");

    const auto pause_began = Clock::now();
    pause_test_postgresql();
    const auto paused = Clock::now();
    std::this_thread::sleep_for(kOutage);
    const auto resume_began = Clock::now();
    try {
        resume_test_postgresql();
    } catch (const std::exception& e) {
        load.stop();
        BOOST_FAIL("PostgreSQL could not be started again: " << e.what());
    }

    // Recovery without a restart: a new message is stored again, soon.
    LoadRecord probes;
    Clock::time_point recovered{};
    for (int i = 0; Clock::now() - resume_began < kRecoveryBound; ++i) {
        const std::string tag = "probe-" + std::to_string(i) + "-" + random_hex(6);
        probes.sent.push_back(tag);
        try {
            const Answer answer = post_tagged(port, tag);
            probes.answered[tag] = answer;
            if (answer.status == 200) {
                recovered = answer.answered_at;
                break;
            }
        } catch (const HttpError&) {
            probes.unanswered.insert(tag);
        }
        std::this_thread::sleep_for(milliseconds(100));
    }
    BOOST_REQUIRE_MESSAGE(recovered != Clock::time_point{}, "no 200 within "
                                                                << kRecoveryBound.count()
                                                                << " s of PostgreSQL's return");
    std::this_thread::sleep_for(milliseconds(500));
    load.stop();
    LoadRecord record = load.snapshot();
    for (const auto& tag : probes.sent) record.sent.push_back(tag);
    record.answered.insert(probes.answered.begin(), probes.answered.end());
    record.unanswered.insert(probes.unanswered.begin(), probes.unanswered.end());

    const auto ms = [](Clock::duration d) {
        return std::chrono::duration_cast<milliseconds>(d).count();
    };
    // Each answer by when it was sent and read: before the outage, during it and after the
    // recovery exactly one status is right. A request that straddles the stop or the restart
    // meets whichever its commit met first, which the test cannot see: for those the
    // exactly-once check below (a 200 is one row) and the retries hold.
    std::size_t unavailable = 0;
    std::size_t after_recovery = 0;
    std::size_t straddling = 0;
    for (const auto& [tag, answer] : record.answered) {
        BOOST_TEST_CONTEXT(tag << " answered " << answer.status << " " << answer.body) {
            if (answer.status == 503) {
                ++unavailable;
                BOOST_TEST(answer.outcome == "storage_unavailable");
                BOOST_TEST(!answer.retry_after.empty(), "a 503 has a Retry-After");
            }
            if (answer.answered_at < pause_began) {
                BOOST_TEST(answer.status == 200, "before the outage");
            } else if (answer.sent_at > paused && answer.answered_at < resume_began) {
                BOOST_TEST(answer.status == 503, "during the outage");
            } else if (answer.sent_at > recovered) {
                ++after_recovery;
                BOOST_TEST(answer.status == 200, "after the recovery");
            } else {
                ++straddling;
            }
        }
    }
    BOOST_TEST(record.unanswered.empty(), record.unanswered.size()
                                              << " requests got no answer at all");
    BOOST_TEST(unavailable > 0U, "the outage was seen: some requests were answered 503");
    BOOST_TEST(after_recovery > 0U, "the load went on after the recovery");
    BOOST_TEST_MESSAGE("pause took " << ms(paused - pause_began) << " ms; recovered "
                                     << ms(recovered - resume_began)
                                     << " ms after the resume began; " << record.successes()
                                     << " answered 2xx, " << unavailable << " answered 503, "
                                     << after_recovery << " after the recovery, " << straddling
                                     << " across the stop or the restart");

    const auto rows_before_retry = rows_by_tag(*database());
    for (const auto& problem : check_stored_once(record, rows_before_retry)) {
        BOOST_ERROR("before any retry: " << problem);
    }

    // The provider retries every message that was not answered 2xx.
    std::set<std::string> retried = record.unanswered;
    for (const auto& [tag, answer] : record.answered) {
        if (!answer.success()) retried.insert(tag);
    }
    for (const std::string& tag : retried) {
        try {
            const Answer answer = post_tagged(port, tag);
            // A message committed although its answer did not say so is a duplicate now.
            const bool stored = rows_before_retry.count(tag) == 1;
            BOOST_TEST(answer.status == (stored ? 409 : 200),
                       "retry of " << tag << (stored ? " (stored)" : " (not stored)") << ": "
                                   << answer.status << " " << answer.body);
            record.unanswered.erase(tag);
            record.answered[tag] = answer;
        } catch (const HttpError& e) {
            BOOST_ERROR("the retry of " << tag << " got no answer: " << e.what());
        }
    }
    const auto rows = rows_by_tag(*database());
    for (const auto& problem : check_stored_once(record, rows)) {
        BOOST_ERROR("after the retries: " << problem);
    }
    const std::set<std::string> distinct(record.sent.begin(), record.sent.end());
    std::size_t row_count = 0;
    for (const auto& [tag, ids] : rows) row_count += ids.size();
    BOOST_TEST(row_count == distinct.size(),
               row_count << " rows for " << distinct.size() << " distinct messages sent");
}

BOOST_AUTO_TEST_SUITE_END()
