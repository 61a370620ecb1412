#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

/// Decoding of HTML form bodies and query strings, shared by the in-tree channels.
namespace memolib::plugins::common {

/// One name/value pair, in the order the client sent them.
using FormPairs = std::vector<std::pair<std::string, std::string>>;

/// Decodes `application/x-www-form-urlencoded` (also a query string) as the WHATWG URL standard
/// does: '+' is a space; a '%' not followed by two hex digits stays as it is.
FormPairs parse_urlencoded(std::string_view body);

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
    /// The part's decoded content.
    std::string content;
};

/// Parses a multipart body (GMime) given the request's full Content-Type. Returns nullopt and
/// sets `error` when the body is not a multipart with a boundary. Nested multiparts are
/// skipped. Thread-safe: GMime is initialized once per process.
std::optional<std::vector<FormPart>> parse_multipart(std::string_view content_type,
                                                     std::string_view body, std::string& error);

/// Makes sure g_mime_init() has run (never shut down). Call it from the adapter's constructor:
/// each plugin links its own copy of this library, so the once-flag is per plugin, and only
/// the host's serial creation of instances keeps two plugins from initializing GMime at once.
void ensure_gmime_initialized();

}  // namespace memolib::plugins::common
