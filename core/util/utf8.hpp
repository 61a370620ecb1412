#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace memolib::core {

/// True when `text` is well-formed UTF-8.
bool is_valid_utf8(std::string_view text);

/// Cuts `text` to `max_chars` UTF-8 characters; true when it was longer.
bool cut_to_chars(std::string& text, std::size_t max_chars);

}  // namespace memolib::core
