#include "util/redis_url.hpp"

#include <cstdlib>

namespace memolib::core {

RedisAddress parse_redis_url(const std::string& url) {
    RedisAddress a;
    std::string rest = url.rfind("redis://", 0) == 0 ? url.substr(8) : url;
    if (std::size_t slash = rest.find('/'); slash != std::string::npos) {
        a.db = std::atoi(rest.c_str() + slash + 1);
        rest.resize(slash);
    }
    if (std::size_t colon = rest.rfind(':'); colon != std::string::npos) {
        a.port = std::atoi(rest.c_str() + colon + 1);
        rest.resize(colon);
    }
    if (!rest.empty()) a.host = rest;
    return a;
}

}  // namespace memolib::core
