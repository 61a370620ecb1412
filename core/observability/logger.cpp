#include "observability/logger.hpp"

#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstring>

#include "util/encoding.hpp"
#include "util/time_format.hpp"

namespace memolib::core {

bool parse_log_level(std::string_view text, LogLevel& out) {
    if (text == "debug")
        out = LogLevel::kDebug;
    else if (text == "info")
        out = LogLevel::kInfo;
    else if (text == "warn")
        out = LogLevel::kWarn;
    else if (text == "error")
        out = LogLevel::kError;
    else
        return false;
    return true;
}

namespace {

// What the writer thread may hold before log() writes by itself, so that a blocked stderr
// (a full pipe) slows requests down rather than grow memory without bound.
constexpr std::size_t kMaxPending = std::size_t{4} * 1024 * 1024;
// How long the writer gathers lines after the first one: one system call for all of them.
constexpr auto kGatherTime = std::chrono::milliseconds(1);

}  // namespace

Logger& Logger::instance() {
    static Logger logger;
    return logger;
}

Logger::~Logger() { stop_background(); }

void Logger::start_background() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (background_) return;
    background_ = true;
    stopping_ = false;
    writer_ = std::thread([this] { run_background(); });
}

void Logger::stop_background() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!background_) return;
        stopping_ = true;
    }
    wake_.notify_one();
    writer_.join();
    std::lock_guard<std::mutex> lock(mutex_);
    background_ = false;
    writer_active_ = false;
    write_now(pending_);
    pending_.clear();
}

void Logger::run_background() {
    std::string batch;
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
        wake_.wait(lock, [this] { return stopping_ || writer_active_; });
        if (stopping_) return;
        // Gather what the next millisecond brings, write it at once, and again, until a
        // millisecond brings nothing.
        while (!stopping_) {
            lock.unlock();
            std::this_thread::sleep_for(kGatherTime);
            lock.lock();
            if (pending_.empty()) break;
            batch.clear();
            batch.swap(pending_);
            lock.unlock();
            write_now(batch);
            lock.lock();
        }
        writer_active_ = false;
    }
}

void Logger::write_now(std::string_view text) {
    std::lock_guard<std::mutex> lock(write_mutex_);
    while (!text.empty()) {
        ssize_t n = ::write(STDERR_FILENO, text.data(), text.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;  // nowhere to write: a log line is not worth failing a request
        text.remove_prefix(static_cast<std::size_t>(n));
    }
}

namespace {

// The bytes a JSON string may carry as they are: everything but controls, '"', '\\' and DEL.
constexpr std::array<bool, 256> kPlainTable = [] {
    std::array<bool, 256> table{};
    for (int c = 0x20; c < 0x100; ++c) table[c] = c != '"' && c != '\\' && c != 0x7f;
    return table;
}();

// True when one of the eight bytes of `w` needs an escape: a control (below 0x20), '"', '\\'
// or DEL. Each test is exact about whether some byte matches, though not about which.
bool word_needs_escape(std::uint64_t w) {
    constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
    constexpr std::uint64_t kHigh = 0x8080808080808080ULL;
    auto has_zero = [](std::uint64_t v) { return ((v - kOnes) & ~v & kHigh) != 0; };
    const bool control = ((w - kOnes * 0x20) & ~w & kHigh) != 0;
    return control || has_zero(w ^ (kOnes * '"')) || has_zero(w ^ (kOnes * '\\')) ||
           has_zero(w ^ (kOnes * 0x7f));
}

}  // namespace

void append_json_escaped(std::string& out, std::string_view text) {
    const char* p = text.data();
    const char* const end = p + text.size();
    while (p < end) {
        // Runs of characters that need no escape are copied at once.
        const char* run = p;
        // Eight bytes at a time while none needs an escape, then byte by byte.
        std::uint64_t word = 0;
        while (end - run >= 8 && (std::memcpy(&word, run, 8), !word_needs_escape(word))) run += 8;
        while (run < end && kPlainTable[static_cast<unsigned char>(*run)]) ++run;
        out.append(p, static_cast<std::size_t>(run - p));
        if (run == end) return;
        p = run + 1;
        const auto c = static_cast<unsigned char>(*run);
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                out += "\\u00";
                append_hex(out, std::string_view(run, 1));
        }
    }
}

namespace {

const char* level_name(LogLevel level) {
    switch (level) {
        case LogLevel::kDebug:
            return "debug";
        case LogLevel::kInfo:
            return "info";
        case LogLevel::kWarn:
            return "warn";
        case LogLevel::kError:
            return "error";
    }
    return "info";
}

}  // namespace

void Logger::log(LogLevel level, std::string_view event, std::initializer_list<LogField> fields) {
    if (!enabled(level)) return;
    // Built in this thread's own buffer, which keeps its memory from line to line.
    thread_local std::string line;
    line.clear();
    line += R"({"ts":")";
    append_rfc3339_ms(line, now_ms());
    line += R"(","level":")";
    line += level_name(level);
    line += R"(","event":")";
    append_json_escaped(line, event);
    line += '"';
    for (const LogField& f : fields) {
        line += ",\"";
        append_json_escaped(line, f.key);
        line += "\":";
        if (const auto* s = std::get_if<std::string_view>(&f.value)) {
            line += '"';
            append_json_escaped(line, *s);
            line += '"';
        } else if (const auto* i = std::get_if<long long>(&f.value)) {
            char buf[24];
            line.append(buf, std::to_chars(buf, buf + sizeof buf, *i).ptr);
        } else if (const auto* d = std::get_if<double>(&f.value)) {
            // Fixed with 3 decimals, as "%.3f" would print it, without printf's machinery; JSON
            // has no NaN or infinity.
            char buf[64];
            auto [end, ec] = std::to_chars(buf, buf + sizeof buf, *d, std::chars_format::fixed, 3);
            if (std::isfinite(*d) && ec == std::errc())
                line.append(buf, end);
            else
                line += "null";
        } else if (const auto* b = std::get_if<bool>(&f.value)) {
            line += *b ? "true" : "false";
        }
    }
    line += "}\n";
    // A plugin's or a database's text may make one line huge: its memory is not kept.
    struct Trim {
        std::string& text;
        ~Trim() {
            if (text.capacity() > std::size_t{64} * 1024) std::string().swap(text);
        }
    } trim{line};
    {
        std::unique_lock<std::mutex> lock(mutex_);
        if (background_ && pending_.size() < kMaxPending) {
            if (writer_active_) {
                pending_ += line;
                return;
            }
            // The first line after a quiet spell is written at once (a lone request's line
            // is in the log before its answer leaves); the writer takes the lines that
            // follow it closely, so that under load no request pays a system call.
            lock.unlock();
            write_now(line);
            lock.lock();
            if (!writer_active_) {
                writer_active_ = true;
                wake_.notify_one();
            }
            return;
        }
    }
    write_now(line);
}

}  // namespace memolib::core
