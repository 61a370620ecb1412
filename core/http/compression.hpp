#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace memolib::core {

struct CompressionSettings {
    std::size_t min_bytes = 1024;
    int level = 6;
    /// Compression is dropped when it saves less than this share of the body.
    double min_savings = 0.20;
};

/// True when an Accept-Encoding value allows gzip (an explicit "gzip;q=0" refuses it).
bool accepts_gzip(std::string_view accept_encoding);

/// The gzip form of `body` when it is at least `min_bytes` long and saves at least
/// `min_savings`; nullopt when the body should be sent as it is.
std::optional<std::string> gzip_if_worth_it(std::string_view body,
                                            const CompressionSettings& settings);

}  // namespace memolib::core
