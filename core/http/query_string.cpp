#include "http/query_string.hpp"

namespace memolib::core {

namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::string decode(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '+') {
            out += ' ';
        } else if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 &&
                   hex_value(s[i + 2]) >= 0) {
            out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
            i += 2;
        } else {
            out += s[i];
        }
    }
    return out;
}

}  // namespace

std::optional<std::string> query_param(std::string_view query, std::string_view name) {
    std::size_t pos = 0;
    while (pos <= query.size()) {
        std::size_t end = query.find('&', pos);
        if (end == std::string_view::npos) end = query.size();
        std::string_view part = query.substr(pos, end - pos);
        const std::size_t eq = part.find('=');
        if (decode(part.substr(0, eq)) == name)
            return eq == std::string_view::npos ? std::string() : decode(part.substr(eq + 1));
        pos = end + 1;
    }
    return std::nullopt;
}

bool query_flag(std::string_view query, std::string_view name) {
    auto v = query_param(query, name);
    return v && (*v == "1" || *v == "true");
}

}  // namespace memolib::core
