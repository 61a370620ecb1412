#pragma once

#include <atomic>
#include <condition_variable>
#include <initializer_list>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <variant>

namespace memolib::core {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

/// Parses "debug" | "info" | "warn" | "error"; false when unknown.
bool parse_log_level(std::string_view text, LogLevel& out);

/// One field of a log line: strings are JSON-escaped, numbers written as they are.
struct LogField {
    std::string_view key;
    std::variant<std::string_view, long long, double, bool> value;
    LogField(std::string_view k, std::string_view v) : key(k), value(v) {}
    LogField(std::string_view k, const std::string& v) : key(k), value(std::string_view(v)) {}
    LogField(std::string_view k, const char* v) : key(k), value(std::string_view(v)) {}
    LogField(std::string_view k, long long v) : key(k), value(v) {}
    LogField(std::string_view k, long v) : key(k), value(static_cast<long long>(v)) {}
    LogField(std::string_view k, int v) : key(k), value(static_cast<long long>(v)) {}
    LogField(std::string_view k, unsigned v) : key(k), value(static_cast<long long>(v)) {}
    LogField(std::string_view k, unsigned long v) : key(k), value(static_cast<long long>(v)) {}
    LogField(std::string_view k, unsigned long long v) : key(k), value(static_cast<long long>(v)) {}
    LogField(std::string_view k, double v) : key(k), value(v) {}
    LogField(std::string_view k, bool v) : key(k), value(v) {}
};

/// Writes one JSON object per line to stderr; callers pass only masked personal data.
/// Thread-safe: a line is written whole. By default each line is written before log()
/// returns. Between start_background() and stop_background() (what `serve` does) lines are
/// handed to a writer thread while lines come closely together, so that under load an I/O
/// thread does not pay a system call per request: the writer writes what gathered in about a
/// millisecond at once. A line after a quiet spell is still written before log() returns.
class Logger {
public:
    static Logger& instance();
    ~Logger();

    /// Starts the writer thread; no effect when it runs. For a process that does not fork
    /// while it runs (a child would have no writer thread).
    void start_background();
    /// Writes what is pending, then stops the writer thread (lines are written directly
    /// again). Call before the process exits.
    void stop_background();

    /// Thread-safe: a reload changes it while requests are logged.
    void set_level(LogLevel level) { level_.store(level, std::memory_order_relaxed); }
    bool enabled(LogLevel level) const { return level >= level_.load(std::memory_order_relaxed); }
    void log(LogLevel level, std::string_view event, std::initializer_list<LogField> fields);

    void info(std::string_view event, std::initializer_list<LogField> fields = {}) {
        log(LogLevel::kInfo, event, fields);
    }
    void warn(std::string_view event, std::initializer_list<LogField> fields = {}) {
        log(LogLevel::kWarn, event, fields);
    }
    void error(std::string_view event, std::initializer_list<LogField> fields = {}) {
        log(LogLevel::kError, event, fields);
    }

private:
    void write_now(std::string_view text);
    void run_background();

    /// Serializes direct writes, so that lines never interleave.
    std::mutex write_mutex_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::string pending_;
    std::thread writer_;
    bool background_ = false;
    /// The writer is gathering lines: log() appends to pending_ rather than write.
    bool writer_active_ = false;
    bool stopping_ = false;
    std::atomic<LogLevel> level_{LogLevel::kInfo};
};

inline Logger& log() { return Logger::instance(); }

/// Appends `text` to `out` as the inside of a JSON string (quotes not included).
void append_json_escaped(std::string& out, std::string_view text);

}  // namespace memolib::core
