// A real redis-server on a free loopback port, without persistence, for the rate-limit tests.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

namespace memolib::test {

class RedisServer {
public:
    /// Starts redis-server (from PATH) on `port`, or on a free port when 0; waits until it
    /// accepts connections.
    explicit RedisServer(std::uint16_t port = 0);
    ~RedisServer();
    RedisServer(const RedisServer&) = delete;
    RedisServer& operator=(const RedisServer&) = delete;

    void start();
    /// Kills it (SIGKILL): an outage, not a shutdown.
    void stop();
    /// SIGSTOP: a server that hangs (the kernel still accepts connections).
    void freeze();
    /// SIGCONT.
    void thaw();
    std::uint16_t port() const { return port_; }
    std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }

private:
    std::uint16_t port_;
    pid_t pid_ = -1;
};

/// A TCP port on 127.0.0.1 that nothing listens on right now.
std::uint16_t free_loopback_port();

}  // namespace memolib::test
