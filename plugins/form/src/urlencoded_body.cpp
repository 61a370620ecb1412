#include <string>
#include <utility>

#include "form_fields.hpp"
#include "memolib/plugins/common/form_data.hpp"

namespace memolib::plugins::form {

void decode_urlencoded(std::string_view body, RawForm& form) {
    for (const auto& [name, value] : common::parse_urlencoded(body)) form.set(name, value);
}

}  // namespace memolib::plugins::form
