#include "observability/masking.hpp"

#include <boost/test/unit_test.hpp>

using namespace memolib::core;

BOOST_AUTO_TEST_SUITE(masking)

BOOST_AUTO_TEST_CASE(addresses_and_numbers_are_masked) {
    BOOST_TEST(mask_sender("jane.doe@example.org") == "j***@e***.org");
    BOOST_TEST(mask_sender("+33612345678") == "+33*******78");
    BOOST_TEST(mask_sender("") == "");
    BOOST_TEST(mask_sender("x@localhost") == "x***@***");
    BOOST_TEST(mask_sender("+1234") == "+1***");
    BOOST_TEST(mask_sender("+14155552671") == "+1********71");
    BOOST_TEST(mask_sender("+35227123456") == "+352******56");
}

BOOST_AUTO_TEST_SUITE_END()
