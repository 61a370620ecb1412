#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "config/gateway_config.hpp"

namespace memolib::core {

class Database;

/// Whether the storage answers a query now, checked on a connection and a thread of its own
/// so that the one asking (/ready) waits a bounded time whatever the storage does: a check
/// that a hung server leaves waiting is an answer too.
class StorageProbe {
public:
    struct Result {
        bool ok = false;
        /// Why not, for the log and the admin: may name the host and port.
        std::string error;
    };

    explicit StorageProbe(StorageConfig storage);
    ~StorageProbe();
    StorageProbe(const StorageProbe&) = delete;
    StorageProbe& operator=(const StorageProbe&) = delete;

    /// The outcome of a check begun after this call, waiting for it at most `wait`; not ok when
    /// it takes longer, or at once when the check under way has already taken longer.
    /// Thread-safe; blocks the caller at most `wait`.
    Result check(std::chrono::milliseconds wait);

private:
    void run();
    Result run_check();

    StorageConfig storage_;
    std::unique_ptr<Database> db_;
    std::mutex mutex_;
    std::condition_variable wanted_cv_;
    std::condition_variable done_cv_;
    bool stopping_ = false;
    /// Checks asked for, begun and finished, counted; the result of the last one finished.
    std::uint64_t asked_ = 0;
    std::uint64_t begun_ = 0;
    std::uint64_t finished_ = 0;
    std::chrono::steady_clock::time_point begun_at_;
    Result last_{true, {}};
    std::thread thread_;
};

}  // namespace memolib::core
