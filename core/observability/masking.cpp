#include "observability/masking.hpp"

namespace memolib::core {

namespace {

std::string mask_email(std::string_view address, std::size_t at) {
    std::string_view local = address.substr(0, at);
    std::string_view domain = address.substr(at + 1);
    std::size_t dot = domain.rfind('.');
    std::string out;
    out += local.empty() ? '*' : local.front();
    out += "***@";
    if (dot == std::string_view::npos || dot == 0) {
        out += "***";
    } else {
        out += domain.front();
        out += "***";
        out += domain.substr(dot);
    }
    return out;
}

std::string mask_phone(std::string_view phone) {
    // Country code and the last two digits are enough to tell numbers apart in logs.
    std::string out(phone);
    std::size_t keep_head = phone.size() > 8 ? 3 : 1;
    std::size_t keep_tail = phone.size() > 6 ? 2 : 0;
    for (std::size_t i = keep_head; i + keep_tail < out.size(); ++i) out[i] = '*';
    return out;
}

}  // namespace

std::string mask_sender(std::string_view sender) {
    if (sender.empty()) return {};
    std::size_t at = sender.find('@');
    if (at != std::string_view::npos) return mask_email(sender, at);
    if (sender.front() == '+') return mask_phone(sender);
    if (sender.size() <= 2) return std::string(sender.size(), '*');
    return std::string(1, sender.front()) + "***" + std::string(1, sender.back());
}

}  // namespace memolib::core
