#pragma once

#include <optional>
#include <string>
#include <string_view>

/// Charset labels and conversion to UTF-8, shared by the form bodies (which refuse what does not
/// convert) and the e-mail channel (which never fails).
namespace memolib::plugins::common {

/// A charset label as compared: without surrounding whitespace or quotes, lower-cased.
std::string charset_label(std::string_view charset);

/// The `charset` parameter of a Content-Type, lower-cased and unquoted; "" when it has none.
std::string content_type_charset(std::string_view content_type);

/// `bytes`, written in the iconv charset `from`, as UTF-8; nullopt when the bytes are not valid
/// in it, or when no converter knows `from` (then `unsupported` is set).
std::optional<std::string> iconv_to_utf8(std::string_view bytes, const char* from,
                                         bool& unsupported);

/// `bytes` read as Windows-1252 (what an ISO-8859-1 label means on the web and in mail); a text
/// holding one of the five bytes glibc's CP1252 leaves undefined is read as ISO-8859-1, which
/// maps every byte.
std::optional<std::string> windows_1252_to_utf8(std::string_view bytes, bool& unsupported);

/// Converts `text`, declared as written in `charset` (a MIME or WHATWG label), to UTF-8 in
/// place. An ISO-8859-1 label is read as Windows-1252, as browsers write it (WHATWG encoding
/// standard). Returns false with `code` set to `unsupported_charset` (no converter knows the
/// label) or `invalid_encoding` (the bytes are not valid in that charset).
bool convert_to_utf8(std::string& text, std::string_view charset, std::string& code);

}  // namespace memolib::plugins::common
