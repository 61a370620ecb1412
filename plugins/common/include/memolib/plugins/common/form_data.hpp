#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "memolib/plugins/common/charset.hpp"

/// Decoding of HTML form bodies and query strings, shared by the in-tree channels.
namespace memolib::plugins::common {

/// One name/value pair, in the order the client sent them.
using FormPairs = std::vector<std::pair<std::string, std::string>>;

/// Decodes `application/x-www-form-urlencoded` (also a query string) as the WHATWG URL standard
/// does: '+' is a space; a '%' not followed by two hex digits stays as it is.
FormPairs parse_urlencoded(std::string_view body);

/// Why a form body could not be read, as one field error: `code` is what the client is told.
struct FormError {
    std::string field;
    std::string code;
    std::string message;
};

/// How many parts a multipart body, or fields an urlencoded one, may hold. Bodies with more are
/// refused (code `too_many_parts`) after a scan that allocates nothing per part, so that a body
/// of tiny parts cannot make the parser allocate many times its size.
inline constexpr std::size_t kMaxFormParts = 500;

/// parse_urlencoded for a request body: refuses more than kMaxFormParts fields before
/// decoding any, and converts names and values from `charset` when one is declared (a
/// declared UTF-8 is checked). Returns nullopt and sets `error` when the body cannot be read.
std::optional<FormPairs> read_urlencoded(std::string_view body, std::string_view charset,
                                         FormError& error);

/// The first value of `name`, if any.
std::optional<std::string> form_value(const FormPairs& pairs, std::string_view name);

/// One part of a multipart/form-data body, transfer encoding removed.
struct FormPart {
    /// The Content-Disposition `name`.
    std::string name;
    /// The Content-Disposition `filename`, when the part is a file.
    std::optional<std::string> filename;
    /// The part's media type ("text/plain" when it does not say).
    std::string content_type;
    /// The part's decoded content; UTF-8 when the part is no file and declared a charset.
    std::string content;
    /// The charset a part that is no file declared, its content already converted from it.
    std::string charset;
};

/// Parses a multipart body given the request's full Content-Type. The parts are found by
/// their delimiters (RFC 2046: the line end before a delimiter belongs to it) and only then
/// read one by one, their headers by GMime. Returns nullopt and sets `error` (field `body`)
/// when the body is not a multipart with a boundary (`malformed_multipart`), holds more than
/// kMaxFormParts parts (`too_many_parts`) or ends before its closing delimiter
/// (`truncated_multipart`); or (field: the part's name) when a text part's declared charset is
/// unknown or its bytes are not valid in it. Nested multiparts are skipped. Thread-safe.
std::optional<std::vector<FormPart>> parse_multipart(std::string_view content_type,
                                                     std::string_view body, FormError& error);

/// Makes sure g_mime_init() has run (never shut down). Call it from the adapter's constructor:
/// each plugin links its own copy of this library, so the once-flag is per plugin, and only
/// the host's serial creation of instances keeps two plugins from initializing GMime at once.
void ensure_gmime_initialized();

}  // namespace memolib::plugins::common
