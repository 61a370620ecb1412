#pragma once

#include <string_view>

namespace memolib::core {

/// True when `text` is well-formed UTF-8.
bool is_valid_utf8(std::string_view text);

}  // namespace memolib::core
