#include "storage/storage_probe.hpp"

#include "observability/logger.hpp"
#include "storage/database.hpp"

namespace memolib::core {

StorageProbe::StorageProbe(StorageConfig storage)
    : storage_(std::move(storage)), thread_([this] { run(); }) {}

StorageProbe::~StorageProbe() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
    }
    wanted_cv_.notify_all();
    thread_.join();
}

StorageProbe::Result StorageProbe::check(std::chrono::milliseconds wait) {
    const auto now = std::chrono::steady_clock::now();
    Result late{
        false, "the storage did not answer a query within " + std::to_string(wait.count()) + " ms"};
    std::unique_lock<std::mutex> lock(mutex_);
    const bool busy = begun_ > finished_;
    if (busy && now - begun_at_ > wait) return late;
    // A check begun after this call: the one under way may have started before the storage
    // came back.
    const std::uint64_t wanted = begun_ + 1;
    asked_ = std::max(asked_, wanted);
    wanted_cv_.notify_one();
    if (!done_cv_.wait_for(lock, wait, [&] { return finished_ >= wanted || stopping_; }))
        return late;
    return last_;
}

void StorageProbe::run() {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
        wanted_cv_.wait(lock, [this] { return stopping_ || asked_ > begun_; });
        if (stopping_) break;
        ++begun_;
        begun_at_ = std::chrono::steady_clock::now();
        lock.unlock();
        Result now = run_check();
        lock.lock();
        if (now.ok != last_.ok) {
            if (now.ok)
                log().info("storage_probe_recovered", {});
            else
                log().warn("storage_probe_failed", {{"error", now.error}});
        }
        last_ = std::move(now);
        finished_ = begun_;
        done_cv_.notify_all();
    }
    done_cv_.notify_all();
}

StorageProbe::Result StorageProbe::run_check() {
    // A connection kept from an earlier check may have been closed meanwhile (a restarted
    // server): it gets one more chance on a new connection.
    for (int attempt = 0; attempt < 2; ++attempt) {
        const bool reused = db_ != nullptr;
        try {
            if (!db_) db_ = Database::open(storage_);
            if (db_->ping()) return {true, {}};
            db_.reset();
            if (!reused) return {false, "the storage did not answer a query"};
        } catch (const StorageError& e) {
            db_.reset();
            return {false, e.what()};
        }
    }
    return {false, "the storage did not answer a query"};
}

}  // namespace memolib::core
