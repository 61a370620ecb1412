#include "phone_number.hpp"

namespace memolib::plugins::whatsapp {

std::optional<std::string> whatsapp_e164(std::string_view number) {
    if (!number.empty() && number.front() == '+') number.remove_prefix(1);
    if (number.size() < 6 || number.size() > 15 || number.front() == '0') return std::nullopt;
    for (const char c : number) {
        if (c < '0' || c > '9') return std::nullopt;
    }
    return "+" + std::string(number);
}

}  // namespace memolib::plugins::whatsapp
