#include "json_util.hpp"

#include <rapidjson/error/en.h>

namespace memolib::plugins::email {
namespace {

const char* type_name(const rapidjson::Value& v) {
    if (v.IsObject()) return "an object";
    if (v.IsArray()) return "an array";
    if (v.IsString()) return "a string";
    if (v.IsBool()) return "a boolean";
    if (v.IsNumber()) return "a number";
    return "null";
}

}  // namespace

bool parse_json(std::string_view text, rapidjson::Document& document, std::string& error) {
    document.Parse<rapidjson::kParseIterativeFlag>(text.data(), text.size());
    if (!document.HasParseError()) return true;
    error = "malformed JSON at offset " + std::to_string(document.GetErrorOffset()) + ": " +
            rapidjson::GetParseError_En(document.GetParseError());
    return false;
}

std::string JsonReader::join(const std::string& path, std::string_view key) {
    return path.empty() ? std::string(key) : path + "." + std::string(key);
}

std::string JsonReader::index(const std::string& path, std::size_t i) {
    return path + "[" + std::to_string(i) + "]";
}

const rapidjson::Value* JsonReader::member(const rapidjson::Value& object, const char* key) {
    if (!object.IsObject()) return nullptr;
    const auto it = object.FindMember(key);
    if (it == object.MemberEnd() || it->value.IsNull()) return nullptr;
    return &it->value;
}

void JsonReader::wrong_type(const std::string& path, std::string_view expected,
                            const rapidjson::Value& got) {
    problems_.add(path, "invalid_type",
                  "expected " + std::string(expected) + ", got " + type_name(got));
}

std::optional<std::string> JsonReader::string(const rapidjson::Value& object, const char* key,
                                              const std::string& path) {
    const rapidjson::Value* v = member(object, key);
    if (v == nullptr) return std::nullopt;
    if (!v->IsString()) {
        wrong_type(join(path, key), "a string", *v);
        return std::nullopt;
    }
    return std::string(v->GetString(), v->GetStringLength());
}

const rapidjson::Value* JsonReader::object(const rapidjson::Value& object, const char* key,
                                           const std::string& path) {
    const rapidjson::Value* v = member(object, key);
    if (v == nullptr) return nullptr;
    if (!v->IsObject()) {
        wrong_type(join(path, key), "an object", *v);
        return nullptr;
    }
    return v;
}

const rapidjson::Value* JsonReader::array(const rapidjson::Value& object, const char* key,
                                          const std::string& path) {
    const rapidjson::Value* v = member(object, key);
    if (v == nullptr) return nullptr;
    if (!v->IsArray()) {
        wrong_type(join(path, key), "an array", *v);
        return nullptr;
    }
    return v;
}

std::optional<std::int64_t> JsonReader::count(const rapidjson::Value& object, const char* key,
                                              const std::string& path) {
    const rapidjson::Value* v = member(object, key);
    if (v == nullptr) return std::nullopt;
    if (v->IsInt64() && v->GetInt64() >= 0) return v->GetInt64();
    if (v->IsString()) {
        const std::string_view s(v->GetString(), v->GetStringLength());
        std::int64_t n = 0;
        bool ok = !s.empty() && s.size() <= 18;
        for (char c : s) {
            if (c < '0' || c > '9') ok = false;
            if (ok) n = n * 10 + (c - '0');
        }
        if (ok) return n;
    }
    problems_.add(join(path, key), "invalid_type", "expected a non-negative integer");
    return std::nullopt;
}

}  // namespace memolib::plugins::email
