#include "util/utf8.hpp"

#include <string>

#include <boost/test/unit_test.hpp>

using namespace memolib::core;

BOOST_AUTO_TEST_SUITE(utf8)

BOOST_AUTO_TEST_CASE(utf8_validation) {
    BOOST_TEST(is_valid_utf8("héllo wörld ✓"));
    BOOST_TEST(!is_valid_utf8("\xff"));
    BOOST_TEST(!is_valid_utf8("\xc3"));
    BOOST_TEST(!is_valid_utf8("\xed\xa0\x80"));  // a UTF-16 surrogate
    BOOST_TEST(!is_valid_utf8("\xc0\xaf"));      // overlong
    // Long ASCII runs are checked a word at a time: a bad byte is found wherever it falls, and
    // a character that straddles two words is still read whole.
    const std::string ascii(37, 'a');
    for (std::size_t at = 0; at <= ascii.size(); ++at) {
        std::string bad = ascii;
        bad.insert(at, "\xff");
        BOOST_TEST(!is_valid_utf8(bad), "0xff at " << at);
        std::string good = ascii;
        good.insert(at, "\xe2\x9c\x93");
        BOOST_TEST(is_valid_utf8(good), "U+2713 at " << at);
    }
    BOOST_TEST(!is_valid_utf8(ascii + "\xe2\x9c"));  // truncated at the end
    BOOST_TEST(is_valid_utf8(ascii));
}

BOOST_AUTO_TEST_SUITE_END()
