#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

/// Building the small JSON objects channels put in memolib_message_t::metadata_json.
namespace memolib::plugins::common {

/// A JSON object of string members, skipping empty values; "" when every value is empty.
/// Escaping is RapidJSON's.
std::string json_object(
    std::initializer_list<std::pair<std::string_view, std::string_view>> members);

}  // namespace memolib::plugins::common
