#include "util/time_format.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <limits>

namespace memolib::core {

namespace {

// Writes `value` as `width` digits, zero-padded, then `after`; returns the next position.
char* put_digits(char* p, int value, int width, char after) {
    for (int i = width - 1; i >= 0; --i) {
        p[i] = static_cast<char>('0' + value % 10);
        value /= 10;
    }
    p[width] = after;
    return p + width + 1;
}

}  // namespace

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

void append_rfc3339_ms(std::string& out, std::int64_t epoch_ms) {
    std::int64_t secs = epoch_ms / 1000;
    int ms = static_cast<int>(epoch_ms % 1000);
    if (ms < 0) {
        ms += 1000;
        --secs;
    }
    // Every log line and every row needs the current time: the date and time of day are worked
    // out once a second per thread, the milliseconds every time.
    // No timestamp has this second: -1 would be one, 1969-12-31T23:59:59.
    thread_local std::int64_t cached_secs = std::numeric_limits<std::int64_t>::min();
    // Room for any int the compiler can imagine in each field, so that it proves no truncation.
    thread_local char prefix[80] = {};
    if (secs != cached_secs) {
        auto t = static_cast<std::time_t>(secs);
        std::tm tm{};
        gmtime_r(&t, &tm);
        const int year = tm.tm_year + 1900;
        if (year >= 0 && year <= 9999) {
            // A provider's timestamp differs from one message to the next, so this runs for
            // most rows: the digits are written by hand rather than by snprintf.
            char* p = put_digits(prefix, year, 4, '-');
            p = put_digits(p, tm.tm_mon + 1, 2, '-');
            p = put_digits(p, tm.tm_mday, 2, 'T');
            p = put_digits(p, tm.tm_hour, 2, ':');
            p = put_digits(p, tm.tm_min, 2, ':');
            put_digits(p, tm.tm_sec, 2, '.')[0] = '\0';
        } else {
            std::snprintf(prefix, sizeof prefix, "%04d-%02d-%02dT%02d:%02d:%02d.", year,
                          tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
        }
        cached_secs = secs;
    }
    char tail[4];
    put_digits(tail, ms, 3, 'Z');
    out += prefix;
    out.append(tail, sizeof tail);
}

std::string format_rfc3339_ms(std::int64_t epoch_ms) {
    std::string out;
    append_rfc3339_ms(out, epoch_ms);
    return out;
}

std::optional<std::int64_t> parse_rfc3339_ms(std::string_view text) {
    const std::string s(text);
    int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, used = 0;
    if (std::sscanf(s.c_str(), "%4d-%2d-%2d%n", &year, &month, &day, &used) != 3 || used != 10)
        return std::nullopt;
    std::size_t pos = 10;
    std::int64_t fraction_ms = 0;
    int offset_minutes = 0;
    if (pos < s.size()) {
        if (s[pos] != 'T' && s[pos] != 't' && s[pos] != ' ') return std::nullopt;
        if (std::sscanf(s.c_str() + pos + 1, "%2d:%2d:%2d%n", &hour, &minute, &second, &used) !=
                3 ||
            used != 8) {
            return std::nullopt;
        }
        pos += 9;
        if (pos < s.size() && s[pos] == '.') {
            std::int64_t scale = 100;
            for (++pos; pos < s.size() && s[pos] >= '0' && s[pos] <= '9'; ++pos) {
                fraction_ms += (s[pos] - '0') * scale;
                scale /= 10;
            }
        }
        if (pos >= s.size()) return std::nullopt;
        if (s[pos] == 'Z' || s[pos] == 'z') {
            ++pos;
        } else if (s[pos] == '+' || s[pos] == '-') {
            int oh = 0, om = 0;
            if (std::sscanf(s.c_str() + pos + 1, "%2d:%2d%n", &oh, &om, &used) != 2 || used != 5)
                return std::nullopt;
            offset_minutes = (s[pos] == '-' ? -1 : 1) * (oh * 60 + om);
            pos += 6;
        } else {
            return std::nullopt;
        }
    }
    if (pos != s.size() || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 ||
        minute > 59 || second > 60) {
        return std::nullopt;
    }
    std::tm tm{};
    tm.tm_year = year - 1900;
    tm.tm_mon = month - 1;
    tm.tm_mday = day;
    tm.tm_hour = hour;
    tm.tm_min = minute;
    tm.tm_sec = second;
    const std::time_t t = timegm(&tm);
    return (static_cast<std::int64_t>(t) - static_cast<std::int64_t>(offset_minutes) * 60) * 1000 +
           fraction_ms;
}

std::int64_t steady_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

}  // namespace memolib::core
