#include "observability/masking.hpp"

#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>

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
    // The country calling code (libphonenumber knows its length: +1, +33, +352) and the last
    // two digits are enough to tell numbers apart in logs; the rest is the person's.
    const auto& util = *i18n::phonenumbers::PhoneNumberUtil::GetInstance();
    i18n::phonenumbers::PhoneNumber number;
    std::size_t keep_head = 1;
    if (phone.size() <= 20 && util.Parse(std::string(phone), "ZZ", &number) ==
                                  i18n::phonenumbers::PhoneNumberUtil::NO_PARSING_ERROR) {
        keep_head = 1 + std::to_string(number.country_code()).size();
    }
    const std::size_t keep_tail = phone.size() > keep_head + 4 ? 2 : 0;
    std::string out(phone);
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
