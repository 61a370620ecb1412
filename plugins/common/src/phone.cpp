#include "memolib/plugins/common/phone.hpp"

#include <set>

#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>

namespace memolib::plugins::common {

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

std::optional<std::string> to_e164(std::string_view number, std::string_view region) {
    // libphonenumber reads anything up to 250 characters; longer is not a phone number.
    if (number.empty() || number.size() > 64) return std::nullopt;
    const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
    PhoneNumber parsed;
    if (util.Parse(std::string(number), std::string(region), &parsed) !=
            PhoneNumberUtil::NO_PARSING_ERROR ||
        !util.IsValidNumber(parsed)) {
        return std::nullopt;
    }
    std::string out;
    util.Format(parsed, PhoneNumberUtil::E164, &out);
    return out;
}

bool is_known_region(std::string_view region) {
    std::set<std::string> regions;
    PhoneNumberUtil::GetInstance()->GetSupportedRegions(&regions);
    return regions.count(std::string(region)) > 0;
}

}  // namespace memolib::plugins::common
