#include "memolib/plugins/common/text.hpp"

#include <cstdint>
#include <ctime>

namespace memolib::plugins::common {
namespace {

constexpr std::size_t kMaxEmailBytes = 254;

bool is_space(char c) noexcept {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// Length of the well-formed UTF-8 sequence at the start of `s` (not empty), or 0 when there is
// none (RFC 3629: no overlong forms, surrogates or code points above U+10FFFF).
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

}  // namespace

bool is_valid_utf8(std::string_view s) noexcept {
    while (!s.empty()) {
        if (static_cast<unsigned char>(s.front()) < 0x80) {
            s.remove_prefix(1);
            continue;
        }
        const std::size_t len = utf8_sequence_length(s);
        if (len == 0) return false;
        s.remove_prefix(len);
    }
    return true;
}

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

bool is_ascii(std::string_view s) noexcept {
    for (char c : s) {
        if (static_cast<unsigned char>(c) >= 0x80) return false;
    }
    return true;
}

std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return s;
}

std::string normalize_newlines(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\r') {
            out.push_back('\n');
            if (i + 1 < s.size() && s[i + 1] == '\n') ++i;
        } else {
            out.push_back(s[i]);
        }
    }
    return out;
}

std::string normalize_email(std::string_view address) {
    if (address.empty() || address.size() > kMaxEmailBytes) return {};
    const std::size_t at = address.find('@');
    if (at == std::string_view::npos || at == 0) return {};
    if (address.find('@', at + 1) != std::string_view::npos) return {};
    for (char c : address) {
        const auto b = static_cast<unsigned char>(c);
        if (b <= 0x20 || b == 0x7F) return {};
    }
    const std::string_view domain = address.substr(at + 1);
    if (domain.find('.') == std::string_view::npos) return {};
    // An empty label shows as a dot at either end or as two dots in a row.
    if (domain.front() == '.' || domain.back() == '.' ||
        domain.find("..") != std::string_view::npos) {
        return {};
    }
    std::string out(address);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return out;
}

std::string printable(std::string_view s, std::size_t max) {
    std::string out;
    const bool cut = s.size() > max;
    for (char c : s.substr(0, max)) {
        const auto b = static_cast<unsigned char>(c);
        out.push_back(b >= 0x20 && b < 0x7F ? c : '?');
    }
    if (cut) out += "...";
    return out;
}

std::string to_lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return out;
}

std::string mailbox_address(std::string_view mailbox, std::string* name) {
    mailbox = trim(mailbox);
    std::string_view address = mailbox;
    std::string_view display;
    const std::size_t open = mailbox.rfind('<');
    if (open != std::string_view::npos) {
        const std::size_t close = mailbox.find('>', open);
        if (close == std::string_view::npos) return {};
        address = trim(mailbox.substr(open + 1, close - open - 1));
        display = trim(mailbox.substr(0, open));
        if (display.size() >= 2 && display.front() == '"' && display.back() == '"') {
            display = display.substr(1, display.size() - 2);
        }
    }
    std::string normalized = normalize_email(address);
    if (!normalized.empty() && name != nullptr) *name = std::string(display);
    return normalized;
}

namespace {

bool read_int(std::string_view& s, std::size_t digits, int& out) {
    if (s.size() < digits) return false;
    out = 0;
    for (std::size_t i = 0; i < digits; ++i) {
        if (s[i] < '0' || s[i] > '9') return false;
        out = out * 10 + (s[i] - '0');
    }
    s.remove_prefix(digits);
    return true;
}

bool expect(std::string_view& s, char c) {
    if (s.empty() || s.front() != c) return false;
    s.remove_prefix(1);
    return true;
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm), so no
// time zone database or locale is involved.
long long days_from_civil(int y, int m, int d) {
    y -= m <= 2 ? 1 : 0;
    const long long era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy =
        (153 * static_cast<unsigned>(m + (m > 2 ? -3 : 9)) + 2) / 5 + static_cast<unsigned>(d) - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<long long>(doe) - 719468;
}

std::optional<long long> to_epoch_ms(int y, int mo, int d, int h, int mi, int sec, int ms,
                                     int offset_minutes) {
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return std::nullopt;
    const long long days = days_from_civil(y, mo, d);
    const long long secs = days * 86400 + h * 3600LL + mi * 60LL + sec - offset_minutes * 60LL;
    return secs * 1000 + ms;
}

// Reads "Z", "+hh:mm", "+hhmm" or nothing (UTC).
bool read_offset(std::string_view& s, int& minutes) {
    minutes = 0;
    if (s.empty()) return true;
    if (s.front() == 'Z' || s.front() == 'z') {
        s.remove_prefix(1);
        return true;
    }
    if (s.front() != '+' && s.front() != '-') return false;
    const int sign = s.front() == '-' ? -1 : 1;
    s.remove_prefix(1);
    int hh = 0;
    int mm = 0;
    if (!read_int(s, 2, hh)) return false;
    if (!s.empty() && s.front() == ':') s.remove_prefix(1);
    if (!read_int(s, 2, mm)) return false;
    minutes = sign * (hh * 60 + mm);
    return true;
}

}  // namespace

std::optional<long long> parse_iso8601_ms(std::string_view text) {
    std::string_view s = trim(text);
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0, ms = 0, offset = 0;
    if (!read_int(s, 4, y) || !expect(s, '-') || !read_int(s, 2, mo) || !expect(s, '-') ||
        !read_int(s, 2, d)) {
        return std::nullopt;
    }
    if (s.empty() || (s.front() != 'T' && s.front() != 't' && s.front() != ' ')) {
        return std::nullopt;
    }
    s.remove_prefix(1);
    if (!read_int(s, 2, h) || !expect(s, ':') || !read_int(s, 2, mi) || !expect(s, ':') ||
        !read_int(s, 2, sec)) {
        return std::nullopt;
    }
    if (!s.empty() && (s.front() == '.' || s.front() == ',')) {
        s.remove_prefix(1);
        int scale = 100;
        bool any = false;
        while (!s.empty() && s.front() >= '0' && s.front() <= '9') {
            ms += (s.front() - '0') * scale;
            scale /= 10;
            any = true;
            s.remove_prefix(1);
        }
        if (!any) return std::nullopt;
    }
    if (!read_offset(s, offset) || !s.empty()) return std::nullopt;
    return to_epoch_ms(y, mo, d, h, mi, sec, ms, offset);
}

}  // namespace memolib::plugins::common
