#pragma once

#include <string>
#include <string_view>

namespace memolib::core {

/// Appends the lower-case hex digits of `bytes` (two per byte) to `out`.
void append_hex(std::string& out, std::string_view bytes);

/// The lower-case hex digits of `bytes`.
std::string to_hex(std::string_view bytes);

/// Standard base64 (RFC 4648, with padding) of `bytes`.
std::string base64_encode(std::string_view bytes);

/// Decodes `application/x-www-form-urlencoded` text (a query string's names and values): '+'
/// is a space, "%hh" the byte it names, and a '%' not followed by two hex digits stays as it is.
std::string percent_decode(std::string_view text);

/// `s` without the optional whitespace (spaces and tabs) HTTP allows around a header value's
/// items (RFC 9110 §5.6.3); for std::string_view and Beast's string_view alike.
template <class View>
View trim_ows(View s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

}  // namespace memolib::core
