#include "storage/batch_writer.hpp"

#include <algorithm>
#include <chrono>
#include <limits>
#include <random>

#include "observability/logger.hpp"
#include "observability/metrics.hpp"

namespace memolib::core {

namespace {

// How often the checkpointer copies the SQLite WAL into the database: every 100 ms under
// load, so that the commits find little left to copy; when few messages came, only every 5 s,
// since each checkpoint costs two fsyncs that slow the commits' own on a busy disk; never
// when nothing was committed.
constexpr auto kCheckpointInterval = std::chrono::milliseconds(100);
constexpr auto kQuietCheckpointInterval = std::chrono::seconds(5);
constexpr std::size_t kLoadedCheckpointMessages = 256;

// How long a full storage keeps /ready at 503 without a new failure: the Retry-After the
// providers are given.
constexpr std::int64_t kFullReportMs = 5000;

// While the primary has failed less than this long ago, batches go straight to the spool: one
// batch a second pays for trying it again (the retries), not every one.
constexpr std::int64_t kSpoolFirstMs = 1000;
// How often the drainer looks at the spool when nothing wakes it.
constexpr auto kDrainInterval = std::chrono::seconds(1);
// How long a spooled row the primary refused is left alone before it is tried again.
constexpr std::int64_t kRefusedRetryMs = 300000;

// The jobs' messages still to store, with the request each came from: those the dedup index
// already answered are not sent to the database again.
std::vector<StoreItem> pending_items(std::vector<StoreJob>& jobs) {
    std::vector<StoreItem> items;
    for (StoreJob& j : jobs) {
        for (NormalizedMessage& m : *j.messages) {
            if (m.status == NormalizedMessage::Status::kPending)
                items.push_back({&m, j.raw_payload, j.content_type});
        }
    }
    return items;
}

}  // namespace

BatchWriter::BatchWriter(StorageConfig storage, RetryPolicy retry, Clock& clock)
    : storage_(std::move(storage)), retry_(retry), clock_(clock) {
    if (storage_.backend == "postgresql" && !storage_.spool_path.empty())
        spool_ = std::make_unique<Spool>(storage_);
}

void BatchWriter::open_spool() {
    if (!spool_) return;
    spool_->refresh();
    spool_read_ = true;
}

void BatchWriter::primary_unavailable_at_start(std::function<void(Database&)> after_migration) {
    after_migration_ = std::move(after_migration);
    primary_ready_ = false;
    healthy_ = false;
    failed_at_ms_ = clock_.now_ms();
}

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
            done_cv_.notify_all();
        });
    }
    if (storage_.backend == "sqlite") checkpointer_ = std::thread([this] { run_checkpoints(); });
    if (spool_) {
        // Counted with the writers: stop_until() gives up on a drainer a hung primary holds.
        ++running_;
        drainer_ = std::thread([this] {
            run_drainer();
            std::lock_guard<std::mutex> done(mutex_);
            --running_;
            done_cv_.notify_all();
        });
    }
}

void BatchWriter::run_checkpoints() {
    std::unique_ptr<Database> db;
    bool failing = false;
    auto last = std::chrono::steady_clock::now();
    std::unique_lock<std::mutex> lock(mutex_);
    while (!checkpoint_cv_.wait_for(lock, kCheckpointInterval, [this] { return stopping_; })) {
        const std::size_t committed = uncheckpointed_.load();
        const auto now = std::chrono::steady_clock::now();
        if (committed == 0 ||
            (committed < kLoadedCheckpointMessages && now - last < kQuietCheckpointInterval)) {
            continue;
        }
        lock.unlock();
        uncheckpointed_ -= committed;
        last = now;
        try {
            if (!db) db = Database::open(storage_);
            db->checkpoint();
            failing = false;
        } catch (const StorageError& e) {
            // The commits' own checkpoint (wal_autocheckpoint) takes over meanwhile.
            if (!failing) log().warn("storage_checkpoint_failed", {{"error", e.what()}});
            failing = true;
            uncheckpointed_ += committed;
            db.reset();
        }
        lock.lock();
    }
}

