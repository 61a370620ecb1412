#include "vonage_signature.hpp"

#include <map>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "memolib/plugins/common/crypto.hpp"

namespace memolib::plugins::sms {
namespace {

// MD5 and HMAC-MD5/SHA-512 are not in plugins/common (no other channel needs them); EVP keeps
// them off OpenSSL 3's deprecated MD5() API.
std::string md5(std::string_view data) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_Digest(data.data(), data.size(), out, &len, EVP_md5(), nullptr) != 1) return {};
    return std::string(reinterpret_cast<const char*>(out), len);
}

std::string hmac(const EVP_MD* md, std::string_view key, std::string_view data) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (HMAC(md, key.data(), static_cast<int>(key.size()),
             reinterpret_cast<const unsigned char*>(data.data()), data.size(), out,
             &len) == nullptr) {
        return {};
    }
    return std::string(reinterpret_cast<const char*>(out), len);
}

}  // namespace

std::optional<VonageSignatureMethod> parse_vonage_signature_method(std::string_view name) {
    if (name == "md5hash") return VonageSignatureMethod::kMd5Hash;
    if (name == "md5") return VonageSignatureMethod::kMd5;
    if (name == "sha1") return VonageSignatureMethod::kSha1;
    if (name == "sha256") return VonageSignatureMethod::kSha256;
    if (name == "sha512") return VonageSignatureMethod::kSha512;
    return std::nullopt;
}

std::string vonage_signature(const common::FormPairs& params, std::string_view secret,
                             VonageSignatureMethod method) {
    // Byte order, as Vonage's libraries sort (their names are ASCII).
    std::map<std::string_view, std::string_view> sorted;
    for (const auto& [name, value] : params) {
        if (name != "sig") sorted.emplace(name, value);
    }
    std::string base;
    for (const auto& [name, value] : sorted) {
        base += '&';
        base += name;
        base += '=';
        for (char c : value) base += (c == '&' || c == '=') ? '_' : c;
    }
    switch (method) {
        case VonageSignatureMethod::kMd5Hash:
            base += secret;
            return common::hex_encode(md5(base));
        case VonageSignatureMethod::kMd5:
            return common::hex_encode(hmac(EVP_md5(), secret, base));
        case VonageSignatureMethod::kSha1:
            return common::hex_encode(hmac(EVP_sha1(), secret, base));
        case VonageSignatureMethod::kSha256:
            return common::hex_encode(hmac(EVP_sha256(), secret, base));
        case VonageSignatureMethod::kSha512:
            return common::hex_encode(hmac(EVP_sha512(), secret, base));
    }
    return {};
}

}  // namespace memolib::plugins::sms
