#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "config/gateway_config.hpp"
#include "storage/database.hpp"
#include "storage/spool.hpp"
#include "util/clock.hpp"

namespace memolib::core {

struct RetryPolicy {
    int max_attempts = 3;
    std::uint64_t base_delay_ms = 100;
    std::uint64_t max_delay_ms = 5000;
    bool full_jitter = true;
};

/// kSpooled: committed to the local spool instead of the primary (each message kSpooled);
/// kSpoolFull: neither the primary nor the spool (at its cap, or its disk full) took it.
enum class StoreOutcome { kCommitted, kSpooled, kUnavailable, kSpoolFull, kFailed };

/// A request on its way to the writer (BatchWriter::announce()).
class StoreArrival {
public:
    explicit StoreArrival(std::shared_ptr<std::atomic<int>> arriving)
        : arriving_(std::move(arriving)) {}
    ~StoreArrival() { arrived(); }
    StoreArrival(const StoreArrival&) = delete;
    StoreArrival& operator=(const StoreArrival&) = delete;
    /// Counts this request as arrived; true the first time.
    bool arrived() {
        if (!arriving_) return false;
        arriving_->fetch_sub(1);
        arriving_.reset();
        return true;
    }

private:
    std::shared_ptr<std::atomic<int>> arriving_;
};

/// One request's messages waiting to be committed. `done` runs on the writer thread once the
/// transaction holding them has committed (kCommitted) or has definitely failed.
struct StoreJob {
    std::vector<NormalizedMessage>* messages = nullptr;
    const std::string* raw_payload = nullptr;
    const std::string* content_type = nullptr;
    /// Keeps the memory above alive until `done` has run.
    std::shared_ptr<void> owner;
    /// The request's announcement, if it made one: submitting it counts it as arrived.
    std::shared_ptr<StoreArrival> arrival;
    std::function<void(StoreOutcome, const std::string& error)> done;
    /// Set instead of `messages`: a request to quarantine, committed in a transaction of its
    /// own with the same retries (Database::insert_quarantine), what it did left in
    /// `quarantine_result` before `done` runs with kCommitted.
    QuarantineEntry* quarantine = nullptr;
    std::uint64_t quarantine_max_bytes = 0;
    QuarantineInsert* quarantine_result = nullptr;

    /// Set with `messages`: a quarantine entry re-processed, whose messages and state change
    /// are committed in a transaction of their own (Database::reprocess_quarantine), whether
    /// it changed the state left in `reprocessed` before `done` runs with kCommitted.
    std::int64_t reprocess_quarantine_id = 0;
    bool* reprocessed = nullptr;

    /// True for a job committed in a transaction of its own.
    bool alone() const { return quarantine != nullptr || reprocess_quarantine_id != 0; }
    /// The messages it holds (a quarantine job counts as one).
    std::size_t size() const { return quarantine != nullptr ? 1 : messages->size(); }
};

/// Group commit on dedicated threads (one for SQLite, `storage.pool` for PostgreSQL, each
/// with its connection): messages from concurrent requests share one transaction of at most
/// `max_messages`. A writer that finds work after an idle spell waits at most `max_delay` for
/// company, and only while announced requests are still on their way (see announce()).
/// Blocking database calls never run on the I/O threads.
class BatchWriter {
public:
    /// `clock` times the retries' backoff and budget and the full-storage report; the wait for
    /// company (max_delay) is the real clock's.
    BatchWriter(StorageConfig storage, RetryPolicy retry, Clock& clock = real_clock());
    ~BatchWriter();
    BatchWriter(const BatchWriter&) = delete;
    BatchWriter& operator=(const BatchWriter&) = delete;

