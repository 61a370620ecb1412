#include "stages/rate_limiter.hpp"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <thread>

#include <boost/test/unit_test.hpp>

using namespace memolib::core;

namespace {

RateDecision hit(RateLimiter& limiter, const std::string& key, std::uint32_t limit,
                 std::uint64_t window, std::int64_t now) {
    std::promise<RateDecision> p;
    auto f = p.get_future();
    limiter.hit(key, limit, window, now, [&p](RateDecision d) { p.set_value(d); });
    return f.get();
}

std::uint16_t free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(fd);
    return ntohs(a.sin_port);
}

// A real redis-server on loopback, without persistence, stopped when the test ends.
struct RedisServer {
    explicit RedisServer(std::uint16_t p) : port(p) { start(); }
    ~RedisServer() { stop(); }
    void start() {
        pid = ::fork();
        if (pid == 0) {
            std::string port_arg = std::to_string(port);
            ::execlp("redis-server", "redis-server", "--port", port_arg.c_str(), "--bind",
                     "127.0.0.1", "--save", "", "--appendonly", "no", "--loglevel", "warning",
                     nullptr);
            ::_exit(127);
        }
        // Ready when it accepts a connection.
        for (int i = 0; i < 100; ++i) {
            int fd = ::socket(AF_INET, SOCK_STREAM, 0);
            sockaddr_in a{};
            a.sin_family = AF_INET;
            a.sin_port = htons(port);
            a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
            ::close(fd);
            if (ok) return;
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        BOOST_FAIL("redis-server did not start (is the redis-server package installed?)");
    }
    void stop() {
        if (pid <= 0) return;
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
        pid = -1;
    }
    std::uint16_t port;
    pid_t pid = -1;
};

void exercise_window(RateLimiter& limiter, const std::string& prefix) {
    const std::int64_t t0 = 1'000'000;
    for (int i = 0; i < 3; ++i) BOOST_TEST(hit(limiter, prefix + "a", 3, 60000, t0 + i).allowed);
    RateDecision refused = hit(limiter, prefix + "a", 3, 60000, t0 + 10);
    BOOST_TEST(!refused.allowed);
    // The oldest request (t0) leaves the window at t0 + 60000.
    BOOST_TEST(refused.retry_after_ms == 59990u);
    BOOST_TEST(hit(limiter, prefix + "b", 3, 60000, t0 + 10).allowed);
    // Refused requests do not count: once the first leaves, exactly one slot frees.
    BOOST_TEST(hit(limiter, prefix + "a", 3, 60000, t0 + 60000).allowed);
    BOOST_TEST(!hit(limiter, prefix + "a", 3, 60000, t0 + 60000).allowed);
    BOOST_TEST(hit(limiter, prefix + "a", 3, 60000, t0 + 60002).allowed);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(rate_limiter)

BOOST_AUTO_TEST_CASE(memory_sliding_window) {
    auto limiter = make_memory_rate_limiter();
    BOOST_TEST(limiter->synchronous());
    exercise_window(*limiter, "");
}

BOOST_AUTO_TEST_CASE(memory_key_cap_lets_new_keys_through) {
    auto limiter = make_memory_rate_limiter(16);
    for (int i = 0; i < 200; ++i) hit(*limiter, "k" + std::to_string(i), 1, 60000, 1000);
    // Whatever the cap did, a fresh key is never refused on its first request.
    BOOST_TEST(hit(*limiter, "fresh", 1, 60000, 1000).allowed);
}

BOOST_AUTO_TEST_CASE(redis_sliding_window_is_shared_between_instances) {
    RedisServer redis(free_port());
    std::string url = "redis://127.0.0.1:" + std::to_string(redis.port);
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
    std::uint16_t port = free_port();
    auto limiter = make_redis_rate_limiter("redis://127.0.0.1:" + std::to_string(port), 100);
    // Nothing listens: fail open, and quickly (no timeout per request while it is down).
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < 20; ++i) BOOST_TEST(hit(*limiter, "k", 1, 60000, 1000 + i).allowed);
    BOOST_TEST((std::chrono::steady_clock::now() - start < std::chrono::seconds(2)));
    RedisServer redis(port);
    // Reconnects at most once a second.
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    BOOST_TEST(hit(*limiter, "k2", 1, 60000, 2000).allowed);
    BOOST_TEST(!hit(*limiter, "k2", 1, 60000, 2001).allowed);
    redis.stop();
    BOOST_TEST(hit(*limiter, "k2", 1, 60000, 2002).allowed);
}

BOOST_AUTO_TEST_SUITE_END()
