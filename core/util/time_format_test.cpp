#include "util/time_format.hpp"

#include <boost/test/unit_test.hpp>

using namespace memolib::core;

BOOST_AUTO_TEST_SUITE(time_format)

BOOST_AUTO_TEST_CASE(rfc3339_times_are_parsed) {
    BOOST_TEST(parse_rfc3339_ms("1970-01-01T00:00:01Z").value_or(-1) == 1000);
    BOOST_TEST(parse_rfc3339_ms("1970-01-01T01:00:01.25+01:00").value_or(-1) == 1250);
    BOOST_TEST(parse_rfc3339_ms("1970-01-02").value_or(-1) == 86'400'000);
    BOOST_TEST(format_rfc3339_ms(parse_rfc3339_ms("2026-11-24T06:41:16.554Z").value_or(0)) ==
               "2026-11-24T06:41:16.554Z");
    for (const char* bad :
         {"", "yesterday", "2026-13-01", "2026-11-24T06:00", "2026-11-24T06:00:00",
          "2026-11-24T06:00:00Zjunk", "2026-11-24T25:00:00Z"}) {
        BOOST_TEST(!parse_rfc3339_ms(bad).has_value(), bad);
    }
}

BOOST_AUTO_TEST_SUITE_END()