void BatchWriter::submit(StoreJob job) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        const bool last_arrival = job.arrival && job.arrival->arrived() && *arriving_ == 0;
        job.arrival.reset();
        if (!stopping_ && started_) {
            queued_messages_ += job.size();
            queue_.push_back(std::move(job));
            // A wake-up is a system call on the hot path: only an idle writer needs one, and
            // a writer waiting for company only once its batch is full or nobody else is on
            // the way. (A request that ends without submitting does not wake it: the writer
            // then waits out max_delay.)
            if (idle_writers_ > 0) {
                idle_cv_.notify_one();
            } else if (company_waiters_ > 0 &&
                       (last_arrival || queued_messages_ >= static_cast<std::size_t>(
                                                                storage_.batch_max_messages))) {
                company_cv_.notify_all();
            }
            return;
        }
    }
    job.done(StoreOutcome::kUnavailable, "the gateway is shutting down");
}

std::shared_ptr<StoreArrival> BatchWriter::announce() {
    arriving_->fetch_add(1);
    return std::make_shared<StoreArrival>(arriving_);
}

void BatchWriter::stop() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
        idle_cv_.notify_all();
        company_cv_.notify_all();
        checkpoint_cv_.notify_all();
        drain_cv_.notify_all();
    }
    for (std::thread& t : threads_) t.join();
    threads_.clear();
    if (checkpointer_.joinable()) checkpointer_.join();
    if (drainer_.joinable()) drainer_.join();
}

bool BatchWriter::stop_until(std::chrono::steady_clock::time_point deadline) {
    {
        std::unique_lock<std::mutex> lock(mutex_);
        stopping_ = true;
        idle_cv_.notify_all();
        company_cv_.notify_all();
        checkpoint_cv_.notify_all();
        drain_cv_.notify_all();
        if (!done_cv_.wait_until(lock, deadline, [this] { return running_ == 0; })) return false;
    }
    for (std::thread& t : threads_) t.join();
    threads_.clear();
    if (checkpointer_.joinable()) checkpointer_.join();
    if (drainer_.joinable()) drainer_.join();
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
            const bool busy = !queue_.empty();
            ++idle_writers_;
            idle_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
            --idle_writers_;
            if (queue_.empty()) return;
            // Requests that queued up during the last commit are company enough: waiting would
            // only delay them. After an idle spell, wait a little for the requests already on
            // their way, unless the batch is full or we are stopping; with none on the way,
            // waiting would only add max_delay to this request.
            if (!busy) {
                ++company_waiters_;
                company_cv_.wait_for(lock, max_delay, [&] {
                    return stopping_ || queued_messages_ >= max_messages || *arriving_ == 0;
                });
                --company_waiters_;
            }
            std::size_t taken = 0;
            // A quarantine job, and a re-processing, has a transaction of its own.
            while (!queue_.empty() &&
                   (jobs.empty() || (!jobs.front().alone() && !queue_.front().alone() &&
                                     taken + queue_.front().size() <= max_messages))) {
                taken += queue_.front().size();
                jobs.push_back(std::move(queue_.front()));
                queue_.pop_front();
            }
            queued_messages_ -= taken;
        }
        // Another writer may have taken the queue while this one waited for company.
        if (jobs.empty()) continue;
        commit(jobs, db);
    }
}