    /// Opens the spool, if any, and reads what an earlier run left in it. Throws StorageError.
    void open_spool();
    /// The primary storage could not be migrated at start: batches go to the spool until the
    /// drainer has reached it and applied the migrations, then runs `after_migration` on that
    /// connection (what the start would have read from it).
    void primary_unavailable_at_start(std::function<void(Database&)> after_migration);
    /// Runs on the drainer's thread for each spooled quarantine entry that became a new row
    /// of the primary's table (the pending gauge counts it then). Set before start().
    void on_quarantine_drained(std::function<void(const QuarantineEntry&)> f) {
        on_quarantine_drained_ = std::move(f);
    }
    void start();
    /// Thread-safe. After stop(), the job fails at once with kUnavailable.
    void submit(StoreJob job);
    /// Announces a request that may soon submit a job: until its job is submitted or the
    /// token is dropped (nothing to store, or the request ended early), an idle writer that just
    /// got work waits for it rather than commit alone. Thread-safe; the token may outlive the
    /// writer.
    std::shared_ptr<StoreArrival> announce();
    /// Commits what is queued, then joins the thread.
    void stop();
    /// The same, unless the commits are not done by `deadline` (a database holding a lock):
    /// then it returns false at the deadline with the thread still running, and the caller
    /// may only exit the process (the uncommitted transaction is rolled back, its requests
    /// were never answered, so their providers retry).
    bool stop_until(std::chrono::steady_clock::time_point deadline);
    /// True when the last transaction (or connection attempt) succeeded.
    bool healthy() const { return healthy_; }
    /// True while the storage is full: a transaction failed for lack of space in the last few
    /// seconds and none committed since (a query, which /ready runs, still succeeds). After
    /// that it is presumed writable again, so that an instance taken out of a load balancer by
    /// /ready gets traffic to find out.
    bool full() const;
    /// The spool's state; nullopt when there is none (SQLite, or storage.spool.path empty).
    std::optional<SpoolStats> spool_stats() const;
    /// True while a spool stands in for the primary storage: the primary failed and has not
    /// committed since, or the spool still holds messages to drain.
    bool degraded() const;
    /// True while the spool cannot take messages: it refused a batch (its cap, its disk full)
    /// in the last few seconds and took none since.
    bool spool_full() const;

private:
    void run();
    void run_checkpoints();
    void commit(std::vector<StoreJob>& jobs, std::unique_ptr<Database>& db);
    bool try_commit(std::vector<StoreJob>& jobs, std::unique_ptr<Database>& db, std::string& error,
                    StorageError::Kind& kind);
    std::uint64_t backoff_ms(int attempt);
    void fail_unavailable(std::vector<StoreJob>& jobs, const std::string& error);
    /// True when a batch should go to the spool without trying the primary.
    bool spool_first(const std::vector<StoreJob>& jobs) const;
    void spool_jobs(std::vector<StoreJob>& jobs);
    void run_drainer();
    /// Moves one batch of spooled rows into the primary; false when there was nothing to move
    /// or the primary failed.
    bool drain_batch(std::unique_ptr<Database>& db, std::int64_t& after);
    /// Moves the spool's quarantine entries into the primary's table; false when there were
    /// none.
    bool drain_quarantine(Database& db);
    bool spoolable(const StoreJob& job) const;
    void spool_quarantine(StoreJob& job);
    static StoreOutcome spool_outcome(const StorageError& e);
    /// What the spool's last answer means for /ready and the drainer.
    void spool_answered(StoreOutcome outcome, const std::string& error);
    void drain_rows(Database& db, std::vector<StoredMessage>& rows);
    void drain_failed(const std::string& error);
    /// The primary committed (or migrated) for the drainer: the writers may use it again.
    void primary_answered();

    StorageConfig storage_;
    RetryPolicy retry_;
    Clock& clock_;
    std::mutex mutex_;
    std::condition_variable idle_cv_;     // a writer waiting for its first job
    std::condition_variable company_cv_;  // a writer waiting for its batch to fill
    std::condition_variable done_cv_;     // stop_until waiting for the writers to finish
    std::deque<StoreJob> queue_;
    std::size_t queued_messages_ = 0;
    int idle_writers_ = 0;
    /// Announced requests that have not submitted yet (shared with their tokens), and writers
    /// waiting for them.
    std::shared_ptr<std::atomic<int>> arriving_ = std::make_shared<std::atomic<int>>(0);
    int company_waiters_ = 0;
    bool stopping_ = false;
    bool started_ = false;
    int running_ = 0;
    std::atomic<bool> healthy_{true};
    /// `clock_` milliseconds: when the last commit succeeded, when a transaction last
    /// failed as unavailable, and when it last failed for lack of space.
    std::atomic<std::int64_t> last_success_ms_{0};
    std::atomic<std::int64_t> failed_at_ms_{0};
    std::atomic<std::int64_t> full_at_ms_{0};
    /// Held by the one writer trying the storage again after a failure.
    std::mutex trial_mutex_;
    std::vector<std::thread> threads_;
    /// SQLite only: copies the WAL into the database file beside the writer, so that no
    /// commit (and no request waiting for it) pays for a checkpoint.
    std::thread checkpointer_;
    std::condition_variable checkpoint_cv_;
    /// Messages committed since the last checkpoint.
    std::atomic<std::size_t> uncheckpointed_{0};
    /// PostgreSQL with storage.spool.path: where batches go while it is down, and the thread
    /// that moves them back.
    std::unique_ptr<Spool> spool_;
    std::thread drainer_;
    std::condition_variable drain_cv_;
    bool wake_drainer_ = false;
    /// False until the primary's migrations are known applied.
    std::atomic<bool> primary_ready_{true};
    std::function<void(Database&)> after_migration_;
    std::function<void(const QuarantineEntry&)> on_quarantine_drained_;
    std::atomic<std::int64_t> spool_full_at_ms_{0};
    /// Whether the spool's last answer was a refusal (a timestamp cannot order two events of
    /// one millisecond).
    std::atomic<bool> spool_refusing_{false};
    /// The drainer's own: spooled rows the primary refused (left in the spool file), and the
    /// last error it logged.
    std::set<std::int64_t> refused_rows_;
    std::string last_drain_error_;
    /// False while the spool file left by an earlier run has not been read.
    std::atomic<bool> spool_read_{false};
};

}  // namespace memolib::core
