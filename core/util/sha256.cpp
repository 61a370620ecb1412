#include "util/sha256.hpp"

#include <memory>
#include <stdexcept>

#include <openssl/evp.h>

#include "util/encoding.hpp"

namespace memolib::core {

namespace {

const EVP_MD* sha256_md() {
    static EVP_MD* const kSha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    if (kSha256 == nullptr) throw std::runtime_error("OpenSSL has no SHA-256");
    return kSha256;
}

struct FreeContext {
    void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

}  // namespace

Sha256Digest sha256(std::initializer_list<std::string_view> parts) {
    // One context per thread, reused: creating one costs more than hashing a webhook.
    thread_local std::unique_ptr<EVP_MD_CTX, FreeContext> ctx(EVP_MD_CTX_new());
    Sha256Digest out{};
    unsigned int len = 0;
    if (!ctx || EVP_DigestInit_ex(ctx.get(), sha256_md(), nullptr) != 1)
        throw std::runtime_error("SHA-256 could not start");
    for (std::string_view part : parts) EVP_DigestUpdate(ctx.get(), part.data(), part.size());
    EVP_DigestFinal_ex(ctx.get(), out.data(), &len);
    return out;
}

std::string to_hex(const Sha256Digest& digest) { return to_hex(digest_bytes(digest)); }

}  // namespace memolib::core