bool BatchWriter::try_commit(std::vector<StoreJob>& jobs, std::unique_ptr<Database>& db,
                             std::string& error, StorageError::Kind& kind) {
    // A quarantining or a re-processing is alone in its batch (run()).
    StoreJob& first = jobs.front();
    std::vector<StoreItem> items;
    if (first.quarantine == nullptr) items = pending_items(jobs);
    try {
        if (!db) db = Database::open(storage_);
        if (first.quarantine != nullptr) {
            *first.quarantine_result =
                db->insert_quarantine(*first.quarantine, first.quarantine_max_bytes);
        } else if (first.reprocess_quarantine_id != 0) {
            *first.reprocessed = db->reprocess_quarantine(first.reprocess_quarantine_id, items);
        } else {
            db->insert_batch(items);
        }
        return true;
    } catch (const StorageError& e) {
        error = e.what();
        kind = e.kind();
        // A broken connection is not reused: the next attempt reconnects.
        if (kind != StorageError::Kind::kFatal) db.reset();
        return false;
    }
}

bool BatchWriter::full() const {
    const std::int64_t failed = full_at_ms_.load();
    return failed > last_success_ms_.load() && clock_.now_ms() - failed < kFullReportMs;
}

std::optional<SpoolStats> BatchWriter::spool_stats() const {
    if (!spool_) return std::nullopt;
    return spool_->stats();
}

bool BatchWriter::degraded() const {
    if (!spool_) return false;
    const SpoolStats stats = spool_->stats();
    return !healthy_ || !primary_ready_ || stats.depth > 0 || stats.quarantined > 0;
}

bool BatchWriter::spoolable(const StoreJob& job) const {
    // A re-processing is an operator's act on the primary's own quarantine table.
    return spool_ && job.reprocess_quarantine_id == 0;
}

bool BatchWriter::spool_full() const {
    return spool_refusing_ && clock_.now_ms() - spool_full_at_ms_.load() < kFullReportMs;
}

bool BatchWriter::spool_first(const std::vector<StoreJob>& jobs) const {
    if (!spoolable(jobs.front())) return false;
    return !primary_ready_ || (!healthy_ && clock_.now_ms() - failed_at_ms_.load() < kSpoolFirstMs);
}

void BatchWriter::spool_jobs(std::vector<StoreJob>& jobs) {
    if (jobs.front().quarantine != nullptr) return spool_quarantine(jobs.front());
    std::vector<StoreItem> items = pending_items(jobs);
    StoreOutcome outcome = StoreOutcome::kSpooled;
    std::string error;
    try {
        if (spool_->store(items) == Spool::Result::kFull) {
            outcome = StoreOutcome::kSpoolFull;
            error = "the spool is at storage.spool.max_size";
        }
    } catch (const StorageError& e) {
        error = e.what();
        outcome = spool_outcome(e);
    }
    if (outcome == StoreOutcome::kSpooled) {
        std::size_t messages = 0;
        for (const StoreJob& j : jobs) messages += j.size();
        metrics().observe("memolib_batch_size", {}, static_cast<double>(messages));
    }
    spool_answered(outcome, error);
    for (StoreJob& j : jobs) j.done(outcome, error);
}

void BatchWriter::spool_quarantine(StoreJob& job) {
    StoreOutcome outcome = StoreOutcome::kSpooled;
    std::string error;
    try {
        *job.quarantine_result = spool_->store_quarantine(*job.quarantine);
        if (*job.quarantine_result == QuarantineInsert::kFull) {
            outcome = StoreOutcome::kSpoolFull;
            error = "the spool is at storage.spool.max_size";
        }
    } catch (const StorageError& e) {
        error = e.what();
        outcome = spool_outcome(e);
    }
    spool_answered(outcome, error);
    job.done(outcome, error);
}

StoreOutcome BatchWriter::spool_outcome(const StorageError& e) {
    switch (e.kind()) {
        case StorageError::Kind::kFull:
            return StoreOutcome::kSpoolFull;
        case StorageError::Kind::kTransient:
            return StoreOutcome::kUnavailable;
        case StorageError::Kind::kFatal:
            break;
    }
    return StoreOutcome::kFailed;
}

