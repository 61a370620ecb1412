#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "config/gateway_config.hpp"
#include "storage/database.hpp"

namespace memolib::core {

struct RetryPolicy {
    int max_attempts = 3;
    std::uint64_t base_delay_ms = 100;
    std::uint64_t max_delay_ms = 5000;
    bool full_jitter = true;
};

enum class StoreOutcome { kCommitted, kUnavailable, kFailed };

/// One request's messages waiting to be committed. `done` runs on the writer thread once the
/// transaction holding them has committed (kCommitted) or has definitely failed.
struct StoreJob {
    std::vector<NormalizedMessage>* messages = nullptr;
    const std::string* raw_payload = nullptr;
    const std::string* content_type = nullptr;
    /// Keeps the memory above alive until `done` has run.
    std::shared_ptr<void> owner;
    std::function<void(StoreOutcome, const std::string& error)> done;
};

/// Group commit on dedicated threads (one for SQLite, `storage.pool` for PostgreSQL, each
/// with its connection): messages from concurrent requests share one transaction of at most
/// `max_messages`, after waiting at most `max_delay` for company. Blocking database calls
/// never run on the I/O threads.
class BatchWriter {
public:
    BatchWriter(StorageConfig storage, RetryPolicy retry);
    ~BatchWriter();
    BatchWriter(const BatchWriter&) = delete;
    BatchWriter& operator=(const BatchWriter&) = delete;

    void start();
    /// Thread-safe. After stop(), the job fails at once with kUnavailable.
    void submit(StoreJob job);
    /// Commits what is queued, then joins the thread.
    void stop();
    /// The same, unless the commits are not done by `deadline` (a database holding a lock):
    /// then it returns false at the deadline with the thread still running, and the caller
    /// may only exit the process (the uncommitted transaction is rolled back, its requests
    /// were never answered, so their providers retry).
    bool stop_until(std::chrono::steady_clock::time_point deadline);
    /// True when the last transaction (or connection attempt) succeeded.
    bool healthy() const { return healthy_; }

private:
    void run();
    void commit(std::vector<StoreJob>& jobs, std::unique_ptr<Database>& db);
    bool try_commit(std::vector<StoreJob>& jobs, std::unique_ptr<Database>& db, std::string& error,
                    bool& transient);
    std::uint64_t backoff_ms(int attempt);

    StorageConfig storage_;
    RetryPolicy retry_;
    std::mutex mutex_;
    std::condition_variable cv_;
    std::deque<StoreJob> queue_;
    bool stopping_ = false;
    bool started_ = false;
    int running_ = 0;
    std::atomic<bool> healthy_{true};
    std::vector<std::thread> threads_;
};

}  // namespace memolib::core
