#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

/// Text helpers shared by the in-tree channels.
namespace memolib::plugins::common {

/// True when `s` is well-formed UTF-8 (RFC 3629: no overlong forms, surrogates or code points
/// above U+10FFFF).
bool is_valid_utf8(std::string_view s) noexcept;

/// `s` with every byte sequence that is not well-formed UTF-8 replaced by U+FFFD and every NUL
/// removed, since no database text column holds them.
std::string make_valid_utf8(std::string_view s);

/// True when every byte of `s` is ASCII (below 0x80).
bool is_ascii(std::string_view s) noexcept;

/// `s` without its leading and trailing ASCII whitespace.
std::string_view trim(std::string_view s) noexcept;

/// `s` with every CRLF and lone CR turned into LF.
std::string normalize_newlines(std::string_view s);

/// ASCII lower-case copy of `s`.
std::string to_lower(std::string_view s);

/// The address lower-cased when it is one we can answer, or an empty string otherwise.
std::string normalize_email(std::string_view address);

/// Extracts and normalizes the address of an RFC 5322 mailbox ("Jane <Jane@Example.org>" →
/// "jane@example.org"); the display name goes to `name` when given. Empty when none.
std::string mailbox_address(std::string_view mailbox, std::string* name = nullptr);

/// `s` cut to `max` bytes with every byte outside printable ASCII replaced by '?', so that a
/// client's value can be quoted in an error message.
std::string printable(std::string_view s, std::size_t max = 80);

/// Parses an RFC 3339 / ISO 8601 UTC-or-offset timestamp ("2026-11-24T04:05:06Z",
/// "2026-11-24 04:05:06", with optional fraction and offset) into ms since the epoch.
std::optional<long long> parse_iso8601_ms(std::string_view text);

}  // namespace memolib::plugins::common
