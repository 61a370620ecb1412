#pragma once

#include <optional>
#include <string>
#include <string_view>

/// Signature helpers the in-tree channels share (OpenSSL libcrypto underneath).
namespace memolib::plugins::common {

/// HMAC-SHA256 of `data` with `key`, as raw bytes (32).
std::string hmac_sha256(std::string_view key, std::string_view data);
/// HMAC-SHA1 of `data` with `key`, as raw bytes (20); Twilio still signs with it.
std::string hmac_sha1(std::string_view key, std::string_view data);
/// HMAC of `data` with `key` under the digest OpenSSL calls `digest` ("md5", "sha1",
/// "sha256", "sha512"), as raw bytes; empty when the digest is unknown.
std::string hmac(std::string_view digest, std::string_view key, std::string_view data);
/// SHA-256 of `data`, as raw bytes (32).
std::string sha256(std::string_view data);
/// MD5 of `data`, as raw bytes (16): only for providers that still sign with it (Vonage).
std::string md5(std::string_view data);

/// Lower-case hex of `bytes`.
std::string hex_encode(std::string_view bytes);
/// Standard base64 (with padding) of `bytes`.
std::string base64_encode(std::string_view bytes);
/// Decodes standard base64 (padding optional, no whitespace); nullopt when malformed.
std::optional<std::string> base64_decode(std::string_view text);

/// Compares two secrets in time that depends only on their lengths, never on where they
/// differ (CRYPTO_memcmp), so a caller cannot learn a signature byte by byte.
bool constant_time_equals(std::string_view a, std::string_view b) noexcept;

}  // namespace memolib::plugins::common
