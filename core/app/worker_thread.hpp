#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace memolib::core {

/// One thread running posted tasks in order: where the admin side does what must not block
/// an I/O thread (database reads, reloads).
class WorkerThread {
public:
    WorkerThread();
    /// Runs what is already queued, then joins.
    ~WorkerThread();
    WorkerThread(const WorkerThread&) = delete;
    WorkerThread& operator=(const WorkerThread&) = delete;

    /// Thread-safe. A task must not throw.
    void post(std::function<void()> task);

private:
    void run();

    std::mutex mutex_;
    std::condition_variable cv_;
    std::deque<std::function<void()>> tasks_;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace memolib::core
