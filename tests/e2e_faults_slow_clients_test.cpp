// Hostile clients against server.header_timeout and server.max_header_bytes: slowloris
// connections (a header byte a second) are closed by the server within the header timeout,
// oversized headers are answered 431, and meanwhile a normal client is served 200 all along,
// quickly. On SQLite.
#define BOOST_TEST_MODULE e2e_faults_slow_clients
#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "support/e2e_fixture.hpp"
#include "support/http_client.hpp"
#include "support/json.hpp"
#include "support/load.hpp"

using namespace memolib::test;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

constexpr milliseconds kHeaderTimeout{2000};
// Timer granularity, scheduling on a busy machine, sanitizer builds.
constexpr milliseconds kCloseMargin{2000};
constexpr milliseconds kGiveUp = kHeaderTimeout + kCloseMargin + milliseconds(2000);
// A normal post's latency while the hostile clients run; it is a few ms when all is well.
constexpr milliseconds kMaxLatency{1000};

long long ms(Clock::duration d) { return std::chrono::duration_cast<milliseconds>(d).count(); }

/// Trickles a header byte a second on `connection` (whose request line and first headers
/// are already sent) until the server closes it or `kGiveUp` passes; returns how long the
/// connection lived since `opened`, or kGiveUp when the server kept it.
milliseconds trickle_until_closed(HttpConnection& connection, Clock::time_point opened) {
    while (Clock::now() - opened < kGiveUp) {
        if (!connection.nothing_received_within(milliseconds(1000))) {
            // Data (a 408, say) or the close itself: wait for the close.
            connection.wait_for_close();
            return std::chrono::duration_cast<milliseconds>(Clock::now() - opened);
        }
        try {
            connection.send_all("a");
        } catch (const HttpError&) {
            return std::chrono::duration_cast<milliseconds>(Clock::now() - opened);
        }
    }
    return kGiveUp;
}

/// One client posting normal form messages, one at a time, while the test runs.
class NormalClient {
public:
    explicit NormalClient(std::uint16_t port)
        : thread_([this, port] {
              for (int i = 0; !stop_.load(); ++i) {
                  const std::string tag = "normal-" + std::to_string(i) + "-" + random_hex(6);
                  Answer answer;
                  try {
                      answer = post_tagged(port, tag, milliseconds(10000));
                  } catch (const HttpError& e) {
                      answer.body = e.what();
                      answer.answered_at = Clock::now();
                  }
                  {
                      const std::lock_guard<std::mutex> lock(mutex_);
                      answers_.push_back(answer);
                  }
                  std::this_thread::sleep_for(milliseconds(50));
              }
          }) {}

    ~NormalClient() { stop(); }

    void stop() {
        stop_ = true;
        if (thread_.joinable()) thread_.join();
    }

    /// Checks that every answer was a quick 200 and that answers kept coming (no gap over a
    /// second) between `from` and `to`.
    void check_served(Clock::time_point from, Clock::time_point to) {
        stop();
        BOOST_TEST_REQUIRE(!answers_.empty());
        long long worst = 0;
        Clock::time_point last = from;
        long long longest_gap = 0;
        for (const Answer& answer : answers_) {
            BOOST_TEST(answer.status == 200,
                       "a normal post got " << answer.status << " " << answer.body);
            worst = std::max<long long>(worst, answer.latency.count());
            if (answer.answered_at >= from && answer.answered_at <= to) {
                longest_gap = std::max(longest_gap, ms(answer.answered_at - last));
                last = answer.answered_at;
            }
        }
        longest_gap = std::max(longest_gap, ms(to - last));
        BOOST_TEST_MESSAGE(answers_.size()
                           << " normal posts, the slowest took " << worst
                           << " ms, the longest gap between answers " << longest_gap << " ms");
        BOOST_TEST(worst <= kMaxLatency.count(), "the slowest normal post took " << worst << " ms");
        BOOST_TEST(longest_gap <= 1000, "no normal post answered for " << longest_gap << " ms");
    }

private:
    std::atomic<bool> stop_{false};
    std::mutex mutex_;
    std::vector<Answer> answers_;
    std::thread thread_;
};

