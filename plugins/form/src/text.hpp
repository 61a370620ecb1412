#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace memolib::plugins::form {

// True when `s` is well-formed UTF-8 (RFC 3629: no overlong forms, surrogates or code points
// above U+10FFFF).
bool is_valid_utf8(std::string_view s) noexcept;

// `s` without its leading and trailing ASCII whitespace.
std::string_view trim(std::string_view s) noexcept;

// `s` with every CRLF and lone CR turned into LF.
std::string normalize_newlines(std::string_view s);

// The address lower-cased when it is one we can answer, or an empty string otherwise.
std::string normalize_email(std::string_view address);

// `s` cut to `max` bytes with every byte outside printable ASCII replaced by '?', so that a
// client's value can be quoted in an error message.
std::string printable(std::string_view s, std::size_t max = 80);

}  // namespace memolib::plugins::form
