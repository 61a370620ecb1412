#include "memolib/plugins/common/twilio.hpp"

#include <algorithm>

#include "memolib/plugins/common/crypto.hpp"

namespace memolib::plugins::common {

std::string twilio_signature(std::string_view url, const FormPairs& params,
                             std::string_view auth_token) {
    FormPairs sorted = params;
    // Stable, so repeated names keep the order the client sent them in.
    std::stable_sort(sorted.begin(), sorted.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    std::string data(url);
    for (const auto& [name, value] : sorted) {
        data += name;
        data += value;
    }
    return base64_encode(hmac_sha1(auth_token, data));
}

void answer_twilio(const sdk::Outcome& outcome, const sdk::Host& host) {
    static constexpr std::string_view kEmptyTwiml =
        R"(<?xml version="1.0" encoding="UTF-8"?><Response/>)";
    if (outcome.http_status() < 200 || outcome.http_status() > 299) return;
    host.respond(200, "text/xml", kEmptyTwiml);
}

}  // namespace memolib::plugins::common