void BatchWriter::spool_answered(StoreOutcome outcome, const std::string& error) {
    if (outcome == StoreOutcome::kSpooled) {
        spool_refusing_ = false;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            wake_drainer_ = true;
        }
        drain_cv_.notify_one();
        return;
    }
    if (outcome == StoreOutcome::kSpoolFull) {
        if (!spool_full()) log().error("spool_full", {{"error", error}});
    } else {
        log().error("spool_failed", {{"error", error}});
    }
    // Whatever the reason, the spool takes nothing now: /ready says so.
    spool_full_at_ms_ = clock_.now_ms();
    spool_refusing_ = true;
    metrics().add("memolib_spool_failures_total", {});
}

void BatchWriter::run_drainer() {
    std::unique_ptr<Database> db;
    std::int64_t refused_cleared_ms = clock_.now_ms();
    for (;;) {
        {
            std::unique_lock<std::mutex> lock(mutex_);
            drain_cv_.wait_for(lock, kDrainInterval, [this] { return stopping_ || wake_drainer_; });
            wake_drainer_ = false;
            if (stopping_) return;
        }
        // A spool the gateway could not read at start (its disk full) may hold rows an earlier
        // run acknowledged: its depth is not known until it is read.
        if (!spool_read_) {
            try {
                spool_->refresh();
                spool_read_ = true;
            } catch (const StorageError& e) {
                drain_failed(e.what());
                continue;
            }
        }
        // A batch just spooled means the primary just failed: it is not tried again at once.
        if (!healthy_ && clock_.now_ms() - failed_at_ms_.load() < kSpoolFirstMs) continue;
        // A refused row is tried again now and then: the operator may have fixed its cause.
        if (clock_.now_ms() - refused_cleared_ms > kRefusedRetryMs) {
            refused_rows_.clear();
            refused_cleared_ms = clock_.now_ms();
        }
        std::int64_t after = 0;
        while (drain_batch(db, after)) {
            std::lock_guard<std::mutex> lock(mutex_);
            if (stopping_) return;
        }
    }
}

void BatchWriter::drain_failed(const std::string& error) {
    metrics().add("memolib_spool_drain_failures_total", {});
    // Once per error, not once a second for the length of an outage.
    if (error == last_drain_error_) return;
    last_drain_error_ = error;
    log().warn("spool_drain_failed", {{"error", error}});
}

void BatchWriter::primary_answered() {
    if (!healthy_) log().info("storage_recovered", {});
    healthy_ = true;
    last_success_ms_ = clock_.now_ms();
    last_drain_error_.clear();
}

bool BatchWriter::drain_batch(std::unique_ptr<Database>& db, std::int64_t& after) {
    const SpoolStats stats = spool_->stats();
    if (primary_ready_ && stats.depth == 0 && stats.quarantined == 0) return false;
    try {
        if (!db) db = Database::open(storage_);
        if (!primary_ready_) {
            db->migrate();
            if (after_migration_) after_migration_(*db);
            // Its connection runs without the statement timeout that migrations lift.
            db.reset();
            primary_ready_ = true;
            log().info("storage_migrated_late", {});
            primary_answered();
            return true;
        }
        std::vector<StoredMessage> rows = spool_->oldest(storage_.batch_max_messages, after);
        if (rows.empty()) return drain_quarantine(*db);
        const std::int64_t last = rows.back().id;
        rows.erase(std::remove_if(
                       rows.begin(), rows.end(),
                       [this](const StoredMessage& r) { return refused_rows_.count(r.id) != 0; }),
                   rows.end());
        // Rows the primary refused stay behind; those after them are drained all the same.
        if (rows.empty()) {
            after = last;
            return true;
        }
        drain_rows(*db, rows);
        return true;
    } catch (const StorageError& e) {
        // A connection that refused every row may be to a server gone read-only (a failover):
        // the next attempt connects again.
        db.reset();
        drain_failed(e.what());
        return false;
    }
}

