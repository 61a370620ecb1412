#include "stages/rate_limiter.hpp"

#include <algorithm>
#include <chrono>
#include <future>
#include <thread>

#include <boost/test/unit_test.hpp>

#include "support/redis_server.hpp"
#include "util/clock.hpp"

using namespace memolib::core;
using memolib::test::free_loopback_port;
using memolib::test::RedisServer;

namespace {

// The memory limiter's clock; Redis is handed the same time as the request's own, so that one
// scenario runs on both backends.
ManualClock test_clock;

RateDecision hit(RateLimiter& limiter, const std::string& key, std::uint32_t limit,
                 std::uint64_t window, std::int64_t now) {
    test_clock.set(now);
    std::promise<RateDecision> p;
    auto f = p.get_future();
    limiter.hit(key, limit, window, now, [&p](RateDecision d) { p.set_value(d); });
    return f.get();
}

void exercise_window(RateLimiter& limiter, const std::string& prefix) {
    const std::int64_t t0 = 1'000'000;
    for (int i = 0; i < 3; ++i) BOOST_TEST(hit(limiter, prefix + "a", 3, 60000, t0 + i).allowed);
    RateDecision refused = hit(limiter, prefix + "a", 3, 60000, t0 + 10);
    BOOST_TEST(!refused.allowed);
    // The oldest request (t0) leaves the window at t0 + 60000.
    BOOST_TEST(refused.retry_after_ms == 59990u);
    BOOST_TEST(hit(limiter, prefix + "b", 3, 60000, t0 + 10).allowed);
    // One millisecond before the oldest leaves, the window is still full.
    RateDecision last_moment = hit(limiter, prefix + "a", 3, 60000, t0 + 59999);
    BOOST_TEST(!last_moment.allowed);
    BOOST_TEST(last_moment.retry_after_ms == 1u);
    // Refused requests do not count: once the first leaves, exactly one slot frees.
    BOOST_TEST(hit(limiter, prefix + "a", 3, 60000, t0 + 60000).allowed);
    BOOST_TEST(!hit(limiter, prefix + "a", 3, 60000, t0 + 60000).allowed);
    BOOST_TEST(hit(limiter, prefix + "a", 3, 60000, t0 + 60002).allowed);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(rate_limiter)

BOOST_AUTO_TEST_CASE(memory_sliding_window) {
    auto limiter = make_memory_rate_limiter(100000, test_clock);
    BOOST_TEST(limiter->synchronous());
    exercise_window(*limiter, "");
}

BOOST_AUTO_TEST_CASE(memory_key_cap_lets_new_keys_through) {
    auto limiter = make_memory_rate_limiter(16, test_clock);
    for (int i = 0; i < 200; ++i) hit(*limiter, "k" + std::to_string(i), 1, 60000, 1000);
    // Whatever the cap did, a fresh key is never refused on its first request.
    BOOST_TEST(hit(*limiter, "fresh", 1, 60000, 1000).allowed);
}

// An attacker who controls the key (the sender of an unsigned provider) uses each once: the
// keys must go once their window has passed, not stay until the process ends.
BOOST_AUTO_TEST_CASE(memory_forgets_keys_once_their_window_passed) {
    MemoryRateLimiter limiter(1000000, test_clock);
    const std::int64_t t0 = 1'000'000;
    const std::uint64_t window = 60000;
    const int keys = 600000;
    int refused = 0;
    for (int i = 0; i < keys; ++i) {
        // 100 new keys a millisecond: 6 s for all of them, well inside the window.
        const std::int64_t now = t0 + i / 100;
        refused += hit(limiter, "memolib:rl:form:sender:" + std::to_string(i) + "@example.org", 1,
                       window, now)
                           .allowed
                       ? 0
                       : 1;
    }
    BOOST_TEST(refused == 0);
    BOOST_TEST(limiter.size() == static_cast<std::size_t>(keys), "all still in their window");
    const std::int64_t later = t0 + keys / 100 + static_cast<std::int64_t>(window) + 1;
    BOOST_TEST(hit(limiter, "memolib:rl:form:sender:new@example.org", 1, window, later).allowed);
    BOOST_TEST(limiter.size() == 1U, "only the key still in its window is held");
}

// A hard cap: when every key held is still in its window, a new key takes the place of the
// key hit least recently. Keys in use (an honest provider's IP) keep their exact count, and a
// new key is counted too, so it is limited like any other.
BOOST_AUTO_TEST_CASE(memory_table_is_bounded_and_keeps_limiting_keys_in_use) {
    const std::size_t cap = 1600;
    MemoryRateLimiter limiter(cap, test_clock);
    const std::int64_t t0 = 1'000'000;
    int honest_allowed = 0;
    int attacker_refused = 0;
    std::size_t largest = 0;
    for (int round = 0; round < 100; ++round) {
        const std::int64_t now = t0 + round;
        for (int i = 0; i < 160; ++i) {
            const std::string key = "attacker-" + std::to_string(round) + "-" + std::to_string(i);
            attacker_refused += hit(limiter, key, 1, 60000, now).allowed ? 0 : 1;
        }
        honest_allowed += hit(limiter, "honest", 3, 60000, now).allowed ? 1 : 0;
        largest = std::max(largest, limiter.size());
    }
    BOOST_TEST(attacker_refused == 0, "a key's first request is never refused");
    BOOST_TEST(honest_allowed == 3, "the key in use kept its exact count through 16000 others");
    BOOST_TEST(largest <= cap);
    BOOST_TEST(hit(limiter, "late", 1, 60000, t0 + 200).allowed);
    BOOST_TEST(!hit(limiter, "late", 1, 60000, t0 + 201).allowed, "a new key is counted");
    BOOST_TEST(limiter.size() <= cap);
}

// The window is the steady clock's, whatever time the request says it is: a wall clock set
// back an hour does not keep a full key refused for that hour.
BOOST_AUTO_TEST_CASE(memory_windows_ignore_the_wall_clock) {
    ManualClock clock(5'000'000);
    MemoryRateLimiter limiter(100, clock);
    const auto at = [&](std::int64_t wall) {
        std::promise<RateDecision> p;
        limiter.hit("k", 1, 1000, wall, [&p](RateDecision d) { p.set_value(d); });
        return p.get_future().get();
    };
    BOOST_TEST(at(1'700'000'000'000).allowed);
    clock.advance(999);
    const RateDecision full = at(1'700'000'000'000 - 3'600'000);
    BOOST_TEST(!full.allowed);
    BOOST_TEST(full.retry_after_ms == 1u);
    clock.advance(1);
    BOOST_TEST(at(1'700'000'000'000 - 3'600'000).allowed);
}

BOOST_AUTO_TEST_CASE(redis_sliding_window_is_shared_between_instances) {
    RedisServer redis;
    std::string url = redis.url();
    auto a = make_redis_rate_limiter(url, 200);
    auto b = make_redis_rate_limiter(url, 200);
    BOOST_TEST(!a->synchronous());
    exercise_window(*a, "t1:");
    const std::int64_t t0 = 5'000'000;
    BOOST_TEST(hit(*a, "shared", 2, 60000, t0).allowed);
    BOOST_TEST(hit(*b, "shared", 2, 60000, t0 + 1).allowed);
    BOOST_TEST(!hit(*a, "shared", 2, 60000, t0 + 2).allowed);
    BOOST_TEST(!hit(*b, "shared", 2, 60000, t0 + 3).allowed);
}

BOOST_AUTO_TEST_CASE(unreachable_redis_lets_requests_through_then_recovers) {
    std::uint16_t port = free_loopback_port();
    auto limiter = make_redis_rate_limiter("redis://127.0.0.1:" + std::to_string(port), 100);
    // Nothing listens: fail open, and quickly (no timeout per request while it is down).
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < 20; ++i) BOOST_TEST(hit(*limiter, "k", 1, 60000, 1000 + i).allowed);
    BOOST_TEST((std::chrono::steady_clock::now() - start < std::chrono::seconds(2)));
    RedisServer redis(port);
    // The link tries a new connection once a second: wait until Redis counts again (a second
    // request of a key refused), at most 5 s.
    bool counting = false;
    for (int i = 0; i < 100 && !counting; ++i) {
        const std::string key = "probe" + std::to_string(i);
        hit(*limiter, key, 1, 60000, 1500);
        counting = !hit(*limiter, key, 1, 60000, 1501).allowed;
        if (!counting) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    BOOST_REQUIRE(counting);
    BOOST_TEST(hit(*limiter, "k2", 1, 60000, 2000).allowed);
    BOOST_TEST(!hit(*limiter, "k2", 1, 60000, 2001).allowed);
    redis.stop();
    BOOST_TEST(hit(*limiter, "k2", 1, 60000, 2002).allowed);
}

BOOST_AUTO_TEST_SUITE_END()
