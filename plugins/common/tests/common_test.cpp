#define BOOST_TEST_MODULE plugin_common
#include <boost/test/unit_test.hpp>

#include "memolib/plugins/common/crypto.hpp"
#include "memolib/plugins/common/form_data.hpp"
#include "memolib/plugins/common/json_writer.hpp"
#include "memolib/plugins/common/phone.hpp"
#include "memolib/plugins/common/text.hpp"
#include "memolib/plugins/common/twilio.hpp"

using namespace memolib::plugins::common;

BOOST_AUTO_TEST_SUITE(crypto)

BOOST_AUTO_TEST_CASE(hmac_matches_rfc_4231_and_2202) {
    // RFC 4231 test case 2 and RFC 2202 test case 2.
    BOOST_TEST(hex_encode(hmac_sha256("Jefe", "what do ya want for nothing?")) ==
               "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    BOOST_TEST(hex_encode(hmac_sha1("Jefe", "what do ya want for nothing?")) ==
               "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
    BOOST_TEST(hex_encode(hmac("md5", "Jefe", "what do ya want for nothing?")) ==
               "750c783e6ab0b503eaa86e310a5db738");
    BOOST_TEST(hex_encode(hmac("sha512", "Jefe", "what do ya want for nothing?")) ==
               "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a"
               "6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737");
    BOOST_TEST(hmac("no-such-digest", "k", "d").empty());
    BOOST_TEST(hex_encode(md5("abc")) == "900150983cd24fb0d6963f7d28e17f72");
    BOOST_TEST(hex_encode(sha256("abc")) ==
               "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

BOOST_AUTO_TEST_CASE(base64_round_trips_and_refuses_garbage) {
    BOOST_TEST(base64_encode("hello!") == "aGVsbG8h");
    BOOST_TEST(base64_encode("hi") == "aGk=");
    BOOST_TEST(base64_decode("aGk=").value_or("none") == "hi");
    BOOST_TEST(base64_decode("aGk").value_or("none") == "hi");
    BOOST_TEST(base64_decode("").value_or("none") == "");
    BOOST_TEST(!base64_decode("a$b="));
    std::string bytes("\x00\xff\x10", 3);
    BOOST_TEST(base64_decode(base64_encode(bytes)).value_or("none") == bytes);
}

BOOST_AUTO_TEST_CASE(constant_time_comparison) {
    BOOST_TEST(constant_time_equals("abc", "abc"));
    BOOST_TEST(!constant_time_equals("abc", "abd"));
    BOOST_TEST(!constant_time_equals("abc", "abcd"));
    BOOST_TEST(constant_time_equals("", ""));
}

BOOST_AUTO_TEST_CASE(twilio_signature_matches_their_documented_example) {
    // https://www.twilio.com/docs/usage/security#validating-requests
    FormPairs params = {{"CallSid", "CA1234567890ABCDE"},
                        {"Caller", "+12349013030"},
                        {"Digits", "1234"},
                        {"From", "+12349013030"},
                        {"To", "+18005551212"}};
    BOOST_TEST(twilio_signature("https://mycompany.com/myapp.php?foo=1&bar=2", params, "12345") ==
               "0/KCTR6DLpKmkAf8muzZqo1nDgQ=");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(form_data)

BOOST_AUTO_TEST_CASE(urlencoded_decodes_like_browsers) {
    FormPairs p = parse_urlencoded("a=1&b=hello+world&c=%C3%A9t%C3%A9&d&e=100%&a=2");
    BOOST_REQUIRE_EQUAL(p.size(), 6u);
    BOOST_TEST(p[1].second == "hello world");
    BOOST_TEST(p[2].second == "été");
    BOOST_TEST(p[3].first == "d");
    BOOST_TEST(p[4].second == "100%");
    BOOST_TEST(form_value(p, "a").value_or("none") == "1");
    BOOST_TEST(!form_value(p, "z"));
}

BOOST_AUTO_TEST_CASE(multipart_parts_and_files) {
    std::string body =
        "--XyZ\r\nContent-Disposition: form-data; name=\"message\"\r\n\r\nbonjour\r\n"
        "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n"
        "Content-Type: text/plain\r\n\r\nabc\r\n--XyZ--\r\n";
    FormError error;
    auto parts = parse_multipart("multipart/form-data; boundary=XyZ", body, error);
    BOOST_REQUIRE(parts);
    BOOST_REQUIRE_EQUAL(parts->size(), 2u);
    BOOST_TEST((*parts)[0].name == "message");
    BOOST_TEST((*parts)[0].content == "bonjour");
    BOOST_TEST(!(*parts)[0].filename);
    BOOST_TEST((*parts)[1].filename.value_or("none") == "a.txt");
    BOOST_TEST((*parts)[1].content == "abc");
    // A closing boundary without its final CRLF must not leave a CR in the last part.
    std::string unterminated = body.substr(0, body.size() - 2);
    auto parts2 = parse_multipart("multipart/form-data; boundary=XyZ", unterminated, error);
    BOOST_REQUIRE(parts2);
    BOOST_TEST((*parts2)[1].content == "abc");
    BOOST_TEST(!parse_multipart("multipart/form-data", "junk", error));
    BOOST_TEST(error.code == "malformed_multipart");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(text_and_phone)

BOOST_AUTO_TEST_CASE(phones_become_e164) {
    BOOST_TEST(to_e164("06 12 34 56 78", "FR").value_or("none") == "+33612345678");
    BOOST_TEST(to_e164("+44 20 7946 0958", "FR").value_or("none") == "+442079460958");
    BOOST_TEST(to_e164("020 7946 0958", "GB").value_or("none") == "+442079460958");
    BOOST_TEST(!to_e164("12", "FR"));
    BOOST_TEST(is_known_region("FR"));
    BOOST_TEST(!is_known_region("XX"));
}

BOOST_AUTO_TEST_CASE(mailboxes_and_addresses) {
    std::string name;
    BOOST_TEST(mailbox_address("\"Jane Doe\" <Jane@Example.ORG>", &name) == "jane@example.org");
    BOOST_TEST(name == "Jane Doe");
    BOOST_TEST(mailbox_address("bob@example.com") == "bob@example.com");
    BOOST_TEST(mailbox_address("no address here").empty());
    BOOST_TEST(normalize_email("a@b").empty());
    BOOST_TEST(to_lower("AbC") == "abc");
}

BOOST_AUTO_TEST_CASE(iso_dates_parse_to_epoch_ms) {
    BOOST_TEST(parse_iso8601_ms("1970-01-01T00:00:00Z").value_or(-1) == 0);
    BOOST_TEST(parse_iso8601_ms("2020-01-01 12:00:00").value_or(-1) == 1577880000000LL);
    BOOST_TEST(parse_iso8601_ms("2020-01-01T13:00:00.250+01:00").value_or(-1) == 1577880000250LL);
    BOOST_TEST(!parse_iso8601_ms("yesterday"));
}

BOOST_AUTO_TEST_CASE(invalid_utf8_is_replaced_and_nul_dropped) {
    BOOST_TEST(make_valid_utf8("h\xc3\xa9llo") == "h\xc3\xa9llo");
    BOOST_TEST(make_valid_utf8("a\xff"
                               "b") ==
               "a\xef\xbf\xbd"
               "b");
    BOOST_TEST(make_valid_utf8("\xc3") == "\xef\xbf\xbd");
    BOOST_TEST(make_valid_utf8("\xed\xa0\x80") == "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
    BOOST_TEST(make_valid_utf8(std::string("a\0b", 3)) == "ab");
    BOOST_TEST(is_ascii("plain text"));
    BOOST_TEST(!is_ascii("caf\xc3\xa9"));
}

BOOST_AUTO_TEST_CASE(charset_labels_and_windows_1252) {
    BOOST_TEST(charset_label(" \"ISO-8859-1\" ") == "iso-8859-1");
    BOOST_TEST(charset_label("UTF-8") == "utf-8");
    bool unsupported = true;
    // 0x80 is the euro sign in Windows-1252; a text with 0x81, undefined there, is read as
    // ISO-8859-1 whole.
    BOOST_TEST(windows_1252_to_utf8("\x80", unsupported).value_or("?") == "\xe2\x82\xac");
    BOOST_TEST(windows_1252_to_utf8("\x80\x81", unsupported).value_or("?") == "\xc2\x80\xc2\x81");
    BOOST_TEST(!unsupported);
    BOOST_TEST(!iconv_to_utf8("x", "NO-SUCH-CHARSET", unsupported).has_value());
    BOOST_TEST(unsupported);
}

BOOST_AUTO_TEST_CASE(json_objects_skip_empty_members) {
    BOOST_TEST(json_object({{"a", "1"}, {"b", ""}, {"c", "say \"hi\""}}) ==
               R"({"a":"1","c":"say \"hi\""})");
    BOOST_TEST(json_object({{"a", ""}}).empty());
}

BOOST_AUTO_TEST_CASE(multipart_delimiters_as_rfc_2046_reads_them) {
    const std::string type = "multipart/form-data; boundary=b";
    FormError error;
    // Preamble and epilogue ignored, LF-only line ends, an empty part, base64 content, and a
    // line that starts with the boundary but is no delimiter.
    auto parts = parse_multipart(
        type,
        "preamble\n--b\nContent-Disposition: form-data; name=\"m\"\n\nBonjour\n--bx\n\n"
        "--b\r\nContent-Disposition: form-data; name=\"e\"\r\n\r\n\r\n"
        "--b\r\nContent-Disposition: form-data; name=\"c\"\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\nQm9uam91cg==\r\n--b--\r\nepilogue",
        error);
    BOOST_REQUIRE_MESSAGE(parts, error.message);
    BOOST_REQUIRE_EQUAL(parts->size(), 3u);
    BOOST_TEST((*parts)[0].content == "Bonjour\n--bx\n");
    BOOST_TEST((*parts)[1].content == "");
    BOOST_TEST((*parts)[2].content == "Bonjour");

    BOOST_TEST(!parse_multipart(type, "--b\r\n\r\nBonjour\r\n", error));
    BOOST_TEST(error.code == "truncated_multipart");
    BOOST_TEST(!parse_multipart(type, "--b\r\n\r\nBonjour\r\n--b\r\n\r\nBon", error));
    BOOST_TEST(error.code == "truncated_multipart");

    std::string many;
    for (std::size_t i = 0; i <= kMaxFormParts; ++i) many += "--b\r\n\r\nx\r\n";
    BOOST_TEST(!parse_multipart(type, many + "--b--\r\n", error));
    BOOST_TEST(error.code == "too_many_parts");
    BOOST_TEST(error.message.find(std::to_string(kMaxFormParts)) != std::string::npos);
}

BOOST_AUTO_TEST_CASE(multipart_text_parts_are_converted_from_their_charset) {
    const std::string type = "multipart/form-data; boundary=b";
    const auto part = [](const std::string& charset, const std::string& content) {
        return "--b\r\nContent-Disposition: form-data; name=\"m\"\r\nContent-Type: text/plain; "
               "charset=" +
               charset + "\r\n\r\n" + content + "\r\n--b--\r\n";
    };
    FormError error;
    auto parts = parse_multipart(type, part("windows-1252", "20 \x80 l\x92\xe9t\xe9"), error);
    BOOST_REQUIRE(parts);
    BOOST_TEST((*parts)[0].content == "20 \xe2\x82\xac l\xe2\x80\x99\xc3\xa9t\xc3\xa9");
    BOOST_TEST((*parts)[0].charset == "windows-1252");
    BOOST_TEST(!parse_multipart(type, part("x-klingon", "abc"), error));
    BOOST_TEST(error.code == "unsupported_charset");
    BOOST_TEST(error.field == "m");
    BOOST_TEST(!parse_multipart(type, part("utf-8", "caf\xe9"), error));
    BOOST_TEST(error.code == "invalid_encoding");
}

BOOST_AUTO_TEST_CASE(urlencoded_bodies_are_bounded_and_converted) {
    FormError error;
    auto pairs = read_urlencoded("a=caf%E9&&b=cr%E8me", "iso-8859-1", error);
    BOOST_REQUIRE(pairs);
    BOOST_TEST(form_value(*pairs, "a").value_or("") == "caf\xc3\xa9");
    BOOST_TEST(form_value(*pairs, "b").value_or("") == "cr\xc3\xa8me");
    BOOST_TEST(content_type_charset("application/x-www-form-urlencoded; charset=\"ISO-8859-1\"") ==
               "iso-8859-1");
    BOOST_TEST(!read_urlencoded("a=1", "x-klingon", error));
    BOOST_TEST(error.code == "unsupported_charset");
    std::string many;
    for (std::size_t i = 0; i <= kMaxFormParts; ++i) many += "a=1&&";
    BOOST_TEST(!read_urlencoded(many, "", error));
    BOOST_TEST(error.code == "too_many_parts");
    many.resize(many.size() - 5);
    BOOST_TEST(read_urlencoded(many, "", error).has_value());
}

BOOST_AUTO_TEST_SUITE_END()
