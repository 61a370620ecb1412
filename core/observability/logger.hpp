#pragma once

#include <atomic>
#include <initializer_list>
#include <mutex>
#include <string>
#include <string_view>
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
/// Thread-safe: a line is written whole under a mutex.
class Logger {
public:
    static Logger& instance();

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
    std::mutex mutex_;
    std::atomic<LogLevel> level_{LogLevel::kInfo};
};

inline Logger& log() { return Logger::instance(); }

/// Appends `text` to `out` as the inside of a JSON string (quotes not included).
void append_json_escaped(std::string& out, std::string_view text);

}  // namespace memolib::core
