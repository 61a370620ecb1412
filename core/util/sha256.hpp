#pragma once

#include <array>
#include <initializer_list>
#include <string>
#include <string_view>

namespace memolib::core {

using Sha256Digest = std::array<unsigned char, 32>;

/// SHA-256 of the concatenation of `parts` (OpenSSL's implementation, fetched once: OpenSSL 3
/// looks the algorithm up again on every call that names it with EVP_sha256()).
Sha256Digest sha256(std::initializer_list<std::string_view> parts);

/// The digest's 32 bytes, as a view.
inline std::string_view digest_bytes(const Sha256Digest& digest) {
    return {reinterpret_cast<const char*>(digest.data()), digest.size()};
}

/// The digest as 64 lower-case hex digits.
std::string to_hex(const Sha256Digest& digest);

}  // namespace memolib::core