bool BatchWriter::drain_quarantine(Database& db) {
    constexpr int kEntriesPerPass = 16;
    std::vector<QuarantineEntry> entries = spool_->oldest_quarantine(kEntriesPerPass);
    for (QuarantineEntry& e : entries) {
        const std::int64_t spool_id = e.id;
        // Acknowledged already: kept whatever the quarantine's own cap says, as the spool's
        // messages are kept whatever the messages table holds.
        const QuarantineInsert result =
            db.insert_quarantine(e, std::numeric_limits<std::uint64_t>::max());
        if (result == QuarantineInsert::kInserted && on_quarantine_drained_)
            on_quarantine_drained_(e);
        spool_->remove_quarantine(spool_id);
        log().info("spool_drained_quarantine", {{"spool_id", static_cast<long long>(spool_id)},
                                                {"quarantine_id", static_cast<long long>(e.id)},
                                                {"request_id", e.request_id},
                                                {"again", result == QuarantineInsert::kExisting}});
    }
    if (!entries.empty()) primary_answered();
    return !entries.empty();
}

void BatchWriter::drain_rows(Database& db, std::vector<StoredMessage>& rows) {
    std::vector<std::string> payloads(rows.size());
    std::vector<std::string> content_types(rows.size());
    std::vector<NormalizedMessage> messages(rows.size());
    std::vector<StoreItem> items;
    std::vector<std::int64_t> ids;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        if (!message_from_row(rows[i], messages[i], payloads[i], content_types[i])) {
            // Stored anyway, it would lose its dedup key or its time: it waits for the operator.
            refused_rows_.insert(rows[i].id);
            log().error("spool_row_refused", {{"spool_id", static_cast<long long>(rows[i].id)},
                                              {"request_id", rows[i].request_id},
                                              {"error", "the row cannot be read back"}});
            continue;
        }
        items.push_back({&messages[i], &payloads[i], &content_types[i]});
        ids.push_back(rows[i].id);
    }
    if (items.empty()) return;
    std::vector<std::int64_t> moved;
    try {
        db.insert_batch(items);
        moved = ids;
    } catch (const StorageError& e) {
        if (e.kind() != StorageError::Kind::kFatal) throw;
        // One row the primary refuses must not hold back the others: each goes alone.
        std::vector<std::pair<std::size_t, std::string>> refused;
        for (std::size_t i = 0; i < items.size(); ++i) {
            std::vector<StoreItem> one{items[i]};
            try {
                db.insert_batch(one);
                moved.push_back(ids[i]);
            } catch (const StorageError& alone) {
                // What went in stays in the spool and drains again later, as duplicates.
                if (alone.kind() != StorageError::Kind::kFatal) throw;
                refused.emplace_back(i, alone.what());
            }
        }
        // Every row refused is the primary's state (read-only, a permission), not the rows'.
        if (moved.empty()) throw;
        for (const auto& [i, error] : refused) {
            refused_rows_.insert(ids[i]);
            log().error("spool_row_refused", {{"spool_id", static_cast<long long>(ids[i])},
                                              {"request_id", items[i].message->request_id},
                                              {"error", error}});
        }
    }
    // Committed in the primary before it leaves the spool: a crash in between drains it
    // again, and the primary's UNIQUE dedup key makes that a duplicate.
    spool_->remove(moved);
    double stored = 0;
    double duplicates = 0;
    for (const StoreItem& item : items) {
        stored += item.message->status == NormalizedMessage::Status::kStored ? 1 : 0;
        duplicates += item.message->status == NormalizedMessage::Status::kDuplicate ? 1 : 0;
    }
    if (stored > 0) metrics().add("memolib_spool_drained_total", {{"result", "stored"}}, stored);
    if (duplicates > 0)
        metrics().add("memolib_spool_drained_total", {{"result", "duplicate"}}, duplicates);
    log().info("spool_drained", {{"rows", moved.size()},
                                 {"stored", static_cast<long long>(stored)},
                                 {"duplicates", static_cast<long long>(duplicates)},
                                 {"left", static_cast<long long>(spool_->stats().depth)}});
    primary_answered();
}

