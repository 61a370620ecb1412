#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace memolib::core {

/// "100KiB", "10MiB", "1GiB", "512B" or a plain number of bytes; also KB/MB (powers of 1000).
std::optional<std::uint64_t> parse_size(std::string_view text);

/// "2ms", "10s", "5m", "1h", "7d" → milliseconds; a plain number is milliseconds.
std::optional<std::uint64_t> parse_duration_ms(std::string_view text);

}  // namespace memolib::core
