// PostgreSQL stopped in the middle of a load, then started again: meanwhile the gateway answers
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
    std::size_t unavailable = 0;
    std::size_t after_recovery = 0;
    for (const auto& [tag, answer] : record.answered) {
        BOOST_TEST_CONTEXT(tag << " answered " << answer.status << " " << answer.body) {
            BOOST_TEST((answer.status == 200 || answer.status == 503));
            if (answer.status == 503) {
                ++unavailable;
                BOOST_TEST(answer.outcome == "storage_unavailable");
                BOOST_TEST(!answer.retry_after.empty(), "a 503 has a Retry-After");
            }
            // Sent once the server was down and answered before it was started again.
            if (answer.sent_at > paused && answer.answered_at < resume_began) {
                BOOST_TEST(answer.status == 503, "during the outage");
            }
            if (answer.sent_at > recovered) {
                ++after_recovery;
                BOOST_TEST(answer.status == 200, "after the recovery");
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
                                     << after_recovery << " after the recovery");

    for (const auto& problem : check_stored_once(record, rows_by_tag(*database()))) {
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
            BOOST_TEST((answer.status == 200 || answer.status == 409),
                       "retry of " << tag << ": " << answer.status << " " << answer.body);
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