struct SlowClientsFixture : GatewayFixture {
    SlowClientsFixture() {
        config.stages = {"size_limit", "verify", "parse", "dedup", "persist"};
        config.server_extra =
            "  header_timeout: 2s\n  idle_timeout: 30s\n  max_header_bytes: 8KiB\n";
    }
};

const std::string kRequestStart =
    "POST /webhooks/form HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n";

}  // namespace

BOOST_FIXTURE_TEST_SUITE(slow_clients, SlowClientsFixture)

BOOST_AUTO_TEST_CASE(slowloris_and_oversized_headers_are_cut_off_while_others_are_served) {
    start();
    NormalClient normal(port);
    const auto began = Clock::now();

    constexpr int kSlowloris = 16;
    std::vector<long long> lived(kSlowloris, -1);
    std::vector<std::thread> slow;
    slow.reserve(kSlowloris);
    for (int i = 0; i < kSlowloris; ++i) {
        slow.emplace_back([&, i] {
            try {
                const auto opened = Clock::now();
                HttpConnection connection(port, milliseconds(10000));
                connection.send_all(kRequestStart + "X-Slow: ");
                lived[static_cast<std::size_t>(i)] =
                    trickle_until_closed(connection, opened).count();
            } catch (const HttpError&) {
                // lived stays -1: the connection could not even be opened.
            }
        });
    }

    // Oversized headers, one after the other while the slowloris connections hang on.
    std::this_thread::sleep_for(milliseconds(300));
    for (int i = 0; i < 5; ++i) {
        HttpConnection connection(port, milliseconds(10000));
        const std::string big = kRequestStart +
                                "X-Big: " + std::string(std::size_t{16} * 1024, 'b') + "\r\n" +
                                "Content-Length: 2\r\n\r\n{}";
        connection.send_watching(big);
        const HttpResponse response = connection.read_response();
        check_error(response, 431, "header_too_large");
        BOOST_TEST(connection.wait_for_close(), "the connection is closed after the 431");
    }

    for (auto& t : slow) t.join();
    const auto ended = Clock::now();
    normal.check_served(began, ended);
    for (int i = 0; i < kSlowloris; ++i) {
        const long long t = lived[static_cast<std::size_t>(i)];
        BOOST_TEST_CONTEXT("slowloris connection " << i << " lived " << t << " ms") {
            BOOST_TEST(t >= kHeaderTimeout.count() - 500, "not closed before the header timeout");
            BOOST_TEST(t <= (kHeaderTimeout + kCloseMargin).count(),
                       "closed within header_timeout (2 s) + " << kCloseMargin.count() << " ms");
        }
    }
    BOOST_TEST(http_get(port, "/health").status == 200);
}

// The header timeout bounds every request's headers, not only the first one on a
// connection: a client that sends one honest request and then trickles the next one's
// headers must not get the (longer) idle timeout.
BOOST_AUTO_TEST_CASE(slowloris_after_a_first_request_on_a_kept_alive_connection_is_cut_off) {
    start();
    NormalClient normal(port);
    const auto began = Clock::now();
    HttpConnection connection(port, milliseconds(10000));
    const std::string body = tagged_form_json("first-" + random_hex(6));
    connection.send_all(kRequestStart + "Connection: keep-alive\r\nContent-Length: " +
                        std::to_string(body.size()) + "\r\n\r\n" + body);
    const HttpResponse first = connection.read_response();
    BOOST_REQUIRE_EQUAL(first.status, 200);
    const auto opened = Clock::now();
    connection.send_all(kRequestStart + "X-Slow: ");
    const long long lived = trickle_until_closed(connection, opened).count();
    normal.check_served(began, Clock::now());
    BOOST_TEST(lived <= (kHeaderTimeout + kCloseMargin).count(),
               "the second request's headers, a byte a second, were still read after "
                   << lived << " ms (header_timeout 2 s, idle_timeout 30 s)");
}

BOOST_AUTO_TEST_SUITE_END()
