#include "config/units.hpp"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <string>
#include <utility>

namespace memolib::core {

namespace {

// Splits "1.5MiB" into 1.5 and "MiB"; fails on anything but a non-negative number then a word.
bool split_number(std::string_view text, double& number, std::string_view& unit) {
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
        text.remove_prefix(1);
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
        text.remove_suffix(1);
    std::size_t i = 0;
    bool digits = false;
    while (i < text.size() &&
           (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) {
        digits = digits || text[i] != '.';
        ++i;
    }
    if (!digits || i > 32) return false;
    std::string num(text.substr(0, i));
    char* end = nullptr;
    number = std::strtod(num.c_str(), &end);
    if (end != num.c_str() + num.size() || !std::isfinite(number)) return false;
    unit = text.substr(i);
    while (!unit.empty() && unit.front() == ' ') unit.remove_prefix(1);
    return true;
}

std::optional<std::uint64_t> scale(double number, double factor) {
    double v = number * factor;
    if (v > 1.8e19) return std::nullopt;
    return static_cast<std::uint64_t>(std::llround(v));
}

}  // namespace

std::optional<std::uint64_t> parse_size(std::string_view text) {
    double n = 0;
    std::string_view unit;
    if (!split_number(text, n, unit)) return std::nullopt;
    static const std::pair<std::string_view, double> kUnits[] = {
        {"", 1},        {"B", 1},       {"KiB", 1024.0}, {"MiB", 1048576.0}, {"GiB", 1073741824.0},
        {"KB", 1000.0}, {"kB", 1000.0}, {"MB", 1e6},     {"GB", 1e9}};
    for (const auto& [name, factor] : kUnits) {
        if (unit == name) return scale(n, factor);
    }
    return std::nullopt;
}

std::optional<std::uint64_t> parse_duration_ms(std::string_view text) {
    double n = 0;
    std::string_view unit;
    if (!split_number(text, n, unit)) return std::nullopt;
    static const std::pair<std::string_view, double> kUnits[] = {
        {"", 1}, {"ms", 1}, {"s", 1000.0}, {"m", 60000.0}, {"h", 3600000.0}, {"d", 86400000.0}};
    for (const auto& [name, factor] : kUnits) {
        if (unit == name) return scale(n, factor);
    }
    return std::nullopt;
}

}  // namespace memolib::core
