#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "util/clock.hpp"

namespace memolib::core {

/// The one-time values of provider signatures that do not cover the body (Mailgun's tokens),
/// each remembered with a digest of the body that first came with it, for a time-to-live: what
/// memolib_host_t::claim_nonce answers from. Implementations are thread-safe.
class NonceStore {
public:
    enum class Claim {
        /// Not claimed before (or the claim expired): claimed now.
        kNew,
        /// Claimed by a request with the same body: a provider's re-delivery.
        kSameBody,
        /// Claimed by a request with another body: a replayed signature.
        kOtherBody,
        /// The store could not answer (Redis unreachable): nothing is known.
        kUnknown
    };
    virtual ~NonceStore() = default;
    /// Claims `nonce` within `scope` (a channel) with `body_digest` (the body's SHA-256 in hex)
    /// for `ttl_ms` from now, unless an unexpired claim holds it: then says whether it came
    /// with the same digest.
    virtual Claim claim(std::string_view scope, std::string_view nonce,
                        std::string_view body_digest, std::int64_t ttl_ms) = 0;
};

/// One instance's memory: at most `max_entries` claims (the expired ones are dropped first,
/// then the oldest), about 100 bytes each. A claim lasts `ttl_ms` on `clock`, whatever the
/// wall clock does meanwhile.
std::unique_ptr<NonceStore> make_memory_nonce_store(std::size_t max_entries = 100000,
                                                    Clock& clock = real_clock());

/// Claims shared by every instance using the same Redis (`SET key digest NX PX ttl`, then GET
/// and compare), one connection behind a mutex. When Redis cannot be reached the claim is
/// kUnknown (the request goes on: fail open), logged at most every 10 s, and the connection is
/// retried at most once a second, as the Redis rate limiter does. Its clock is Redis's.
std::unique_ptr<NonceStore> make_redis_nonce_store(const std::string& url,
                                                   std::uint64_t timeout_ms);

}  // namespace memolib::core
