#include "http/compression.hpp"

#include <zlib.h>

#include <boost/test/unit_test.hpp>

using namespace memolib::core;

namespace {

std::string gunzip(const std::string& data) {
    z_stream zs{};
    inflateInit2(&zs, 15 + 16);
    std::string out(1 << 20, '\0');
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    zs.avail_in = static_cast<uInt>(data.size());
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    inflate(&zs, Z_FINISH);
    out.resize(zs.total_out);
    inflateEnd(&zs);
    return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(compression)

BOOST_AUTO_TEST_CASE(accept_encoding_is_read_with_q_values) {
    BOOST_TEST(accepts_gzip("gzip, deflate, br"));
    BOOST_TEST(accepts_gzip("deflate;q=0.5, GZIP;q=0.8"));
    BOOST_TEST(accepts_gzip("*"));
    BOOST_TEST(!accepts_gzip("gzip;q=0"));
    BOOST_TEST(!accepts_gzip("*, gzip;q=0"));
    BOOST_TEST(!accepts_gzip("identity"));
    BOOST_TEST(!accepts_gzip(""));
}

BOOST_AUTO_TEST_CASE(large_compressible_bodies_are_gzipped_losslessly) {
    std::string body;
    for (int i = 0; i < 200; ++i)
        body += R"({"id":)" + std::to_string(i) + R"(,"status":"stored"},)";
    auto gz = gzip_if_worth_it(body, {});
    BOOST_REQUIRE(gz);
    BOOST_TEST(gz->size() < body.size() / 2);
    BOOST_TEST(gunzip(*gz) == body);
}

BOOST_AUTO_TEST_CASE(small_or_incompressible_bodies_are_left_alone) {
    BOOST_TEST(!gzip_if_worth_it(std::string(1023, 'a'), {}));
    std::string noise;
    unsigned x = 12345;
    for (int i = 0; i < 4096; ++i) {
        x = x * 1103515245u + 12345u;
        noise += static_cast<char>(x >> 24);
    }
    BOOST_TEST(!gzip_if_worth_it(noise, {}));
    CompressionSettings lax;
    lax.min_bytes = 10;
    BOOST_TEST(gzip_if_worth_it(std::string(100, 'a'), lax).has_value());
}

BOOST_AUTO_TEST_SUITE_END()
