#pragma once

#include <string>
#include <string_view>

// Turning the bytes of an e-mail field into the UTF-8 text the host stores.
namespace memolib::plugins::email {

// Decodes `bytes` written in `charset` (a MIME charset name, any case, possibly quoted; empty
// when the sender declared none) into valid UTF-8 without NUL, never failing:
// - no charset or us-ascii: kept when it is UTF-8, else read as Windows-1252 (what unlabeled
//   8-bit mail almost always is);
// - utf-8: invalid sequences become U+FFFD;
// - iso-8859-1 and windows-1252: read as Windows-1252, as the WHATWG encoding standard does,
//   since mailers label CP1252 text (curly quotes, the euro sign) as Latin-1;
// - anything else through iconv (g_convert); an unknown charset or a conversion error falls
//   back to UTF-8 when the bytes are UTF-8, else to Windows-1252.
std::string to_utf8(std::string_view bytes, std::string_view charset);

}  // namespace memolib::plugins::email
