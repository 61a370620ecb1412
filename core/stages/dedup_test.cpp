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
    BOOST_TEST((dedup_key(a) == dedup_key(b)));
    b.external_id = "wamid.2";
    BOOST_TEST((dedup_key(a) != dedup_key(b)));
    b = a;
    b.channel = "sms";
    BOOST_TEST((dedup_key(a) != dedup_key(b)));
}

BOOST_AUTO_TEST_CASE(content_decides_without_a_provider_id) {
    NormalizedMessage a;
    a.channel = "form";
    a.sender = "jane@example.org";
    a.text = "Bonjour,\n  je voudrais un rendez-vous.";
    NormalizedMessage b = a;
    b.text = "  Bonjour, je voudrais   un rendez-vous.\r\n";
    BOOST_TEST((dedup_key(a) == dedup_key(b)));
    b.sender = "john@example.org";
    BOOST_TEST((dedup_key(a) != dedup_key(b)));
    b = a;
    b.provider_timestamp_ms = 1;
    BOOST_TEST((dedup_key(a) != dedup_key(b)));
}

BOOST_AUTO_TEST_CASE(the_provider_and_a_failed_verification_are_part_of_the_key) {
    NormalizedMessage a;
    a.channel = "email";
    a.provider = "mailgun";
    a.external_id = "517ACC75.5010709@example.com";
    NormalizedMessage b = a;
    b.provider = "mime";
    BOOST_TEST((dedup_key(a) != dedup_key(b)));
    BOOST_TEST((dedup_key(a) != dedup_key(a, Authenticity::kFailed)));
    BOOST_TEST((dedup_key(a, Authenticity::kFailed) == dedup_key(a, Authenticity::kFailed)));
    a.external_id.clear();
    b.external_id.clear();
    a.text = b.text = "same words";
    BOOST_TEST((dedup_key(a) != dedup_key(b)));
}

BOOST_AUTO_TEST_CASE(the_key_is_sha256_of_documented_material) {
    NormalizedMessage a;
    a.channel = "c";
    a.provider = "p";
    a.external_id = "x";
    // sha256("v2\0id\0c\0p\0x"): pinned so that a change of the key, which would let every
    // past message be stored again, cannot go unnoticed (it needs a migration that rewrites
    // the stored keys, as migration 2 does).
    BOOST_TEST(to_hex(dedup_key(a)) ==
               "6384832dd610a59179cf6be27378973f9c1ac6bfcf4168cae604fba1c819c028");
}

BOOST_AUTO_TEST_SUITE_END()
