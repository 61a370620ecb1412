#include "http/compression.hpp"

#include <zlib.h>

#include <cstdlib>

#include <boost/beast/core/string.hpp>

#include "util/encoding.hpp"

namespace memolib::core {

bool accepts_gzip(std::string_view header) {
    namespace beast = boost::beast;
    beast::string_view accept_encoding(header.data(), header.size());
    bool star = false;
    bool gzip = false;
    bool gzip_refused = false;
    while (!accept_encoding.empty()) {
        const std::size_t comma = accept_encoding.find(',');
        beast::string_view item = accept_encoding.substr(0, comma);
        accept_encoding = comma == beast::string_view::npos ? beast::string_view{}
                                                            : accept_encoding.substr(comma + 1);
        beast::string_view coding = trim_ows(item.substr(0, item.find(';')));
        bool zero = false;
        if (std::size_t q = item.find("q="); q != beast::string_view::npos) {
            std::string value(trim_ows(item.substr(q + 2)));
            zero = std::strtod(value.c_str(), nullptr) <= 0.0;
        }
        if (beast::iequals(coding, "gzip") || beast::iequals(coding, "x-gzip")) {
            if (zero)
                gzip_refused = true;
            else
                gzip = true;
        } else if (coding == "*" && !zero) {
            star = true;
        }
    }
    return gzip || (star && !gzip_refused);
}

std::optional<std::string> gzip_if_worth_it(std::string_view body,
                                            const CompressionSettings& settings) {
    if (body.size() < settings.min_bytes || body.empty()) return std::nullopt;
    z_stream zs{};
    // windowBits 15 + 16 asks zlib for a gzip wrapper rather than a raw zlib stream.
    if (deflateInit2(&zs, settings.level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        return std::nullopt;
    }
    std::string out(deflateBound(&zs, static_cast<uLong>(body.size())), '\0');
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(body.data()));
    zs.avail_in = static_cast<uInt>(body.size());
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    const int rc = deflate(&zs, Z_FINISH);
    out.resize(zs.total_out);
    deflateEnd(&zs);
    if (rc != Z_STREAM_END) return std::nullopt;
    const double savings = 1.0 - static_cast<double>(out.size()) / static_cast<double>(body.size());
    if (savings < settings.min_savings) return std::nullopt;
    return out;
}

}  // namespace memolib::core
