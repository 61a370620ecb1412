#include "memolib/plugins/common/form_data.hpp"

#include <limits>
#include <memory>
#include <mutex>

#include <gmime/gmime.h>

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

struct GObjectUnref {
    void operator()(gpointer object) const noexcept {
        if (object != nullptr) g_object_unref(object);
    }
};
template <class T>
using GPtr = std::unique_ptr<T, GObjectUnref>;

struct GFree {
    void operator()(gpointer p) const noexcept { g_free(p); }
};

std::string part_content(GMimePart* part) {
    GMimeDataWrapper* wrapper = g_mime_part_get_content(part);
    if (wrapper == nullptr) return {};
    GPtr<GMimeStream> out(g_mime_stream_mem_new());
    if (g_mime_data_wrapper_write_to_stream(wrapper, out.get()) < 0) return {};
    GByteArray* bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(out.get()));
    if (bytes == nullptr || bytes->len == 0) return {};
    return std::string(reinterpret_cast<const char*>(bytes->data), bytes->len);
}

std::string part_media_type(GMimeObject* part) {
    GMimeContentType* type = g_mime_object_get_content_type(part);
    if (type == nullptr) return "text/plain";
    std::unique_ptr<char, GFree> mime(g_mime_content_type_get_mime_type(type));
    return mime ? std::string(mime.get()) : std::string("text/plain");
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
                                                     std::string_view body, std::string& error) {
    ensure_gmime_initialized();
    if (content_type.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos) {
        error = "the content type holds a line break";
        return std::nullopt;
    }
    const std::string header = "Content-Type: " + std::string(content_type) + "\r\n\r\n";
    // Without a line end after the closing boundary GMime keeps the CR before it in the last
    // part's content; clients (curl among them) often omit that final CRLF.
    const std::string_view tail = !body.empty() && body.back() != '\n' ? "\r\n" : "";
    if (body.size() > std::numeric_limits<guint>::max() - header.size()) {
        error = "the body is too large to parse";
        return std::nullopt;
    }
    GByteArray* bytes =
        g_byte_array_sized_new(static_cast<guint>(header.size() + body.size() + tail.size()));
    g_byte_array_append(bytes, reinterpret_cast<const guint8*>(header.data()),
                        static_cast<guint>(header.size()));
    if (!body.empty()) {
        g_byte_array_append(bytes, reinterpret_cast<const guint8*>(body.data()),
                            static_cast<guint>(body.size()));
    }
    if (!tail.empty()) {
        g_byte_array_append(bytes, reinterpret_cast<const guint8*>(tail.data()),
                            static_cast<guint>(tail.size()));
    }
    GPtr<GMimeStream> stream(g_mime_stream_mem_new_with_byte_array(bytes));  // owns `bytes`
    GPtr<GMimeParser> parser(g_mime_parser_new_with_stream(stream.get()));
    GPtr<GMimeObject> root(g_mime_parser_construct_part(parser.get(), nullptr));
    if (!root || !GMIME_IS_MULTIPART(root.get())) {
        error = "the body is not a MIME multipart";
        return std::nullopt;
    }
    // Asked of the header, since GMime invents a boundary for a multipart that has none.
    const char* boundary = g_mime_object_get_content_type_parameter(root.get(), "boundary");
    if (boundary == nullptr || *boundary == '\0') {
        error = "the content type has no boundary parameter";
        return std::nullopt;
    }
    GMimeMultipart* multipart = GMIME_MULTIPART(root.get());
    const int count = g_mime_multipart_get_count(multipart);
    if (count <= 0) {
        error = "no part is delimited by the boundary";
        return std::nullopt;
    }
    std::vector<FormPart> parts;
    for (int i = 0; i < count; ++i) {
        GMimeObject* object = g_mime_multipart_get_part(multipart, i);
        // Nested multiparts (the obsolete multipart/mixed file lists) carry no field we read.
        if (!GMIME_IS_PART(object)) continue;
        GMimeContentDisposition* disposition = g_mime_object_get_content_disposition(object);
        const char* name = disposition != nullptr
                               ? g_mime_content_disposition_get_parameter(disposition, "name")
                               : nullptr;
        const char* filename = disposition != nullptr ? g_mime_content_disposition_get_parameter(
                                                            disposition, "filename")
                                                      : nullptr;
        FormPart part;
        part.name = name != nullptr ? name : "";
        if (filename != nullptr) part.filename = filename;
        part.content_type = part_media_type(object);
        part.content = part_content(GMIME_PART(object));
        parts.push_back(std::move(part));
    }
    return parts;
}

}  // namespace memolib::plugins::common
