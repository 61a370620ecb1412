#pragma once

#include <string>
#include <string_view>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace memolib::plugins::whatsapp {

// Writes the metadata_json object of one message, member after member. common::json_object
// writes flat string members only; WhatsApp metadata also carries coordinates, flags and the
// cards of shared contacts, hence this small writer over RapidJSON's.
class MetadataWriter {
public:
    // Opens the top-level object.
    MetadataWriter();

    // A string member; skipped when `value` is empty, as common::json_object does.
    void string(std::string_view key, std::string_view value);
    // A number member, written in the shortest form that reads back the same double; `value`
    // must be finite (JSON has no NaN).
    void number(std::string_view key, double value);
    // An integer member.
    void integer(std::string_view key, long long value);
    // A boolean member.
    void boolean(std::string_view key, bool value);

    // Opens an array member; close it with end_array().
    void start_array(std::string_view key);
    void end_array();
    // Opens an object inside an array; close it with end_object().
    void start_object();
    void end_object();
    // A string element of the array being written.
    void element(std::string_view value);

    // Closes the top-level object and returns the JSON text. Call once, last.
    std::string finish();

private:
    void key(std::string_view key);

    rapidjson::StringBuffer buffer_;
    rapidjson::Writer<rapidjson::StringBuffer> writer_;
};

// `value` in the shortest decimal form that reads back the same double ("37.44221496582").
std::string format_number(double value);

}  // namespace memolib::plugins::whatsapp
