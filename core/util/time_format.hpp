#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace memolib::core {

/// Milliseconds since the Unix epoch, from the system clock.
std::int64_t now_ms();

/// Milliseconds on the steady clock, for intervals only.
std::int64_t steady_ms();

/// "2026-11-24T04:05:06.123Z" (RFC 3339, UTC): sorts as text in the order of time.
std::string format_rfc3339_ms(std::int64_t epoch_ms);
/// The same, appended to `out` (no allocation of its own: every log line needs one).
void append_rfc3339_ms(std::string& out, std::int64_t epoch_ms);

/// Parses an RFC 3339 time ("2026-11-24T04:05:06Z", with optional fraction and a ±hh:mm
/// offset) or a plain date (midnight UTC) into milliseconds since the epoch.
std::optional<std::int64_t> parse_rfc3339_ms(std::string_view text);

}  // namespace memolib::core
