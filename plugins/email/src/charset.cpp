#include "charset.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <gmime/gmime.h>

#include "memolib/plugins/common/form_data.hpp"
#include "memolib/plugins/common/text.hpp"

namespace memolib::plugins::email {
namespace {

struct GFree {
    void operator()(gpointer p) const noexcept { g_free(p); }
};

bool is_plain_ascii(std::string_view s) noexcept {
    for (char c : s) {
        const auto b = static_cast<unsigned char>(c);
        if (b == 0 || b >= 0x80) return false;
    }
    return true;
}

// Length of the well-formed UTF-8 sequence at the start of `s`, or 0 when there is none.
std::size_t utf8_sequence_length(std::string_view s) noexcept {
    const auto lead = static_cast<unsigned char>(s[0]);
    std::size_t len = 0;
    std::uint32_t cp = 0;
    if (lead < 0x80) return 1;
    if ((lead & 0xE0) == 0xC0) {
        len = 2;
        cp = lead & 0x1F;
    } else if ((lead & 0xF0) == 0xE0) {
        len = 3;
        cp = lead & 0x0F;
    } else if ((lead & 0xF8) == 0xF0) {
        len = 4;
        cp = lead & 0x07;
    } else {
        return 0;
    }
    if (s.size() < len) return 0;
    for (std::size_t k = 1; k < len; ++k) {
        const auto next = static_cast<unsigned char>(s[k]);
        if ((next & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (next & 0x3F);
    }
    const bool overlong =
        (len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000);
    if (overlong || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return len;
}

std::string lower_trimmed_charset(std::string_view charset) {
    std::string_view s = common::trim(charset);
    if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
    return common::to_lower(common::trim(s));
}

bool is_utf8_label(const std::string& cs) { return cs == "utf-8" || cs == "utf8"; }

bool is_ascii_label(const std::string& cs) {
    return cs.empty() || cs == "us-ascii" || cs == "ascii" || cs == "ansi_x3.4-1968";
}

bool is_latin1_family(const std::string& cs) {
    static const char* const kNames[] = {"iso-8859-1", "iso8859-1",      "iso_8859-1", "latin1",
                                         "l1",         "windows-1252",   "cp1252",     "x-cp1252",
                                         "cp819",      "windows-cp1252", "iso-ir-100", nullptr};
    for (const char* const* n = kNames; *n != nullptr; ++n) {
        if (cs == *n) return true;
    }
    return false;
}

// iconv through GLib; nullopt when the charset is unknown or the bytes do not convert.
std::optional<std::string> convert(std::string_view bytes, const char* from) {
    gsize written = 0;
    GError* error = nullptr;
    std::unique_ptr<gchar, GFree> out(g_convert(bytes.data(), static_cast<gssize>(bytes.size()),
                                                "UTF-8", from, nullptr, &written, &error));
    if (error != nullptr) g_error_free(error);
    if (!out) return std::nullopt;
    return std::string(out.get(), written);
}

std::string from_windows_1252(std::string_view bytes) {
    // glibc's CP1252 refuses the five bytes the code page leaves undefined; ISO-8859-1 maps
    // every byte, so the text is never lost.
    if (auto out = convert(bytes, "CP1252")) return make_valid_utf8(*out);
    if (auto out = convert(bytes, "ISO-8859-1")) return make_valid_utf8(*out);
    return make_valid_utf8(bytes);
}

}  // namespace

std::string make_valid_utf8(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    while (!s.empty()) {
        const std::size_t len = utf8_sequence_length(s);
        if (len == 0) {
            out += "\xEF\xBF\xBD";
            s.remove_prefix(1);
            continue;
        }
        if (!(len == 1 && s[0] == '\0')) out.append(s.data(), len);
        s.remove_prefix(len);
    }
    return out;
}

std::string to_utf8(std::string_view bytes, std::string_view charset) {
    if (is_plain_ascii(bytes)) return std::string(bytes);
    const std::string cs = lower_trimmed_charset(charset);
    if (is_utf8_label(cs)) return make_valid_utf8(bytes);
    if (is_ascii_label(cs)) {
        return common::is_valid_utf8(bytes) ? make_valid_utf8(bytes) : from_windows_1252(bytes);
    }
    if (is_latin1_family(cs)) return from_windows_1252(bytes);
    common::ensure_gmime_initialized();
    const char* iconv_name = g_mime_charset_iconv_name(cs.c_str());
    if (iconv_name != nullptr) {
        if (auto out = convert(bytes, iconv_name)) return make_valid_utf8(*out);
    }
    // An unknown label says nothing reliable: keep UTF-8 as is, else take the commonest 8-bit
    // charset of mail, deterministically rather than by the host's locale.
    if (common::is_valid_utf8(bytes)) return make_valid_utf8(bytes);
    return from_windows_1252(bytes);
}

}  // namespace memolib::plugins::email
