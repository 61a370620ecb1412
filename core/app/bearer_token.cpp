#include "app/bearer_token.hpp"

#include <string_view>

#include <openssl/crypto.h>

#include "memolib/sdk/adapter.hpp"
#include "util/sha256.hpp"

namespace memolib::core {

namespace {

// Both sides are hashed first, so the comparison takes the same time whatever the lengths.
bool token_matches(const std::string& given, const std::string& expected) {
    const Sha256Digest a = sha256({given});
    const Sha256Digest b = sha256({expected});
    return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

bool bearer_matches(const Exchange& ex, const std::string& token) {
    constexpr std::string_view kBearer = "Bearer ";
    const std::string* auth = ex.header("Authorization");
    return !token.empty() && auth != nullptr && auth->size() > kBearer.size() &&
           sdk::iequals(std::string_view(*auth).substr(0, kBearer.size()), kBearer) &&
           token_matches(auth->substr(kBearer.size()), token);
}

}  // namespace memolib::core
