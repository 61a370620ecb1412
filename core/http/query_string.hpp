#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace memolib::core {

/// The first value of `name` in a query string ("a=1&b=x%20y"), percent- and plus-decoded;
/// nullopt when absent. A name without '=' has the empty value.
std::optional<std::string> query_param(std::string_view query, std::string_view name);

/// True when `name` is given as 1 or true.
bool query_flag(std::string_view query, std::string_view name);

}  // namespace memolib::core
