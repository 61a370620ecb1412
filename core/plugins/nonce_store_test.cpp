#include "plugins/nonce_store.hpp"

#include <cstddef>

#include <boost/test/unit_test.hpp>

#include "plugins/plugin_registry.hpp"
#include "util/clock.hpp"

using namespace memolib::core;
using Claim = NonceStore::Claim;

namespace {

bool is(Claim got, Claim expected) { return got == expected; }

}  // namespace

BOOST_AUTO_TEST_SUITE(nonce_store)

BOOST_AUTO_TEST_CASE(a_nonce_carries_one_body_until_it_expires) {
    ManualClock clock;
    auto store = make_memory_nonce_store(100000, clock);
    const auto claim = [&](std::string_view body, std::int64_t after) {
        clock.set(1'000'000 + after);
        return store->claim("email", "tok", body, 900'000);
    };
    BOOST_TEST(is(claim("body-a", 0), Claim::kNew));
    BOOST_TEST(is(claim("body-a", 1000), Claim::kSameBody));
    BOOST_TEST(is(claim("body-b", 899'999), Claim::kOtherBody));
    // The first claim holds: a refused body never takes the nonce over.
    BOOST_TEST(is(claim("body-a", 899'999), Claim::kSameBody));
    // Expired at exactly the TTL.
    BOOST_TEST(is(claim("body-b", 900'000), Claim::kNew));
    BOOST_TEST(is(claim("body-a", 900'001), Claim::kOtherBody));
}

BOOST_AUTO_TEST_CASE(channels_have_nonces_of_their_own) {
    ManualClock clock;
    auto store = make_memory_nonce_store(100000, clock);
    BOOST_TEST(is(store->claim("email", "tok", "body-a", 60'000), Claim::kNew));
    BOOST_TEST(is(store->claim("email-eu", "tok", "body-b", 60'000), Claim::kNew));
    // A NUL cannot move the boundary between scope and nonce.
    BOOST_TEST(
        is(store->claim(std::string_view("email\0t", 7), "ok", "body-c", 60'000), Claim::kNew));
}

BOOST_AUTO_TEST_CASE(memory_is_bounded_and_expired_claims_go_first) {
    ManualClock clock(0);
    auto store = make_memory_nonce_store(3, clock);
    const auto claim = [&](std::string_view nonce, std::string_view body, std::int64_t ttl,
                           std::int64_t now) {
        clock.set(now);
        return store->claim("c", nonce, body, ttl);
    };
    BOOST_TEST(is(claim("short", "x", 10, 0), Claim::kNew));
    BOOST_TEST(is(claim("n1", "x", 1000, 0), Claim::kNew));
    BOOST_TEST(is(claim("n2", "x", 1000, 0), Claim::kNew));
    // At 20 ms "short" expired: it makes room, every other claim stays.
    BOOST_TEST(is(claim("n3", "x", 1000, 20), Claim::kNew));
    BOOST_TEST(is(claim("n1", "y", 1000, 21), Claim::kOtherBody));
    // Full of live claims: the oldest (n1) goes to make room for n4.
    BOOST_TEST(is(claim("n4", "x", 1000, 22), Claim::kNew));
    BOOST_TEST(is(claim("n2", "y", 1000, 23), Claim::kOtherBody));
    BOOST_TEST(is(claim("n4", "y", 1000, 23), Claim::kOtherBody));
    BOOST_TEST(is(claim("n1", "y", 1000, 24), Claim::kNew));
}

BOOST_AUTO_TEST_CASE(the_host_callback_compares_bodies_within_the_channel) {
    auto store = make_memory_nonce_store();
    const auto claim = [&](std::string_view channel, std::string_view body, bool in_verify) {
        NonceScope scope{store.get(), channel, body};
        PluginCallResult out;
        if (in_verify) out.nonces = &scope;
        const memolib_host_t host = make_host_callbacks(out);
        BOOST_REQUIRE(host.struct_size >= offsetof(memolib_host_t, claim_nonce) + sizeof(void*));
        return host.claim_nonce(host.ctx, {"tok", 3}, 60'000);
    };
    BOOST_TEST(claim("email", "first body", true) == 0);
    BOOST_TEST(claim("email", "first body", true) == 0);
    BOOST_TEST(claim("email", "another body", true) == 1);
    BOOST_TEST(claim("other", "another body", true) == 0);
    // Outside verify (or in a dry run) nothing is claimed nor refused.
    BOOST_TEST(claim("email", "a third body", false) == 0);
}

BOOST_AUTO_TEST_SUITE_END()
