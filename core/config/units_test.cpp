#include "config/units.hpp"

#include <boost/test/unit_test.hpp>

using namespace memolib::core;

BOOST_AUTO_TEST_SUITE(units)

BOOST_AUTO_TEST_CASE(sizes_use_binary_and_decimal_units) {
    BOOST_TEST(*parse_size("100KiB") == 102400u);
    BOOST_TEST(*parse_size("10MiB") == 10485760u);
    BOOST_TEST(*parse_size("5MB") == 5000000u);
    BOOST_TEST(*parse_size("512") == 512u);
    BOOST_TEST(*parse_size("1.5KiB") == 1536u);
    BOOST_TEST(!parse_size("10 parsecs"));
    BOOST_TEST(!parse_size("-1KiB"));
    BOOST_TEST(!parse_size(""));
}

BOOST_AUTO_TEST_CASE(durations_are_milliseconds) {
    BOOST_TEST(*parse_duration_ms("2ms") == 2u);
    BOOST_TEST(*parse_duration_ms("10s") == 10000u);
    BOOST_TEST(*parse_duration_ms("5m") == 300000u);
    BOOST_TEST(*parse_duration_ms("1h") == 3600000u);
    BOOST_TEST(*parse_duration_ms("7d") == 604800000u);
    BOOST_TEST(!parse_duration_ms("1 fortnight"));
    BOOST_TEST(!parse_duration_ms("h"));
}

BOOST_AUTO_TEST_SUITE_END()
