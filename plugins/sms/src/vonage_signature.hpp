#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "memolib/plugins/common/form_data.hpp"

namespace memolib::plugins::sms {

// The algorithms Vonage lets an account choose for its signature secret: the "MD5 hash"
// (the default) and the HMAC variants, named as Vonage's client libraries name them.
enum class VonageSignatureMethod { kMd5Hash, kMd5, kSha1, kSha256, kSha512 };

// Reads "md5hash", "md5", "sha1", "sha256" or "sha512"; nullopt otherwise.
std::optional<VonageSignatureMethod> parse_vonage_signature_method(std::string_view name);

// The `sig` Vonage computes over `params` (every parameter but `sig` itself), as
// https://developer.vonage.com/getting-started/concepts/signing-messages describes: the
// parameters sorted by name, each written "&name=value" with every '&' and '=' of the value
// replaced by '_'; then MD5 of that text followed by the secret (md5hash), or the HMAC of the
// text keyed by the secret. Lower-case hex. A name that appears twice counts once (its first
// value).
std::string vonage_signature(const common::FormPairs& params, std::string_view secret,
                             VonageSignatureMethod method);

}  // namespace memolib::plugins::sms
