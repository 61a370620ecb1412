#include <limits>
#include <memory>
#include <mutex>
#include <string>

#include <gmime/gmime.h>

#include "form_fields.hpp"
#include "text.hpp"

namespace memolib::plugins::form {
namespace {

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

void ensure_gmime_initialized() {
    // GMime's global tables are set up once per process and never torn down, since other users
    // of GMime in the same process may still need them.
    static std::once_flag once;
    std::call_once(once, [] { g_mime_init(); });
}

// The decoded content of a leaf part (transfer encoding removed).
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
    if (type == nullptr) return "application/octet-stream";
    std::unique_ptr<char, GFree> mime(g_mime_content_type_get_mime_type(type));
    return mime ? std::string(mime.get()) : std::string("application/octet-stream");
}

void read_part(GMimeObject* object, RawForm& form) {
    // Nested multiparts (the obsolete multipart/mixed file lists) carry no field we read.
    if (!GMIME_IS_PART(object)) return;
    GMimeContentDisposition* disposition = g_mime_object_get_content_disposition(object);
    if (disposition == nullptr) return;
    const char* name = g_mime_content_disposition_get_parameter(disposition, "name");
    const char* filename = g_mime_content_disposition_get_parameter(disposition, "filename");
    std::string content = part_content(GMIME_PART(object));
    if (filename == nullptr) {
        if (name != nullptr) form.set(name, content);
        return;
    }
    // Browsers send an empty part named "" for a file input left blank.
    if (*filename == '\0' && content.empty()) return;
    sdk::Attachment attachment;
    attachment.name = *filename != '\0' ? filename : (name != nullptr ? name : "");
    attachment.content_type = part_media_type(object);
    attachment.size = static_cast<std::int64_t>(content.size());
    if (!is_valid_utf8(attachment.name)) {
        form.add_error(name != nullptr ? name : "attachment", "invalid_encoding",
                       "the file name is not valid UTF-8");
        return;
    }
    form.add_attachment(std::move(attachment));
}

}  // namespace

void decode_multipart(std::string_view content_type, std::string_view body, RawForm& form) {
    ensure_gmime_initialized();
    if (content_type.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos) {
        form.reject_body("invalid_format", "the content type holds a line break");
        return;
    }
    const std::string header = "Content-Type: " + std::string(content_type) + "\r\n\r\n";
    if (body.size() > std::numeric_limits<guint>::max() - header.size()) {
        form.reject_body("too_long", "the body is too large to parse");
        return;
    }
    GByteArray* bytes = g_byte_array_sized_new(static_cast<guint>(header.size() + body.size()));
    g_byte_array_append(bytes, reinterpret_cast<const guint8*>(header.data()),
                        static_cast<guint>(header.size()));
    if (!body.empty()) {
        g_byte_array_append(bytes, reinterpret_cast<const guint8*>(body.data()),
                            static_cast<guint>(body.size()));
    }
    GPtr<GMimeStream> stream(g_mime_stream_mem_new_with_byte_array(bytes));  // owns `bytes`
    GPtr<GMimeParser> parser(g_mime_parser_new_with_stream(stream.get()));
    GPtr<GMimeObject> root(g_mime_parser_construct_part(parser.get(), nullptr));
    if (!root || !GMIME_IS_MULTIPART(root.get())) {
        form.reject_body("malformed_multipart", "the body is not a MIME multipart");
        return;
    }
    // Asked of the header, since GMime invents a boundary for a multipart that has none.
    const char* boundary = g_mime_object_get_content_type_parameter(root.get(), "boundary");
    if (boundary == nullptr || *boundary == '\0') {
        form.reject_body("malformed_multipart", "the content type has no boundary parameter");
        return;
    }
    GMimeMultipart* multipart = GMIME_MULTIPART(root.get());
    const int count = g_mime_multipart_get_count(multipart);
    if (count <= 0) {
        form.reject_body("malformed_multipart", "no part is delimited by the boundary");
        return;
    }
    for (int i = 0; i < count; ++i) read_part(g_mime_multipart_get_part(multipart, i), form);
}

}  // namespace memolib::plugins::form
