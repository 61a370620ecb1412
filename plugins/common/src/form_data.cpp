#include "memolib/plugins/common/form_data.hpp"

#include <memory>
#include <mutex>

#include <gmime/gmime.h>

#include "memolib/plugins/common/glib_ptr.hpp"
#include "memolib/plugins/common/text.hpp"

namespace memolib::plugins::common {
namespace {

int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::string percent_decode(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        if (c == '+') {
            out.push_back(' ');
        } else if (c == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 &&
                   hex_value(s[i + 2]) >= 0) {
            out.push_back(static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2])));
            i += 2;
        } else {
            out.push_back(c);
        }
    }
    return out;
}

std::string part_media_type(GMimeObject* part) {
    GMimeContentType* type = g_mime_object_get_content_type(part);
    if (type == nullptr) return "text/plain";
    GCharPtr mime(g_mime_content_type_get_mime_type(type));
    return mime ? std::string(mime.get()) : std::string("text/plain");
}

bool is_lwsp(char c) noexcept { return c == ' ' || c == '\t'; }

// What follows "--boundary" at `at` (just past it) makes it a delimiter line: a close
// delimiter ("--"), or transport padding and the line end. Sets `line_end` past the line.
enum class Delimiter { kNone, kPart, kClose };
Delimiter delimiter_at(std::string_view body, std::size_t at, std::size_t& line_end) {
    if (body.substr(at, 2) == "--") {
        const std::size_t eol = body.find('\n', at);
        line_end = eol == std::string_view::npos ? body.size() : eol + 1;
        return Delimiter::kClose;
    }
    while (at < body.size() && is_lwsp(body[at])) ++at;
    if (at < body.size() && body[at] == '\r') ++at;
    if (at < body.size() && body[at] == '\n') {
        line_end = at + 1;
        return Delimiter::kPart;
    }
    return Delimiter::kNone;
}

// Splits `body` at its delimiters into the parts' bytes (headers and content), counting them
// before anything is allocated for one. The CRLF (or LF) before a delimiter is the
// delimiter's, not the part's.
bool split_parts(std::string_view body, std::string_view boundary,
                 std::vector<std::string_view>& parts, FormError& error) {
    const std::string dash = "--" + std::string(boundary);
    const std::string line_dash = "\n" + dash;
    // The first delimiter may start the body; the preamble before it is ignored.
    std::size_t found = body.substr(0, dash.size()) == dash ? 0 : std::string_view::npos;
    std::size_t line_end = 0;
    Delimiter kind = Delimiter::kNone;
    std::size_t search = 0;
    while (true) {
        if (found == std::string_view::npos) {
            const std::size_t nl = body.find(line_dash, search);
            if (nl == std::string_view::npos) break;
            found = nl + 1;
        }
        kind = delimiter_at(body, found + dash.size(), line_end);
        if (kind != Delimiter::kNone) break;
        search = found + 1;
        found = std::string_view::npos;
    }
    if (kind == Delimiter::kNone) {
        error = {"body", "malformed_multipart",
                 "no part is delimited by the boundary '" + std::string(boundary) + "'"};
        return false;
    }
    while (kind == Delimiter::kPart) {
        const std::size_t start = line_end;
        // From the line end of the delimiter, so that an empty part is found too.
        std::size_t next = body.find(line_dash, start - 1);
        while (next != std::string_view::npos &&
               (kind = delimiter_at(body, next + 1 + dash.size(), line_end)) == Delimiter::kNone) {
            next = body.find(line_dash, next + 1);
        }
        if (next == std::string_view::npos) {
            error = {"body", "truncated_multipart",
                     "the body ends before the closing delimiter '" + dash +
                         "--': the upload was cut short"};
            return false;
        }
        if (parts.size() == kMaxFormParts) {
            error = {"body", "too_many_parts",
                     "the body holds more than " + std::to_string(kMaxFormParts) +
                         " parts, the most a form body may have"};
            return false;
        }
        std::size_t end = next;
        if (end > start && body[end - 1] == '\r') --end;
        parts.push_back(end > start ? body.substr(start, end - start) : std::string_view{});
    }
    return true;
}

// The part's header block and content, split at the first empty line.
std::pair<std::string_view, std::string_view> split_head(std::string_view part) {
    if (part.substr(0, 2) == "\r\n") return {{}, part.substr(2)};
    if (part.substr(0, 1) == "\n") return {{}, part.substr(1)};
    const std::size_t crlf = part.find("\r\n\r\n");
    const std::size_t lf = part.find("\n\n");
    if (crlf != std::string_view::npos && (lf == std::string_view::npos || crlf < lf)) {
        return {part.substr(0, crlf + 2), part.substr(crlf + 4)};
    }
    if (lf != std::string_view::npos) return {part.substr(0, lf + 1), part.substr(lf + 2)};
    return {part, {}};
}

// `content` with the part's transfer encoding (base64, quoted-printable) removed.
std::string decoded_content(GMimePart* part, std::string_view content) {
    const GMimeContentEncoding encoding = g_mime_part_get_content_encoding(part);
    if (encoding != GMIME_CONTENT_ENCODING_BASE64 &&
        encoding != GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE &&
        encoding != GMIME_CONTENT_ENCODING_UUENCODE) {
        return std::string(content);
    }
    GPtr<GMimeStream> in(g_mime_stream_mem_new_with_buffer(content.data(), content.size()));
    GPtr<GMimeDataWrapper> wrapper(g_mime_data_wrapper_new_with_stream(in.get(), encoding));
    GPtr<GMimeStream> out(g_mime_stream_mem_new());
    if (g_mime_data_wrapper_write_to_stream(wrapper.get(), out.get()) < 0) return {};
    GByteArray* bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(out.get()));
    if (bytes == nullptr || bytes->len == 0) return {};
    return std::string(reinterpret_cast<const char*>(bytes->data), bytes->len);
}

