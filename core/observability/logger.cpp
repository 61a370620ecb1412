#include "observability/logger.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace memolib::core {

bool parse_log_level(std::string_view text, LogLevel& out) {
    if (text == "debug") out = LogLevel::kDebug;
    else if (text == "info") out = LogLevel::kInfo;
    else if (text == "warn") out = LogLevel::kWarn;
    else if (text == "error") out = LogLevel::kError;
    else return false;
    return true;
}

Logger& Logger::instance() {
    static Logger logger;
    return logger;
}

void append_json_escaped(std::string& out, std::string_view text) {
    static const char* const kHex = "0123456789abcdef";
    for (char ch : text) {
        auto c = static_cast<unsigned char>(ch);
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (c < 0x20 || c == 0x7f) {
                    out += "\\u00";
                    out += kHex[c >> 4];
                    out += kHex[c & 0xf];
                } else {
                    out += ch;
                }
        }
    }
}

namespace {

const char* level_name(LogLevel level) {
    switch (level) {
        case LogLevel::kDebug: return "debug";
        case LogLevel::kInfo: return "info";
        case LogLevel::kWarn: return "warn";
        case LogLevel::kError: return "error";
    }
    return "info";
}

void append_timestamp(std::string& out) {
    auto now = std::chrono::system_clock::now();
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
    std::time_t secs = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[40];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<int>(ms % 1000));
    out += buf;
}

}  // namespace

void Logger::log(LogLevel level, std::string_view event, std::initializer_list<LogField> fields) {
    if (!enabled(level)) return;
    std::string line;
    line.reserve(256);
    line += "{\"ts\":\"";
    append_timestamp(line);
    line += "\",\"level\":\"";
    line += level_name(level);
    line += "\",\"event\":\"";
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
            line += std::to_string(*i);
        } else if (const auto* d = std::get_if<double>(&f.value)) {
            char buf[32];
            std::snprintf(buf, sizeof buf, "%.3f", *d);
            line += buf;
        } else if (const auto* b = std::get_if<bool>(&f.value)) {
            line += *b ? "true" : "false";
        }
    }
    line += "}\n";
    std::lock_guard<std::mutex> lock(mutex_);
    std::fwrite(line.data(), 1, line.size(), stderr);
    std::fflush(stderr);
}

}  // namespace memolib::core
