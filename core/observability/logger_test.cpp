#include "observability/logger.hpp"

#include <boost/test/unit_test.hpp>

#include "pipeline/time_format.hpp"

using namespace memolib::core;

BOOST_AUTO_TEST_SUITE(logger)

BOOST_AUTO_TEST_CASE(json_escaping_keeps_text_and_escapes_what_json_forbids) {
    std::string out;
    append_json_escaped(out, "plain é text");
    BOOST_TEST(out == "plain é text");
    out.clear();
    append_json_escaped(out, std::string("a\"b\\c\nd\re\tf\x01g\x7fh\0i", 17));
    BOOST_TEST(out == R"(a\"b\\c\nd\re\tf\u0001g\u007fh\u0000i)");
    out.clear();
    append_json_escaped(out, "\"");
    BOOST_TEST(out == R"(\")");
}

// The date and time of day are cached per second: the milliseconds and the next second must
// still be right.
BOOST_AUTO_TEST_CASE(timestamps_within_and_across_seconds) {
    BOOST_TEST(format_rfc3339_ms(1764565276554) == "2025-12-01T05:01:16.554Z");
    BOOST_TEST(format_rfc3339_ms(1764565276007) == "2025-12-01T05:01:16.007Z");
    BOOST_TEST(format_rfc3339_ms(1764565277090) == "2025-12-01T05:01:17.090Z");
    BOOST_TEST(format_rfc3339_ms(0) == "1970-01-01T00:00:00.000Z");
    BOOST_TEST(format_rfc3339_ms(-1) == "1969-12-31T23:59:59.999Z");
}

BOOST_AUTO_TEST_SUITE_END()
