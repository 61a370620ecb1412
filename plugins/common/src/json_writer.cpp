#include "memolib/plugins/common/json_writer.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace memolib::plugins::common {

std::string json_object(
    std::initializer_list<std::pair<std::string_view, std::string_view>> members) {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
    writer.StartObject();
    bool any = false;
    for (const auto& [key, value] : members) {
        if (value.empty()) continue;
        any = true;
        writer.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
        writer.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
    }
    writer.EndObject();
    return any ? std::string(buffer.GetString(), buffer.GetSize()) : std::string();
}

}  // namespace memolib::plugins::common
