#include "storage/batch_writer.hpp"

#include <algorithm>
#include <chrono>
#include <random>

#include "observability/logger.hpp"
#include "observability/metrics.hpp"

namespace memolib::core {

BatchWriter::BatchWriter(StorageConfig storage, RetryPolicy retry)
    : storage_(std::move(storage)), retry_(retry) {}

BatchWriter::~BatchWriter() { stop(); }

void BatchWriter::start() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (started_) return;
    started_ = true;
    // SQLite has one writer at a time; PostgreSQL commits from several connections at once
    // and flushes their WAL together, so each of `pool` writers commits its own batches.
    const int writers = storage_.backend == "postgresql" ? std::max(1, storage_.pool) : 1;
    running_ = writers;
    for (int i = 0; i < writers; ++i) {
        threads_.emplace_back([this] {
            run();
            std::lock_guard<std::mutex> done(mutex_);
            --running_;
            cv_.notify_all();
        });
    }
}

void BatchWriter::submit(StoreJob job) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!stopping_ && started_) {
            queue_.push_back(std::move(job));
            cv_.notify_one();
            return;
        }
    }
    job.done(StoreOutcome::kUnavailable, "the gateway is shutting down");
}

void BatchWriter::stop() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
        cv_.notify_all();
    }
    for (std::thread& t : threads_) t.join();
    threads_.clear();
}

bool BatchWriter::stop_until(std::chrono::steady_clock::time_point deadline) {
    {
        std::unique_lock<std::mutex> lock(mutex_);
        stopping_ = true;
        cv_.notify_all();
        if (!cv_.wait_until(lock, deadline, [this] { return running_ == 0; })) return false;
    }
    for (std::thread& t : threads_) t.join();
    threads_.clear();
    return true;
}

std::uint64_t BatchWriter::backoff_ms(int attempt) {
    std::uint64_t cap = retry_.base_delay_ms << std::min(attempt, 20);
    cap = std::min(cap, retry_.max_delay_ms);
    if (!retry_.full_jitter || cap == 0) return cap;
    // Full jitter: concurrent gateways that failed together do not retry together.
    thread_local std::mt19937_64 rng{std::random_device{}()};
    return std::uniform_int_distribution<std::uint64_t>(0, cap)(rng);
}

void BatchWriter::run() {
    // Each writer has its own connection, opened at its first batch.
    std::unique_ptr<Database> db;
    const auto max_delay = std::chrono::milliseconds(storage_.batch_max_delay_ms);
    const auto max_messages = static_cast<std::size_t>(storage_.batch_max_messages);
    for (;;) {
        std::vector<StoreJob> jobs;
        {
            std::unique_lock<std::mutex> lock(mutex_);
            cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
            if (queue_.empty()) return;
            auto count = [&] {
                std::size_t n = 0;
                for (const StoreJob& j : queue_) n += j.messages->size();
                return n;
            };
            // Wait a little for company, unless the batch is already full or we are stopping.
            auto deadline = std::chrono::steady_clock::now() + max_delay;
            while (!stopping_ && count() < max_messages &&
                   cv_.wait_until(lock, deadline) != std::cv_status::timeout) {
            }
            std::size_t taken = 0;
            while (!queue_.empty() &&
                   (jobs.empty() || taken + queue_.front().messages->size() <= max_messages)) {
                taken += queue_.front().messages->size();
                jobs.push_back(std::move(queue_.front()));
                queue_.pop_front();
            }
        }
        commit(jobs, db);
    }
}

bool BatchWriter::try_commit(std::vector<StoreJob>& jobs, std::unique_ptr<Database>& db,
                             std::string& error, bool& transient) {
    std::vector<StoreItem> items;
    for (StoreJob& j : jobs) {
        for (NormalizedMessage& m : *j.messages) {
            // Messages the dedup index already answered are not sent to the database again.
            if (m.status == NormalizedMessage::Status::kPending) {
                items.push_back({&m, j.raw_payload, j.content_type});
            }
        }
    }
    try {
        if (!db) db = Database::open(storage_);
        db->insert_batch(items);
        return true;
    } catch (const StorageError& e) {
        error = e.what();
        transient = e.kind() == StorageError::Kind::kTransient;
        // A broken connection is not reused: the next attempt reconnects.
        if (transient) db.reset();
        return false;
    }
}

void BatchWriter::commit(std::vector<StoreJob>& jobs, std::unique_ptr<Database>& db) {
    std::string error;
    bool transient = false;
    for (int attempt = 0;; ++attempt) {
        if (try_commit(jobs, db, error, transient)) {
            healthy_ = true;
            std::size_t messages = 0;
            for (const StoreJob& j : jobs) messages += j.messages->size();
            metrics().observe("memolib_batch_size", {}, static_cast<double>(messages));
            for (StoreJob& j : jobs) j.done(StoreOutcome::kCommitted, {});
            return;
        }
        if (!transient || attempt >= retry_.max_attempts) break;
        metrics().add("memolib_storage_retries_total", {});
        std::uint64_t delay = backoff_ms(attempt);
        log().warn("storage_retry", {{"attempt", attempt + 1},
                                     {"delay_ms", static_cast<long long>(delay)},
                                     {"error", error}});
        std::this_thread::sleep_for(std::chrono::milliseconds(delay));
    }
    if (transient || jobs.size() == 1) metrics().add("memolib_storage_failures_total", {});
    if (transient) {
        healthy_ = false;
        log().error("storage_unavailable", {{"error", error}});
        for (StoreJob& j : jobs) j.done(StoreOutcome::kUnavailable, error);
        return;
    }
    if (jobs.size() > 1) {
        // One request's bad row must not fail the others that shared its transaction.
        for (StoreJob& j : jobs) {
            std::vector<StoreJob> single;
            single.push_back(std::move(j));
            commit(single, db);
        }
        return;
    }
    log().error("storage_error", {{"error", error}});
    for (StoreJob& j : jobs) j.done(StoreOutcome::kFailed, error);
}

}  // namespace memolib::core
