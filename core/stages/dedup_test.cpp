#include <boost/test/unit_test.hpp>

#include "stages/stages.hpp"

using namespace memolib::core;

BOOST_AUTO_TEST_SUITE(dedup)

BOOST_AUTO_TEST_CASE(the_provider_id_decides_when_there_is_one) {
    NormalizedMessage a;
    a.channel = "whatsapp";
    a.external_id = "wamid.1";
    a.text = "hello";
    NormalizedMessage b = a;
    b.text = "edited text, same provider id";
    BOOST_TEST(dedup_key(a) == dedup_key(b));
    BOOST_TEST(dedup_key(a).size() == 64u);
    b.external_id = "wamid.2";
    BOOST_TEST(dedup_key(a) != dedup_key(b));
    b = a;
    b.channel = "sms";
    BOOST_TEST(dedup_key(a) != dedup_key(b));
}

BOOST_AUTO_TEST_CASE(content_decides_without_a_provider_id) {
    NormalizedMessage a;
    a.channel = "form";
    a.sender = "jane@example.org";
    a.text = "Bonjour,\n  je voudrais un rendez-vous.";
    NormalizedMessage b = a;
    b.text = "  Bonjour, je voudrais   un rendez-vous.\r\n";
    BOOST_TEST(dedup_key(a) == dedup_key(b));
    b.sender = "john@example.org";
    BOOST_TEST(dedup_key(a) != dedup_key(b));
    b = a;
    b.provider_timestamp_ms = 1;
    BOOST_TEST(dedup_key(a) != dedup_key(b));
}

BOOST_AUTO_TEST_CASE(the_key_is_sha256_of_documented_material) {
    NormalizedMessage a;
    a.channel = "c";
    a.external_id = "x";
    // sha256("v1\0id\0c\0x"): pinned so that a change of the key, which would let every
    // past message be stored again, cannot go unnoticed.
    BOOST_TEST(dedup_key(a) == "c7f3114d37add47d8354afe286903a3f147e3ccb36eb0d8c4958a8c831ae3d99");
}

BOOST_AUTO_TEST_SUITE_END()
