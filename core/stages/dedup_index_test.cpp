#include "stages/dedup_index.hpp"

#include <algorithm>
#include <cstdint>
#include <list>
#include <optional>
#include <random>
#include <string>
#include <utility>

#include <boost/test/unit_test.hpp>

#include "stages/stages.hpp"

using namespace memolib::core;

namespace {

Sha256Digest key_of(int n) {
    NormalizedMessage m;
    m.channel = "whatsapp";
    m.external_id = "wamid." + std::to_string(n);
    return dedup_key(m);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(dedup_index)

BOOST_AUTO_TEST_CASE(a_stored_key_is_found_with_its_row_id) {
    DedupIndex index(4);
    BOOST_TEST(!index.get(key_of(1)).has_value());
    index.put(key_of(1), 41);
    index.put(key_of(2), 42);
    BOOST_TEST(index.get(key_of(1)).value() == 41);
    BOOST_TEST(index.get(key_of(2)).value() == 42);
    index.put(key_of(1), 51);
    BOOST_TEST(index.get(key_of(1)).value() == 51);
    BOOST_TEST(index.size() == 2u);
    BOOST_TEST(index.hits() == 3u);
    BOOST_TEST(index.misses() == 1u);
}

BOOST_AUTO_TEST_CASE(the_least_recently_used_key_makes_room) {
    DedupIndex index(3);
    for (int n = 1; n <= 3; ++n) index.put(key_of(n), n);
    BOOST_TEST(index.get(key_of(1)).has_value());  // 2 is now the least recently used
    index.put(key_of(4), 4);
    BOOST_TEST(!index.get(key_of(2)).has_value());
    BOOST_TEST(index.get(key_of(1)).value() == 1);
    BOOST_TEST(index.get(key_of(3)).value() == 3);
    BOOST_TEST(index.get(key_of(4)).value() == 4);
    BOOST_TEST(index.size() == 3u);
    BOOST_TEST(index.evictions() == 1u);
}

// Eviction moves entries inside the open-addressing table: through many rounds of random puts
// and gets, the index must answer exactly as a plain LRU list would.
BOOST_AUTO_TEST_CASE(it_answers_as_a_plain_lru_through_many_evictions) {
    constexpr std::size_t kCapacity = 64;
    DedupIndex index(kCapacity);
    std::list<std::pair<int, std::int64_t>> model;  // most recently used first
    auto touch = [&](int n) {
        auto it =
            std::find_if(model.begin(), model.end(), [n](const auto& e) { return e.first == n; });
        if (it == model.end()) return std::optional<std::int64_t>();
        model.splice(model.begin(), model, it);
        return std::optional<std::int64_t>(it->second);
    };
    std::mt19937 rng(7);
    std::uniform_int_distribution<int> pick(0, 199);
    for (int step = 0; step < 20000; ++step) {
        const int n = pick(rng);
        if (step % 3 == 0) {
            const std::int64_t id = step;
            index.put(key_of(n), id);
            if (touch(n)) {
                model.front().second = id;
            } else {
                model.emplace_front(n, id);
                if (model.size() > kCapacity) model.pop_back();
            }
        } else {
            auto expected = touch(n);
            auto got = index.get(key_of(n));
            BOOST_TEST_REQUIRE(got.has_value() == expected.has_value(),
                               "key " << n << " at step " << step);
            if (got) BOOST_TEST_REQUIRE(*got == *expected);
        }
    }
    BOOST_TEST(index.size() == model.size());
    BOOST_TEST(index.evictions() > 1000u);
}

BOOST_AUTO_TEST_CASE(capacity_zero_holds_nothing) {
    DedupIndex off(0);
    off.put(key_of(1), 1);
    BOOST_TEST(!off.get(key_of(1)).has_value());
    BOOST_TEST(off.size() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
