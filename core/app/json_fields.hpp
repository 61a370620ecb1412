#pragma once

#include <string>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "pipeline/exchange.hpp"

namespace memolib::core {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

/// `"key": "value"`.
inline void put(JsonWriter& w, const char* key, const std::string& value) {
    w.Key(key);
    w.String(value.c_str(), static_cast<rapidjson::SizeType>(value.size()));
}

/// `"key": "value"`, or `"key": null` for an empty value (a SQL NULL, a field not given).
inline void put_opt(JsonWriter& w, const char* key, const std::string& value) {
    w.Key(key);
    if (value.empty())
        w.Null();
    else
        w.String(value.c_str(), static_cast<rapidjson::SizeType>(value.size()));
}

/// Answers `ex` with `status` and the JSON in `buf`.
inline void answer_json(Exchange& ex, int status, const rapidjson::StringBuffer& buf) {
    ex.status = status;
    ex.response_content_type = "application/json";
    ex.response_body.assign(buf.GetString(), buf.GetSize());
}

}  // namespace memolib::core
