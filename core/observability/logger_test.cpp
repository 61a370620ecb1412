#include "observability/logger.hpp"

#include <unistd.h>

#include <cstdio>
#include <limits>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "util/time_format.hpp"

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

// Plain runs are skipped eight bytes at a time: a byte to escape must be found wherever it
// falls in a word, and bytes above 0x7f (UTF-8) are never taken for one.
BOOST_AUTO_TEST_CASE(json_escaping_finds_every_byte_to_escape_at_any_offset) {
    const std::vector<std::pair<char, std::string>> escapes{
        {'"', R"(\")"},        {'\\', R"(\\)"},       {'\x01', R"(\u0001)"},
        {'\x1f', R"(\u001f)"}, {'\x7f', R"(\u007f)"}, {'\0', R"(\u0000)"}};
    for (const auto& [bad, escaped] : escapes) {
        for (std::size_t at = 0; at < 20; ++at) {
            std::string text(20, 'x');
            text[at] = bad;
            std::string out;
            append_json_escaped(out, text);
            BOOST_TEST(out == std::string(at, 'x') + escaped + std::string(19 - at, 'x'));
        }
    }
    std::string out;
    append_json_escaped(out, "\xc3\xa9\xe2\x82\xac \xf0\x9f\x98\x80 \xff\x80\xa0 plain text!");
    BOOST_TEST(out == "\xc3\xa9\xe2\x82\xac \xf0\x9f\x98\x80 \xff\x80\xa0 plain text!");
}

// The date and time of day are cached per second: the milliseconds and the next second must
// still be right.
BOOST_AUTO_TEST_CASE(timestamps_within_and_across_seconds) {
    BOOST_TEST(format_rfc3339_ms(1764565276554) == "2025-12-01T05:01:16.554Z");
    BOOST_TEST(format_rfc3339_ms(1764565276007) == "2025-12-01T05:01:16.007Z");
    BOOST_TEST(format_rfc3339_ms(1764565277090) == "2025-12-01T05:01:17.090Z");
    BOOST_TEST(format_rfc3339_ms(0) == "1970-01-01T00:00:00.000Z");
    BOOST_TEST(format_rfc3339_ms(-1) == "1969-12-31T23:59:59.999Z");
    BOOST_TEST(format_rfc3339_ms(-62135596800000) == "0001-01-01T00:00:00.000Z");
    BOOST_TEST(format_rfc3339_ms(253402300800000) == "10000-01-01T00:00:00.000Z");
}

// Each thread keeps its own cached second: the first timestamp a thread formats may fall in any
// second, the last one before the epoch included.
BOOST_AUTO_TEST_CASE(a_thread_first_formats_any_second) {
    std::string first;
    std::thread([&first] { first = format_rfc3339_ms(-500); }).join();
    BOOST_TEST(first == "1969-12-31T23:59:59.500Z");
}

// What one log() call writes to stderr, read back through a temporary file.
static std::string logged(std::initializer_list<LogField> fields) {
    std::FILE* file = std::tmpfile();
    BOOST_REQUIRE(file != nullptr);
    const int saved = ::dup(STDERR_FILENO);
    ::dup2(::fileno(file), STDERR_FILENO);
    log().info("numbers", fields);
    ::dup2(saved, STDERR_FILENO);
    ::close(saved);
    std::string text(4096, '\0');
    std::rewind(file);
    text.resize(std::fread(text.data(), 1, text.size(), file));
    std::fclose(file);
    return text;
}

// Numbers go out as JSON numbers: integers whole, latencies with 3 decimals rounded as printf
// would, and no NaN (which JSON cannot carry).
BOOST_AUTO_TEST_CASE(numbers_are_json_numbers) {
    const std::string line = logged({{"count", 42},
                                     {"offset", -9007199254740993LL},
                                     {"latency_ms", 1.23456},
                                     {"tiny", 0.0004},
                                     {"whole", 12.0},
                                     {"nan", std::numeric_limits<double>::quiet_NaN()},
                                     {"ok", true}});
    BOOST_TEST(line.find(R"("event":"numbers","count":42,"offset":-9007199254740993,)"
                         R"("latency_ms":1.235,"tiny":0.000,"whole":12.000,"nan":null,"ok":true})"
                         "\n") != std::string::npos,
               line);
}

BOOST_AUTO_TEST_SUITE_END()
