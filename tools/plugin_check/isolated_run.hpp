#pragma once

#include <chrono>
#include <functional>
#include <string>

namespace memolib::tools {

/// What a check was doing when it last said so: read back by the parent when the child
/// running the check crashed. Lives in memory shared across fork().
class CrashContext {
public:
    /// Records what is about to run and the body it runs on (truncated to the buffer).
    static void set(const std::string& what, const std::string& body);
    /// What was recorded last.
    static std::string what();
    static std::string body();
};

/// How one isolated check ended.
struct IsolatedResult {
    bool passed = false;
    /// Empty when the check ran to its end; else how the child died (signal, sanitizer exit,
    /// timeout) and what it was doing.
    std::string crash;
};

/// Runs `check` in a forked child so that a plugin that crashes, aborts or hangs fails the
/// check with a report instead of taking the tool down. `check` returns true on pass and prints
/// its own report lines; the child is killed after `timeout`.
IsolatedResult run_isolated(const std::function<bool()>& check, std::chrono::seconds timeout);

}  // namespace memolib::tools
