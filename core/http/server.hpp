#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "config/gateway_config.hpp"
#include "pipeline/exchange.hpp"

namespace memolib::core {

/// What the server asks of the application; kept free of Beast so that only server.cpp pays
/// for its templates.
class HttpHandler {
public:
    virtual ~HttpHandler() = default;
    /// Called once the headers are read. Returns the largest body to read, or nullopt when
    /// `ex` is already answered (ex.status set), before any of the body is read.
    virtual std::optional<std::uint64_t> admit(Exchange& ex) = 0;
    /// Called once the body is read. Calls `done` exactly once, from any thread, when
    /// ex.status and the body of the answer are set.
    virtual void handle(const std::shared_ptr<Exchange>& ex, std::function<void()> done) = 0;
    /// Called when the answer is about to be written, for every request, whatever path it
    /// took: the place to compress it, and for the request's log line and metrics.
    virtual void completed(Exchange& ex) = 0;
};

/// The Beast listener and its sessions: keep-alive, per-phase timeouts, header and body
/// limits, 100-continue, and nginx-style lingering close after an early answer.
class HttpServer {
public:
    HttpServer(const ServerConfig& config, HttpHandler& handler);
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    /// Binds and listens; throws std::runtime_error when the address cannot be bound.
    void listen();
    /// The bound port (useful with port 0).
    std::uint16_t port() const;
    /// Serves on the configured number of threads until SIGINT/SIGTERM or stop(); then stops
    /// accepting and lets in-flight requests finish for up to the shutdown grace period.
    void run();
    /// Asks run() to return, gracefully; thread-safe.
    void stop();
    /// When the shutdown grace ends (valid once run() has returned).
    std::chrono::steady_clock::time_point shutdown_deadline() const;
    /// Calls `fn` on an I/O thread at every SIGHUP (set before run()).
    void on_hangup(std::function<void()> fn);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

/// Sets `id` to `candidate` when that is a usable request id (1-128 of [A-Za-z0-9._:-]), else
/// to a new random one; written in place, so that a reused exchange keeps its buffer.
void assign_request_id(std::string& id, const std::string* candidate);

}  // namespace memolib::core
