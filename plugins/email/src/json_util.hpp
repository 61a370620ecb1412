#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "problems.hpp"

namespace memolib::plugins::email {

// Parses `text` into `document` iteratively (no recursion, whatever the nesting depth).
// Returns false and sets `error` ("offset 12: Missing a comma…") when it is not JSON.
bool parse_json(std::string_view text, rapidjson::Document& document, std::string& error);

// Reads members of JSON objects with their types checked, reporting a wrong type as an
// `invalid_type` problem on the member's path ("Attachments[0].Name").
class JsonReader {
public:
    explicit JsonReader(Problems& problems) : problems_(problems) {}

    // The member's text; nullopt when absent or null (and, with a problem, of another type).
    std::optional<std::string> string(const rapidjson::Value& object, const char* key,
                                      const std::string& path);
    // The member when it is an object; nullptr when absent or null (or, with a problem, not an
    // object).
    const rapidjson::Value* object(const rapidjson::Value& object, const char* key,
                                   const std::string& path);
    // The member when it is an array; same rules.
    const rapidjson::Value* array(const rapidjson::Value& object, const char* key,
                                  const std::string& path);
    // The member as a non-negative integer (a number, or a string of digits); same rules.
    std::optional<std::int64_t> count(const rapidjson::Value& object, const char* key,
                                      const std::string& path);

    static std::string join(const std::string& path, std::string_view key);
    static std::string index(const std::string& path, std::size_t i);

private:
    const rapidjson::Value* member(const rapidjson::Value& object, const char* key);
    void wrong_type(const std::string& path, std::string_view expected,
                    const rapidjson::Value& got);

    Problems& problems_;
};

}  // namespace memolib::plugins::email
