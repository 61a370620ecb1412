#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>

namespace memolib::core {

/// Where TTLs, windows and retry backoffs read the time: milliseconds on a steady clock, and a
/// wait. A parameter (defaulting to real_clock()) so that tests move time themselves and pin
/// each boundary instead of sleeping past it.
class Clock {
public:
    virtual ~Clock() = default;
    virtual std::int64_t now_ms() const = 0;
    virtual void sleep_ms(std::int64_t ms) = 0;
};

/// The process's steady clock; lives as long as the process.
Clock& real_clock();

/// A clock that moves only when told; sleeping moves it at once and is recorded. Thread-safe.
class ManualClock final : public Clock {
public:
    explicit ManualClock(std::int64_t start_ms = 1'000'000) : now_(start_ms) {}

    std::int64_t now_ms() const override { return now_.load(); }
    void sleep_ms(std::int64_t ms) override;

    void advance(std::int64_t ms) { now_ += ms; }
    void set(std::int64_t ms) { now_ = ms; }
    /// Called with each sleep's length, once the clock moved: the moment a test changes the
    /// world a retry will find.
    void on_sleep(std::function<void(std::int64_t ms)> hook);

private:
    std::atomic<std::int64_t> now_;
    std::mutex hook_mutex_;
    std::function<void(std::int64_t)> hook_;
};

}  // namespace memolib::core
