#include "vonage_signature.hpp"

#include <map>

#include "memolib/plugins/common/crypto.hpp"

namespace memolib::plugins::sms {

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
            return common::hex_encode(common::md5(base));
        case VonageSignatureMethod::kMd5:
            return common::hex_encode(common::hmac("md5", secret, base));
        case VonageSignatureMethod::kSha1:
            return common::hex_encode(common::hmac("sha1", secret, base));
        case VonageSignatureMethod::kSha256:
            return common::hex_encode(common::hmac("sha256", secret, base));
        case VonageSignatureMethod::kSha512:
            return common::hex_encode(common::hmac("sha512", secret, base));
    }
    return {};
}

}  // namespace memolib::plugins::sms
