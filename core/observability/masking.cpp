#include "observability/masking.hpp"

#include <set>

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

// Country calling codes are prefix-free (ITU-T E.164), so the first 1 to 3 digits that form
// one are it: the table lookup libphonenumber itself does, without its regular expressions.
std::size_t country_code_length(std::string_view digits) {
    static const std::set<int> kCodes = [] {
        std::set<int> codes;
        i18n::phonenumbers::PhoneNumberUtil::GetInstance()->GetSupportedCallingCodes(&codes);
        return codes;
    }();
    int code = 0;
    for (std::size_t i = 0; i < 3 && i < digits.size(); ++i) {
        if (digits[i] < '0' || digits[i] > '9') return 0;
        code = code * 10 + (digits[i] - '0');
        if (kCodes.count(code) > 0) return i + 1;
    }
    return 0;
}

std::string mask_phone(std::string_view phone) {
    // The country calling code (+1, +33, +352) and the last two digits are enough to tell
    // numbers apart in logs; the rest is the person's.
    const std::size_t keep_head = 1 + country_code_length(phone.substr(1));
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
