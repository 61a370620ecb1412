#include "memolib/plugins/common/charset.hpp"

#include <gmime/gmime.h>

#include "memolib/plugins/common/form_data.hpp"
#include "memolib/plugins/common/glib_ptr.hpp"
#include "memolib/plugins/common/text.hpp"

namespace memolib::plugins::common {

std::string charset_label(std::string_view charset) {
    std::string_view s = trim(charset);
    if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
    return to_lower(trim(s));
}

std::string content_type_charset(std::string_view content_type) {
    ensure_gmime_initialized();
    const std::string text(content_type.substr(0, content_type.find('\0')));
    GPtr<GMimeContentType> type(g_mime_content_type_parse(nullptr, text.c_str()));
    const char* charset = type ? g_mime_content_type_get_parameter(type.get(), "charset") : nullptr;
    return charset != nullptr ? to_lower(trim(charset)) : std::string();
}

std::optional<std::string> iconv_to_utf8(std::string_view bytes, const char* from,
                                         bool& unsupported) {
    // g_convert reports a converter it cannot open with varying codes: asked first.
    GIConv converter = g_iconv_open("UTF-8", from);
    // (GIConv)-1 is how g_iconv_open says it failed.
    unsupported = converter == reinterpret_cast<GIConv>(-1);  // NOLINT(performance-no-int-to-ptr)
    if (unsupported) return std::nullopt;
    gsize written = 0;
    GError* error = nullptr;
    GCharPtr out(g_convert_with_iconv(bytes.data(), static_cast<gssize>(bytes.size()), converter,
                                      nullptr, &written, &error));
    g_iconv_close(converter);
    if (error != nullptr) {
        g_error_free(error);
        return std::nullopt;
    }
    if (!out) return std::nullopt;
    return std::string(out.get(), written);
}

std::optional<std::string> windows_1252_to_utf8(std::string_view bytes, bool& unsupported) {
    if (auto out = iconv_to_utf8(bytes, "CP1252", unsupported)) return out;
    return iconv_to_utf8(bytes, "ISO-8859-1", unsupported);
}

bool convert_to_utf8(std::string& text, std::string_view charset, std::string& code) {
    const std::string label = charset_label(charset);
    if (label == "utf-8" || label == "utf8") {
        if (is_valid_utf8(text)) return true;
        code = "invalid_encoding";
        return false;
    }
    ensure_gmime_initialized();
    // WHATWG reads these labels as Windows-1252.
    const bool latin1 = label == "iso-8859-1" || label == "iso8859-1" || label == "latin1" ||
                        label == "l1" || label == "us-ascii" || label == "ascii";
    if (is_ascii(text)) {
        // ASCII reads the same in every charset a form declares, yet the label must be known.
        if (latin1) return true;
    }
    bool unsupported = false;
    std::optional<std::string> out;
    if (latin1) {
        out = windows_1252_to_utf8(text, unsupported);
    } else {
        const char* name = g_mime_charset_iconv_name(label.c_str());
        out = iconv_to_utf8(text, name != nullptr ? name : label.c_str(), unsupported);
    }
    if (!out) {
        code = unsupported ? "unsupported_charset" : "invalid_encoding";
        return false;
    }
    text = std::move(*out);
    return true;
}

}  // namespace memolib::plugins::common
