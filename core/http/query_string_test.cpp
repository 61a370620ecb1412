#include "http/query_string.hpp"

#include <boost/test/unit_test.hpp>

using namespace memolib::core;

BOOST_AUTO_TEST_SUITE(query_string)

BOOST_AUTO_TEST_CASE(values_are_decoded) {
    BOOST_TEST(query_param("a=1&since=2026-11-24T06%3A00%3A00%2B01%3A00", "since").value_or("?") ==
               "2026-11-24T06:00:00+01:00");
    BOOST_TEST(query_param("q=a+b%20c", "q").value_or("?") == "a b c");
    BOOST_TEST(query_param("flag&x=2", "flag").value_or("?") == "");
    BOOST_TEST(!query_param("a=1", "b").has_value());
    BOOST_TEST(!query_param("", "a").has_value());
    BOOST_TEST(query_param("bad=%zz%4", "bad").value_or("?") == "%zz%4");
    BOOST_TEST(query_flag("dry_run=1", "dry_run"));
    BOOST_TEST(query_flag("x=0&dry_run=true", "dry_run"));
    BOOST_TEST(!query_flag("dry_run=0", "dry_run"));
}

BOOST_AUTO_TEST_SUITE_END()
