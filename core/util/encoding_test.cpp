#include "util/encoding.hpp"

#include <string>

#include <boost/test/unit_test.hpp>

#include "util/sha256.hpp"

using namespace memolib::core;

BOOST_AUTO_TEST_SUITE(encoding)

BOOST_AUTO_TEST_CASE(hex_is_two_lower_case_digits_a_byte) {
    BOOST_TEST(to_hex(std::string("\x00\x01\x7f\x80\xab\xff", 6)) == "00017f80abff");
    BOOST_TEST(to_hex("") == "");
    std::string out = "id:";
    append_hex(out, "\x0f\xf0");
    BOOST_TEST(out == "id:0ff0");
    BOOST_TEST(to_hex(sha256({"ab", "c"})) ==
               "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

BOOST_AUTO_TEST_CASE(base64_is_standard_and_padded) {
    BOOST_TEST(base64_encode("") == "");
    BOOST_TEST(base64_encode("f") == "Zg==");
    BOOST_TEST(base64_encode("fo") == "Zm8=");
    BOOST_TEST(base64_encode("foo") == "Zm9v");
    BOOST_TEST(base64_encode(std::string("\x89PNG\0\xff", 6)) == "iVBORwD/");
}

BOOST_AUTO_TEST_CASE(percent_decoding_reads_form_urlencoded_text) {
    BOOST_TEST(percent_decode("a+b%20c") == "a b c");
    BOOST_TEST(percent_decode("%41%6a%6A") == "Ajj");
    BOOST_TEST(percent_decode("bad=%zz%4") == "bad=%zz%4");
    BOOST_TEST(percent_decode("%") == "%");
    BOOST_TEST(percent_decode(std::string("%00", 3)) == std::string(1, '\0'));
}

BOOST_AUTO_TEST_CASE(optional_whitespace_is_trimmed) {
    BOOST_TEST(trim_ows(std::string_view(" \tgzip \t")) == "gzip");
    BOOST_TEST(trim_ows(std::string_view(" a b ")) == "a b");
    BOOST_TEST(trim_ows(std::string_view(" \t ")).empty());
    BOOST_TEST(trim_ows(std::string_view("\nx")) == "\nx");
}

BOOST_AUTO_TEST_SUITE_END()
