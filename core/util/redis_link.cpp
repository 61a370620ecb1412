#include "util/redis_link.hpp"

#include <chrono>
#include <utility>

#include <hiredis/hiredis.h>

#include "observability/logger.hpp"

namespace memolib::core {

void RedisReplyFree::operator()(redisReply* reply) const { freeReplyObject(reply); }

RedisLink::RedisLink(const std::string& url, std::uint64_t timeout_ms, std::string event,
                     std::string effect)
    : address_(parse_redis_url(url)),
      timeout_ms_(timeout_ms),
      event_(std::move(event)),
      effect_(std::move(effect)) {
    std::string error;
    context_ = open_connection(error);
    if (context_ == nullptr) trip(error);
    prober_ = std::thread([this] { probe(); });
}

RedisLink::~RedisLink() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
    }
    probe_cv_.notify_all();
    prober_.join();
    if (context_ != nullptr) redisFree(context_);
    if (spare_ != nullptr) redisFree(spare_);
}

bool RedisLink::run(const Command& command) {
    std::lock_guard<std::mutex> command_lock(command_mutex_);
    if (context_ == nullptr) {
        std::lock_guard<std::mutex> lock(mutex_);
        context_ = std::exchange(spare_, nullptr);
    }
    if (context_ == nullptr) return false;
    std::string error;
    if (command(context_, error)) return true;
    if (context_->err != 0) error = context_->errstr;
    redisFree(context_);
    context_ = nullptr;
    trip(error);
    return false;
}

// A connection on which Redis answered PING (or SELECT), or nullptr with `error` set.
redisContext* RedisLink::open_connection(std::string& error) const {
    timeval tv{static_cast<time_t>(timeout_ms_ / 1000),
               static_cast<suseconds_t>((timeout_ms_ % 1000) * 1000)};
    redisContext* c = redisConnectWithTimeout(address_.host.c_str(), address_.port, tv);
    if (c == nullptr || c->err != 0) {
        error = c != nullptr ? c->errstr : "cannot allocate a context";
        if (c != nullptr) redisFree(c);
        return nullptr;
    }
    redisSetTimeout(c, tv);
    RedisReply r(static_cast<redisReply*>(
        address_.db != 0 ? redisCommand(c, "SELECT %d", address_.db) : redisCommand(c, "PING")));
    if (!r || r->type == REDIS_REPLY_ERROR) {
        error = c->err != 0 ? c->errstr : (r && r->str != nullptr ? r->str : "no reply");
        redisFree(c);
        return nullptr;
    }
    return c;
}

void RedisLink::probe() {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
        probe_cv_.wait(lock, [&] { return stopping_ || open_; });
        if (probe_cv_.wait_for(lock, std::chrono::seconds(1), [&] { return stopping_; })) return;
        lock.unlock();
        std::string error;
        redisContext* c = open_connection(error);
        lock.lock();
        if (c == nullptr) continue;
        if (stopping_) {
            redisFree(c);
            return;
        }
        spare_ = c;
        open_ = false;
        log().info(event_ + "_recovered", {{"host", address_.host}, {"port", address_.port}});
    }
}

void RedisLink::trip(const std::string& error) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (open_) return;
    open_ = true;
    log().warn(
        event_ + "_unavailable",
        {{"host", address_.host}, {"port", address_.port}, {"error", error}, {"effect", effect_}});
    probe_cv_.notify_all();
}

}  // namespace memolib::core
