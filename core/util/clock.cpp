#include "util/clock.hpp"

#include <chrono>
#include <thread>

#include "util/time_format.hpp"

namespace memolib::core {

namespace {

class RealClock final : public Clock {
public:
    std::int64_t now_ms() const override { return steady_ms(); }
    void sleep_ms(std::int64_t ms) override {
        std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    }
};

}  // namespace

Clock& real_clock() {
    static RealClock clock;
    return clock;
}

void ManualClock::sleep_ms(std::int64_t ms) {
    now_ += ms;
    std::function<void(std::int64_t)> hook;
    {
        std::lock_guard<std::mutex> lock(hook_mutex_);
        hook = hook_;
    }
    if (hook) hook(ms);
}

void ManualClock::on_sleep(std::function<void(std::int64_t ms)> hook) {
    std::lock_guard<std::mutex> lock(hook_mutex_);
    hook_ = std::move(hook);
}

}  // namespace memolib::core
