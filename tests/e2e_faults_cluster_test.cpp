// Two gateway instances sharing one PostgreSQL database and one Redis, as behind a load
// balancer: the same message posted to both at the same moment is stored once and the other
// answer says duplicate; a rate limit of 100/h holds for both together.
// PostgreSQL only (CTest passes `-- --backend=postgresql`).
#define BOOST_TEST_MODULE e2e_faults_cluster
#include <chrono>
#include <condition_variable>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "support/e2e_fixture.hpp"
#include "support/http_client.hpp"
#include "support/load.hpp"
#include "support/redis_server.hpp"

using namespace memolib::test;
using std::chrono::milliseconds;

namespace {

/// Releases a fixed number of threads together, round after round.
class Barrier {
public:
    explicit Barrier(int count) : count_(count) {}

    void arrive_and_wait() {
        std::unique_lock<std::mutex> lock(mutex_);
        const long long round = round_;
        if (++waiting_ == count_) {
            waiting_ = 0;
            ++round_;
            released_.notify_all();
            return;
        }
        released_.wait(lock, [&] { return round_ != round; });
    }

private:
    std::mutex mutex_;
    std::condition_variable released_;
    const int count_;
    int waiting_ = 0;
    long long round_ = 0;
};

/// Posts one message on a kept-alive connection, opening a new one when needed; an answer
/// with status 0 means none came.
class Client {
public:
    explicit Client(std::uint16_t port) : port_(port) {}

    Answer post(const std::string& tag) {
        HttpRequest request;
        request.method = "POST";
        request.target = "/webhooks/form";
        request.headers = {{"Content-Type", "application/json"}, {"Connection", "keep-alive"}};
        request.body = tagged_form_json(tag);
        try {
            if (!connection_)
                connection_ = std::make_unique<HttpConnection>(port_, milliseconds(30000));
            connection_->send_all(serialize_head(request) + request.body);
            const HttpResponse response = connection_->read_response();
            if (response.header("Connection").value_or("") == "close") connection_.reset();
            return read_answer(response);
        } catch (const HttpError& e) {
            connection_.reset();
            Answer none;
            none.body = e.what();
            return none;
        }
    }

private:
    std::uint16_t port_;
    std::unique_ptr<HttpConnection> connection_;
};

struct ClusterFixture : GatewayFixture {
    RedisServer redis;
    std::unique_ptr<GatewayProcess> second;
    std::uint16_t port2 = 0;

    ClusterFixture() {
        BOOST_REQUIRE_MESSAGE(current_backend() == "postgresql",
                              "run with -- --backend=postgresql");
        // A Redis answer slower than the default 200 ms would let a request through (fail
        // open); on a busy test machine that is not the behaviour under test.
        config.pipeline_extra =
            "  rate_limit: {backend: redis, redis_url: \"" + redis.url() + "\", timeout: 5s}\n";
    }

    /// Starts both instances on the same configuration, storage and Redis (each its own spool).
    void start_both() {
        start();
        second = start_another("gateway2");
        port2 = second->port();
    }

