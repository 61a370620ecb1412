#include "http/query_string.hpp"

#include "util/encoding.hpp"

namespace memolib::core {

std::optional<std::string> query_param(std::string_view query, std::string_view name) {
    std::size_t pos = 0;
    while (pos <= query.size()) {
        std::size_t end = query.find('&', pos);
        if (end == std::string_view::npos) end = query.size();
        std::string_view part = query.substr(pos, end - pos);
        const std::size_t eq = part.find('=');
        if (percent_decode(part.substr(0, eq)) == name)
            return eq == std::string_view::npos ? std::string()
                                                : percent_decode(part.substr(eq + 1));
        pos = end + 1;
    }
    return std::nullopt;
}

bool query_flag(std::string_view query, std::string_view name) {
    auto v = query_param(query, name);
    return v && (*v == "1" || *v == "true");
}

}  // namespace memolib::core
