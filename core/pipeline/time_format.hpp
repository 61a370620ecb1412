#pragma once

#include <cstdint>
#include <string>

namespace memolib::core {

/// Milliseconds since the Unix epoch, from the system clock.
std::int64_t now_ms();

/// "2026-11-24T04:05:06.123Z" (RFC 3339, UTC): sorts as text in the order of time.
std::string format_rfc3339_ms(std::int64_t epoch_ms);

}  // namespace memolib::core
