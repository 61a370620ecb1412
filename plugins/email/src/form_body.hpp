#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "memolib/plugins/common/form_data.hpp"
#include "problems.hpp"

namespace memolib::plugins::email {

// A form-encoded or multipart/form-data request body: its text fields and its file parts.
struct FormBody {
    // Text fields in the order sent (multipart parts without a filename included).
    common::FormPairs fields;
    // Parts with a filename (attachments), in the order sent.
    std::vector<common::FormPart> files;
    // Fields whose part declared a charset: their value is UTF-8 already.
    std::vector<std::string> converted;

    // The first value of field `name` (exact name), if any.
    std::optional<std::string> value(std::string_view name) const;
    // The first value of field `name` compared case-insensitively, for header-named fields.
    std::optional<std::string> header_value(std::string_view name) const;
    bool has(std::string_view name) const { return value(name).has_value(); }
    bool is_converted(std::string_view name) const;
};

// Reads an application/x-www-form-urlencoded body (`multipart` false) or a multipart/form-data
// one with its full Content-Type, converting from the charsets they declare. Returns nullopt,
// with a problem, when the body cannot be read (too many parts, a truncated multipart, an
// unknown charset or bytes not valid in it).
std::optional<FormBody> read_form(bool multipart, std::string_view content_type,
                                  std::string_view body, Problems& problems);

}  // namespace memolib::plugins::email
