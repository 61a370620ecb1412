/// @file signing.hpp
/// What every signed-webhook plugin needs besides the HMAC itself (Host::hmac computes that):
/// a constant-time comparison, hex and base64 in both directions, and a timestamp tolerance.
/// Header-only and free of dependencies, so an author links nothing for it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace memolib::sdk {

/// True when `a` and `b` are the same bytes, in a time that depends on their lengths only:
/// compare a signature a request carries with the one computed for it this way, never with
/// `==`, which stops at the first differing byte and tells an attacker how much was right.
inline bool constant_time_equal(std::string_view a, std::string_view b) noexcept {
    // Every byte of the longer one is read, so that the time does not reveal where they differ.
    const std::size_t n = a.size() > b.size() ? a.size() : b.size();
    volatile unsigned char diff = a.size() == b.size() ? 0 : 1;
    for (std::size_t i = 0; i < n; ++i) {
        const unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
        const unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
        diff = static_cast<unsigned char>(diff | (x ^ y));
    }
    return diff == 0;
}

/// `bytes` as lower-case hex.
inline std::string hex_encode(std::string_view bytes) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (const char c : bytes) {
        const auto b = static_cast<unsigned char>(c);
        out += kDigits[b >> 4];
        out += kDigits[b & 0xf];
    }
    return out;
}

/// The bytes of hex `text` (either case), or nullopt when it is not hex of whole bytes.
inline std::optional<std::string> hex_decode(std::string_view text) {
    auto value = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    if (text.size() % 2 != 0) return std::nullopt;
    std::string out;
    out.reserve(text.size() / 2);
    for (std::size_t i = 0; i < text.size(); i += 2) {
        const int hi = value(text[i]);
        const int lo = value(text[i + 1]);
        if (hi < 0 || lo < 0) return std::nullopt;
        out += static_cast<char>((hi << 4) | lo);
    }
    return out;
}

/// `bytes` in standard base64 (RFC 4648 section 4), with padding.
inline std::string base64_encode(std::string_view bytes) {
    static constexpr char kAlphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 2 < bytes.size(); i += 3) {
        const std::uint32_t n = (std::uint32_t{static_cast<unsigned char>(bytes[i])} << 16) |
                                (std::uint32_t{static_cast<unsigned char>(bytes[i + 1])} << 8) |
                                std::uint32_t{static_cast<unsigned char>(bytes[i + 2])};
        out += kAlphabet[(n >> 18) & 63];
        out += kAlphabet[(n >> 12) & 63];
        out += kAlphabet[(n >> 6) & 63];
        out += kAlphabet[n & 63];
    }
    if (i < bytes.size()) {
        std::uint32_t n = std::uint32_t{static_cast<unsigned char>(bytes[i])} << 16;
        const bool two = i + 1 < bytes.size();
        if (two) n |= std::uint32_t{static_cast<unsigned char>(bytes[i + 1])} << 8;
        out += kAlphabet[(n >> 18) & 63];
        out += kAlphabet[(n >> 12) & 63];
        out += two ? kAlphabet[(n >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

/// The bytes of standard base64 `text` (padding optional), or nullopt when it is not base64.
inline std::optional<std::string> base64_decode(std::string_view text) {
    auto value = [](char c) -> int {
        if (c >= 'A' && c <= 'Z') return c - 'A';
        if (c >= 'a' && c <= 'z') return c - 'a' + 26;
        if (c >= '0' && c <= '9') return c - '0' + 52;
        if (c == '+') return 62;
        if (c == '/') return 63;
        return -1;
    };
    while (!text.empty() && text.back() == '=') text.remove_suffix(1);
    if (text.size() % 4 == 1) return std::nullopt;
    std::string out;
    out.reserve(text.size() * 3 / 4);
    std::uint32_t bits = 0;
    int count = 0;
    for (const char c : text) {
        const int v = value(c);
        if (v < 0) return std::nullopt;
        bits = (bits << 6) | static_cast<std::uint32_t>(v);
        count += 6;
        if (count >= 8) {
            count -= 8;
            out += static_cast<char>((bits >> count) & 0xff);
        }
    }
    return out;
}

/// True when a signature made at `signed_at_ms` may still be taken at `now_ms` (use
/// Request::received_at_ms): no further than `tolerance_ms` from it, either way, since the
/// provider's clock may run ahead of ours as well as behind.
inline bool within_tolerance(std::int64_t signed_at_ms, std::int64_t now_ms,
                             std::int64_t tolerance_ms) noexcept {
    if (tolerance_ms < 0) return false;
    // In unsigned arithmetic, where a timestamp from a hostile request cannot overflow it.
    const auto a = static_cast<std::uint64_t>(now_ms);
    const auto b = static_cast<std::uint64_t>(signed_at_ms);
    const std::uint64_t skew = now_ms >= signed_at_ms ? a - b : b - a;
    return skew <= static_cast<std::uint64_t>(tolerance_ms);
}

}  // namespace memolib::sdk
