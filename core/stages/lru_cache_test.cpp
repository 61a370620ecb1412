#include "stages/lru_cache.hpp"

#include <boost/test/unit_test.hpp>

#include "util/clock.hpp"

using namespace memolib::core;
using std::chrono::milliseconds;

BOOST_AUTO_TEST_SUITE(lru_cache)

BOOST_AUTO_TEST_CASE(an_entry_is_answered_up_to_its_ttl_and_not_a_millisecond_later) {
    ManualClock clock;
    LruCache<int> cache(10, milliseconds(60'000), clock);
    cache.put("a", 1);
    clock.advance(59'999);
    BOOST_TEST(cache.get("a").value_or(0) == 1);
    clock.advance(1);
    BOOST_TEST(cache.get("a").value_or(0) == 1, "at exactly the TTL");
    clock.advance(1);
    BOOST_TEST(!cache.get("a").has_value());
    BOOST_TEST(cache.size() == 0U, "an expired entry found is dropped");
    BOOST_TEST(cache.hits() == 2U);
    BOOST_TEST(cache.misses() == 1U);
    BOOST_TEST(cache.evictions() == 1U);
}

BOOST_AUTO_TEST_CASE(storing_again_restarts_the_ttl_and_reading_does_not) {
    ManualClock clock;
    LruCache<int> cache(10, milliseconds(1000), clock);
    cache.put("stored-again", 1);
    cache.put("read", 1);
    clock.advance(800);
    cache.put("stored-again", 2);
    BOOST_TEST(cache.get("read").value_or(0) == 1);
    clock.advance(201);
    BOOST_TEST(!cache.get("read").has_value(), "1001 ms after it was stored");
    BOOST_TEST(cache.get("stored-again").value_or(0) == 2, "401 ms after it was stored again");
    clock.advance(799);
    BOOST_TEST(cache.get("stored-again").value_or(0) == 2, "1000 ms after it was stored again");
    clock.advance(1);
    BOOST_TEST(!cache.get("stored-again").has_value());
}

BOOST_AUTO_TEST_CASE(a_zero_ttl_never_expires) {
    ManualClock clock;
    LruCache<int> cache(10, milliseconds(0), clock);
    cache.put("a", 1);
    clock.advance(std::int64_t{365} * 24 * 3600 * 1000);
    BOOST_TEST(cache.get("a").value_or(0) == 1);
}

BOOST_AUTO_TEST_CASE(the_least_recently_used_entry_makes_room) {
    ManualClock clock;
    LruCache<int> cache(2, milliseconds(1000), clock);
    cache.put("a", 1);
    cache.put("b", 2);
    BOOST_TEST(cache.get("a").value_or(0) == 1);
    cache.put("c", 3);
    BOOST_TEST(cache.size() == 2U);
    BOOST_TEST(!cache.get("b").has_value(), "b was used least recently");
    BOOST_TEST(cache.get("a").value_or(0) == 1);
    BOOST_TEST(cache.get("c").value_or(0) == 3);
    BOOST_TEST(cache.evictions() == 1U);
}

BOOST_AUTO_TEST_CASE(a_zero_capacity_keeps_nothing) {
    LruCache<int> cache(0, milliseconds(1000));
    cache.put("a", 1);
    BOOST_TEST(!cache.get("a").has_value());
    BOOST_TEST(cache.size() == 0U);
}

BOOST_AUTO_TEST_SUITE_END()