void BatchWriter::fail_unavailable(std::vector<StoreJob>& jobs, const std::string& error) {
    for (StoreJob& j : jobs) j.done(StoreOutcome::kUnavailable, error);
}

void BatchWriter::commit(std::vector<StoreJob>& jobs, std::unique_ptr<Database>& db) {
    if (spool_first(jobs)) return spool_jobs(jobs);
    const std::int64_t started = clock_.now_ms();
    // After a failure, one writer at a time tries the storage again; a batch that waited for a
    // try that failed fails at once: with a hung server, each would otherwise wait out the
    // storage timeout in turn.
    std::unique_lock<std::mutex> trial(trial_mutex_, std::defer_lock);
    if (!healthy_) {
        // With a spool, a batch does not wait behind a try that a hung primary may hold for
        // the whole storage timeout: it goes to the spool.
        if (spoolable(jobs.front())) {
            if (!trial.try_lock()) return spool_jobs(jobs);
        } else {
            trial.lock();
        }
        if (!healthy_ && failed_at_ms_.load() >= started) {
            metrics().add("memolib_storage_failures_total", {});
            if (spoolable(jobs.front())) return spool_jobs(jobs);
            return fail_unavailable(jobs, "the storage failed while this batch waited for it");
        }
        if (healthy_) trial.unlock();
    }
    std::string error;
    auto kind = StorageError::Kind::kFatal;
    bool transient = false;
    // Retries ride out a blip of a storage that was answering. A try of one known to be down
    // has the spool behind it: retrying would only hold its batch back.
    const int max_attempts = trial.owns_lock() && spoolable(jobs.front()) ? 0 : retry_.max_attempts;
    for (int attempt = 0;; ++attempt) {
        if (try_commit(jobs, db, error, kind)) {
            if (!healthy_) log().info("storage_recovered", {});
            healthy_ = true;
            last_success_ms_ = clock_.now_ms();
            std::size_t messages = 0;
            for (const StoreJob& j : jobs) messages += j.size();
            metrics().observe("memolib_batch_size", {}, static_cast<double>(messages));
            uncheckpointed_ += messages;
            for (StoreJob& j : jobs) j.done(StoreOutcome::kCommitted, {});
            return;
        }
        transient = kind != StorageError::Kind::kFatal;
        if (!transient || attempt >= max_attempts) break;
        std::uint64_t delay = backoff_ms(attempt);
        // The retries share the request's time budget: a hung storage is answered 503 within
        // about the storage timeout, not once per attempt.
        if (clock_.now_ms() - started + static_cast<std::int64_t>(delay) >=
            static_cast<std::int64_t>(storage_.timeout_ms)) {
            break;
        }
        metrics().add("memolib_storage_retries_total", {});
        log().warn("storage_retry", {{"attempt", attempt + 1},
                                     {"delay_ms", static_cast<long long>(delay)},
                                     {"error", error}});
        clock_.sleep_ms(static_cast<std::int64_t>(delay));
    }
    if (transient || jobs.size() == 1) metrics().add("memolib_storage_failures_total", {});
    if (transient) {
        const std::int64_t now = clock_.now_ms();
        // A batch begun before the last success proves nothing about the storage now.
        if (started >= last_success_ms_.load()) {
            healthy_ = false;
            failed_at_ms_ = now;
            if (kind == StorageError::Kind::kFull) full_at_ms_ = now;
        }
        log().error("storage_unavailable", {{"error", error}});
        if (spoolable(jobs.front())) return spool_jobs(jobs);
        return fail_unavailable(jobs, error);
    }
    if (jobs.size() > 1) {
        // The storage answered: the batches split below are not held back as a retry.
        if (trial.owns_lock()) trial.unlock();
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
