#pragma once

#include <optional>
#include <string>
#include <string_view>

/// Phone numbers through libphonenumber, shared by the in-tree channels.
namespace memolib::plugins::common {

/// The number in E.164 ("+33612345678") when libphonenumber finds it valid, reading national
/// numbers in `region` (ISO 3166 alpha-2, e.g. "FR"); nullopt otherwise.
std::optional<std::string> to_e164(std::string_view number, std::string_view region);

/// True when libphonenumber knows `region` (upper-case ISO 3166 alpha-2).
bool is_known_region(std::string_view region);

}  // namespace memolib::plugins::common
