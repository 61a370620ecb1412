#include "charset.hpp"

#include <gmime/gmime.h>

#include "memolib/plugins/common/charset.hpp"
#include "memolib/plugins/common/form_data.hpp"
#include "memolib/plugins/common/text.hpp"

namespace memolib::plugins::email {
namespace {

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

std::string from_windows_1252(std::string_view bytes) {
    bool unsupported = false;
    if (auto out = common::windows_1252_to_utf8(bytes, unsupported)) {
        return common::make_valid_utf8(*out);
    }
    return common::make_valid_utf8(bytes);
}

}  // namespace

std::string to_utf8(std::string_view bytes, std::string_view charset) {
    if (common::is_ascii(bytes) && bytes.find('\0') == std::string_view::npos) {
        return std::string(bytes);
    }
    const std::string cs = common::charset_label(charset);
    if (is_utf8_label(cs)) return common::make_valid_utf8(bytes);
    if (is_ascii_label(cs)) {
        return common::is_valid_utf8(bytes) ? common::make_valid_utf8(bytes)
                                            : from_windows_1252(bytes);
    }
    if (is_latin1_family(cs)) return from_windows_1252(bytes);
    common::ensure_gmime_initialized();
    const char* iconv_name = g_mime_charset_iconv_name(cs.c_str());
    if (iconv_name != nullptr) {
        bool unsupported = false;
        if (auto out = common::iconv_to_utf8(bytes, iconv_name, unsupported)) {
            return common::make_valid_utf8(*out);
        }
    }
    // An unknown label says nothing reliable: keep UTF-8 as is, else take the commonest 8-bit
    // charset of mail, deterministically rather than by the host's locale.
    if (common::is_valid_utf8(bytes)) return common::make_valid_utf8(bytes);
    return from_windows_1252(bytes);
}

}  // namespace memolib::plugins::email
