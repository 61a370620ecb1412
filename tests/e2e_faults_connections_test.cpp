// More connections than the gateway may hold: out of file descriptors (a low open-file limit
// set on the child) it backs off instead of retrying accept in a loop, logs a bounded amount,
// and serves again once the connections close; beyond server.max_connections new connections
// wait in the listen backlog. And an idle gateway exits at once on SIGTERM, its port at once
// free for the next one. On SQLite.
#define BOOST_TEST_MODULE e2e_faults_connections
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "support/e2e_fixture.hpp"
#include "support/http_client.hpp"
#include "support/load.hpp"

using namespace memolib::test;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

long long ms(Clock::duration d) { return std::chrono::duration_cast<milliseconds>(d).count(); }

/// The CPU time (user + system) the process has used so far.
milliseconds cpu_time(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::istringstream fields(stat.substr(stat.rfind(')') + 2));
    std::string field;
    // After the command: state is field 3, utime 14 and stime 15.
    long long ticks = 0;
    for (int i = 3; i <= 15 && fields >> field; ++i) {
        if (i >= 14) ticks += std::stoll(field);
    }
    return milliseconds(ticks * 1000 / ::sysconf(_SC_CLK_TCK));
}

std::uintmax_t log_size(const std::filesystem::path& path) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    return ec ? 0 : size;
}

/// A loopback port free now (bound to port 0, then released).
std::uint16_t free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    BOOST_REQUIRE(fd >= 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    BOOST_REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    socklen_t length = sizeof address;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    ::close(fd);
    return ntohs(address.sin_port);
}

/// `count` connections that send nothing.
std::vector<std::unique_ptr<HttpConnection>> open_idle(std::uint16_t port, int count) {
    std::vector<std::unique_ptr<HttpConnection>> connections;
    connections.reserve(static_cast<std::size_t>(count));
    for (int i = 0; i < count; ++i)
        connections.push_back(std::make_unique<HttpConnection>(port, milliseconds(5000)));
    return connections;
}

/// How long /health takes to answer on a new connection.
milliseconds health_latency(std::uint16_t port) {
    const auto sent = Clock::now();
    const HttpResponse answer = http_request(port, {"GET", "/health", {}, ""}, milliseconds(5000));
    BOOST_TEST(answer.status == 200);
    return std::chrono::duration_cast<milliseconds>(Clock::now() - sent);
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(connections, GatewayFixture)

BOOST_AUTO_TEST_CASE(out_of_file_descriptors_it_backs_off_logs_little_and_recovers) {
    // Far fewer descriptors than connections; the cap set above them, so that accept fails.
    fd_limit = 64;
    config.server_extra = "  max_connections: 10000\n";
    start();
    const auto log_before = log_size(gateway->log_file());
    const milliseconds cpu_before = cpu_time(gateway->pid());
    auto idle = open_idle(port, 150);
    // A window in which a gateway that retries accept at once would spin and log all along.
    const auto window_start = Clock::now();
    std::this_thread::sleep_for(milliseconds(1500));
    const milliseconds cpu = cpu_time(gateway->pid()) - cpu_before;
    const auto window = Clock::now() - window_start;
    const auto logged = log_size(gateway->log_file()) - log_before;
    BOOST_TEST(logged < 8 * 1024u, logged << " bytes logged in " << ms(window) << " ms");
    BOOST_TEST(cpu.count() < ms(window) / 4,
               cpu.count() << " ms of CPU in " << ms(window) << " ms of wall time");
    const auto events = gateway->events();
    BOOST_TEST(std::any_of(events.begin(), events.end(),
                           [](const LogEvent& e) { return e.get("event") == "accept_failed"; }));
    idle.clear();
    BOOST_TEST(health_latency(port).count() < 1000);
    BOOST_TEST(post_tagged(port, "after-emfile").status == 200);
}

BOOST_AUTO_TEST_CASE(beyond_max_connections_new_ones_wait_in_the_backlog) {
    config.server_extra = "  max_connections: 4\n";
    start();
    const auto log_before = log_size(gateway->log_file());
    auto idle = open_idle(port, 4);
    HttpConnection waiting(port, milliseconds(5000));
    waiting.send_all("GET /health HTTP/1.1\r\nHost: gateway\r\nConnection: close\r\n\r\n");
    BOOST_TEST(waiting.nothing_received_within(milliseconds(500)),
               "a fifth connection was served while four were open");
    const auto freed = Clock::now();
    idle.clear();
    const HttpResponse answer = waiting.read_response();
    BOOST_TEST(answer.status == 200);
    BOOST_TEST(ms(Clock::now() - freed) < 1000);
    BOOST_TEST(log_size(gateway->log_file()) - log_before < 8 * 1024u);
    BOOST_TEST(post_tagged(port, "after-cap").status == 200);
}

BOOST_AUTO_TEST_CASE(an_idle_gateway_exits_at_once_and_its_port_is_free_for_the_next) {
    const std::uint16_t fixed = free_port();
    config.listen = "127.0.0.1:" + std::to_string(fixed);
    start();
    BOOST_REQUIRE(port == fixed);
    // The server closes this one first: its side of it stays in TIME_WAIT on the port.
    BOOST_TEST(post_tagged(port, "before-restart").status == 200);
    // And this one stays open, idle, kept alive.
    HttpConnection kept(port, milliseconds(5000));
    kept.send_all("GET /health HTTP/1.1\r\nHost: gateway\r\n\r\n");
    BOOST_TEST(kept.read_response().status == 200);
    const auto signalled = Clock::now();
    const ExitStatus status = gateway->stop();
    const auto took = Clock::now() - signalled;
    BOOST_TEST(status.clean(), status.describe());
    BOOST_TEST(ms(took) < 500, "exit took " << ms(took) << " ms");
    start();
    BOOST_TEST(port == fixed);
    BOOST_TEST(health_latency(port).count() < 1000);
}

BOOST_AUTO_TEST_SUITE_END()
