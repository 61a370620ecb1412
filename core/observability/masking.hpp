#pragma once

#include <string>
#include <string_view>

namespace memolib::core {

/// Masks a sender for logs and the read API: "jane.doe@example.org" → "j***@e***.org",
/// "+33612345678" → "+33*******78" (the country code as libphonenumber reads it, and the last
/// two digits). Anything else keeps its first and last character.
std::string mask_sender(std::string_view sender);

}  // namespace memolib::core
