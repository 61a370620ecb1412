#pragma once

#include <string>

namespace memolib::core {

struct RedisAddress {
    std::string host = "127.0.0.1";
    int port = 6379;
    int db = 0;
};

/// "redis://host:port/db"; the parts left out keep their defaults.
RedisAddress parse_redis_url(const std::string& url);

}  // namespace memolib::core