// Reads one part; false (with `error`) when its declared charset cannot be honoured. Sets
// `skip` for a nested multipart or message, which carry no field.
bool read_part(std::string_view bytes, FormPart& out, bool& skip, FormError& error) {
    const auto [head, content] = split_head(bytes);
    std::string header(head);
    header += "\r\n";
    GPtr<GMimeStream> stream(g_mime_stream_mem_new_with_buffer(header.data(), header.size()));
    GPtr<GMimeParser> parser(g_mime_parser_new_with_stream(stream.get()));
    GPtr<GMimeObject> object(g_mime_parser_construct_part(parser.get(), nullptr));
    skip = !object || !GMIME_IS_PART(object.get());
    if (skip) return true;
    GMimeContentDisposition* disposition = g_mime_object_get_content_disposition(object.get());
    const char* name = disposition != nullptr
                           ? g_mime_content_disposition_get_parameter(disposition, "name")
                           : nullptr;
    const char* filename = disposition != nullptr
                               ? g_mime_content_disposition_get_parameter(disposition, "filename")
                               : nullptr;
    out.name = name != nullptr ? name : "";
    if (filename != nullptr) out.filename = filename;
    out.content_type = part_media_type(object.get());
    out.content = decoded_content(GMIME_PART(object.get()), content);
    const char* charset = g_mime_object_get_content_type_parameter(object.get(), "charset");
    if (filename == nullptr && charset != nullptr && *charset != '\0') {
        std::string code;
        if (!convert_to_utf8(out.content, charset, code)) {
            error = {out.name.empty() ? "body" : out.name, code,
                     code == "unsupported_charset"
                         ? "the part declares charset '" + std::string(charset) +
                               "', which no converter knows"
                         : "the part is not valid " + std::string(charset)};
            return false;
        }
        out.charset = charset;
    }
    return true;
}

}  // namespace

FormPairs parse_urlencoded(std::string_view body) {
    FormPairs out;
    while (!body.empty()) {
        const std::size_t amp = body.find('&');
        const std::string_view pair = body.substr(0, amp);
        body = amp == std::string_view::npos ? std::string_view{} : body.substr(amp + 1);
        if (pair.empty()) continue;
        const std::size_t eq = pair.find('=');
        std::string value =
            eq == std::string_view::npos ? std::string{} : percent_decode(pair.substr(eq + 1));
        out.emplace_back(percent_decode(pair.substr(0, eq)), std::move(value));
    }
    return out;
}

std::optional<FormPairs> read_urlencoded(std::string_view body, std::string_view charset,
                                         FormError& error) {
    std::size_t fields = 0;
    for (std::size_t at = 0; at < body.size();) {
        std::size_t amp = body.find('&', at);
        if (amp == std::string_view::npos) amp = body.size();
        if (amp > at && ++fields > kMaxFormParts) {
            error = {"body", "too_many_parts",
                     "the body holds more than " + std::to_string(kMaxFormParts) +
                         " fields, the most a form body may have"};
            return std::nullopt;
        }
        at = amp + 1;
    }
    FormPairs pairs = parse_urlencoded(body);
    if (charset.empty()) return pairs;
    for (auto& [name, value] : pairs) {
        std::string code;
        const std::string raw_name = name;
        if (!convert_to_utf8(name, charset, code) || !convert_to_utf8(value, charset, code)) {
            const bool named = is_valid_utf8(raw_name) && !raw_name.empty();
            error = {code == "unsupported_charset" ? "content-type" : (named ? raw_name : "body"),
                     code,
                     code == "unsupported_charset"
                         ? "the body declares charset '" + std::string(charset) +
                               "', which no converter knows"
                         : "the field is not valid " + std::string(charset)};
            return std::nullopt;
        }
    }
    return pairs;
}

std::optional<std::string> form_value(const FormPairs& pairs, std::string_view name) {
    for (const auto& [k, v] : pairs) {
        if (k == name) return v;
    }
    return std::nullopt;
}

void ensure_gmime_initialized() {
    // GMime's global tables are set up once per process and never torn down, since other users
    // of GMime in the same process may still need them.
    static std::once_flag once;
    std::call_once(once, [] { g_mime_init(); });
}

std::optional<std::vector<FormPart>> parse_multipart(std::string_view content_type,
                                                     std::string_view body, FormError& error) {
    ensure_gmime_initialized();
    if (content_type.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos) {
        error = {"body", "malformed_multipart", "the content type holds a line break"};
        return std::nullopt;
    }
    const std::string type_text(content_type);
    GPtr<GMimeContentType> type(g_mime_content_type_parse(nullptr, type_text.c_str()));
    if (!type || !g_mime_content_type_is_type(type.get(), "multipart", "*")) {
        error = {"body", "malformed_multipart", "the body is not a MIME multipart"};
        return std::nullopt;
    }
    const char* boundary = g_mime_content_type_get_parameter(type.get(), "boundary");
    if (boundary == nullptr || *boundary == '\0') {
        error = {"body", "malformed_multipart", "the content type has no boundary parameter"};
        return std::nullopt;
    }
    std::vector<std::string_view> pieces;
    if (!split_parts(body, boundary, pieces, error)) return std::nullopt;
    std::vector<FormPart> parts;
    parts.reserve(pieces.size());
    for (std::string_view piece : pieces) {
        FormPart part;
        bool skip = false;
        if (!read_part(piece, part, skip, error)) return std::nullopt;
        if (!skip) parts.push_back(std::move(part));
    }
    return parts;
}

}  // namespace memolib::plugins::common
