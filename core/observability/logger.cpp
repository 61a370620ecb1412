#include "observability/logger.hpp"

#include <cstdio>

#include "pipeline/time_format.hpp"

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

Logger& Logger::instance() {
    static Logger logger;
    return logger;
}

void append_json_escaped(std::string& out, std::string_view text) {
    static const char* const kHex = "0123456789abcdef";
    for (char ch : text) {
        auto c = static_cast<unsigned char>(ch);
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
    std::string line;
    line.reserve(256);
    line += R"({"ts":")";
    line += format_rfc3339_ms(now_ms());
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