    ~ClusterFixture() {
        if (!second) return;
        const ExitStatus status = second->stop();
        const std::string log = second->log();
        BOOST_CHECK_MESSAGE(status.clean(), "on SIGTERM, the second gateway " << status.describe());
        BOOST_CHECK_MESSAGE(log.find("Sanitizer") == std::string::npos,
                            "the second gateway's log holds a sanitizer report");
        if (!current_test_passed()) {
            std::cerr << "---- second gateway log ----\n" << log << "---- end ----\n";
        }
    }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(two_instances, ClusterFixture)

BOOST_AUTO_TEST_CASE(the_same_message_posted_to_both_at_once_is_stored_once) {
    config.stages = {"size_limit", "verify", "parse", "enrich", "dedup", "cache", "persist"};
    start_both();
    constexpr int kMessages = 200;
    std::vector<std::string> tags;
    tags.reserve(kMessages);
    for (int i = 0; i < kMessages; ++i)
        tags.push_back("twin-" + std::to_string(i) + "-" + random_hex(8));
    std::vector<Answer> answers[2] = {std::vector<Answer>(kMessages),
                                      std::vector<Answer>(kMessages)};
    Barrier barrier(2);
    std::vector<std::thread> threads;
    threads.reserve(2);
    for (int instance = 0; instance < 2; ++instance) {
        threads.emplace_back([&, instance] {
            Client client(instance == 0 ? port : port2);
            for (int i = 0; i < kMessages; ++i) {
                barrier.arrive_and_wait();
                answers[instance][static_cast<std::size_t>(i)] =
                    client.post(tags[static_cast<std::size_t>(i)]);
            }
        });
    }
    for (auto& t : threads) t.join();

    LoadRecord record;
    record.sent = tags;
    std::map<std::string, int> outcomes;
    std::size_t wrong = 0;
    for (std::size_t i = 0; i < tags.size(); ++i) {
        const Answer& a = answers[0][i];
        const Answer& b = answers[1][i];
        ++outcomes[std::to_string(a.status) + " " + a.outcome + " / " + std::to_string(b.status) +
                   " " + b.outcome];
        const Answer& stored = a.status == 200 ? a : b;
        const Answer& other = a.status == 200 ? b : a;
        const bool as_expected = stored.status == 200 && stored.outcome == "stored" &&
                                 other.status == 409 && other.outcome == "duplicate";
        if (!as_expected && ++wrong <= 10) {
            BOOST_ERROR("message " << tags[i] << ": instance 1 answered " << a.status << " "
                                   << a.body << "; instance 2 answered " << b.status << " "
                                   << b.body);
        }
        if (stored.status == 200) record.answered[tags[i]] = stored;
    }
    for (const auto& [pair, count] : outcomes) BOOST_TEST_MESSAGE(count << " × " << pair);
    BOOST_TEST(wrong == 0U, wrong << " of " << kMessages
                                  << " messages did not get one `stored` and one `duplicate`");

    const auto rows = rows_by_tag(*database());
    for (const auto& problem : check_stored_once(record, rows)) BOOST_ERROR(problem);
    BOOST_TEST(rows.size() == static_cast<std::size_t>(kMessages));
}

BOOST_AUTO_TEST_CASE(a_rate_limit_of_100_per_hour_holds_across_both_instances) {
    config.stages = {"size_limit", "rate_limit", "verify", "parse",
                     "enrich",     "dedup",      "cache",  "persist"};
    ChannelConfig form = GatewayConfig::form_channel();
    form.settings.emplace_back("rate_limit", "{requests: 100, window: 1h, key: channel}");
    config.channels = {form};
    start_both();
    constexpr int kThreadsPerInstance = 3;
    constexpr int kPostsPerThread = 25;
    std::mutex mutex;
    std::map<int, int> statuses;
    std::vector<std::string> problems;
    std::map<std::string, Answer> answered;
    std::vector<std::thread> threads;
    threads.reserve(std::size_t{2} * kThreadsPerInstance);
    for (int t = 0; t < 2 * kThreadsPerInstance; ++t) {
        threads.emplace_back([&, t] {
            Client client(t % 2 == 0 ? port : port2);
            for (int i = 0; i < kPostsPerThread; ++i) {
                const std::string tag =
                    "limit-" + std::to_string(t) + "-" + std::to_string(i) + "-" + random_hex(6);
                const Answer answer = client.post(tag);
                const std::lock_guard<std::mutex> lock(mutex);
                ++statuses[answer.status];
                answered[tag] = answer;
                if (answer.status == 429 &&
                    (answer.outcome != "rate_limited" || answer.retry_after.empty())) {
                    problems.push_back("429 without its reason or Retry-After: " + answer.body);
                }
            }
        });
    }
    for (auto& t : threads) t.join();
    for (const auto& p : problems) BOOST_ERROR(p);
    for (const auto& [status, count] : statuses) BOOST_TEST_MESSAGE(count << " × " << status);
    const int accepted = statuses[200] + statuses[409];
    BOOST_TEST(accepted == 100, accepted << " of 150 posts accepted with a limit of 100/h");
    BOOST_TEST(statuses[429] == 50);
    BOOST_TEST(statuses[200] + statuses[409] + statuses[429] == 150, "no other answer");

    LoadRecord record;
    for (const auto& [tag, answer] : answered) {
        record.sent.push_back(tag);
        record.answered[tag] = answer;
    }
    const auto rows = rows_by_tag(*database());
    for (const auto& problem : check_stored_once(record, rows)) BOOST_ERROR(problem);
    BOOST_TEST(rows.size() == 100U);
}

BOOST_AUTO_TEST_SUITE_END()
