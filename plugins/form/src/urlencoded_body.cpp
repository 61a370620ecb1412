#include <optional>
#include <string>
#include <utility>

#include "form_fields.hpp"
#include "memolib/plugins/common/form_data.hpp"

namespace memolib::plugins::form {

void decode_urlencoded(std::string_view content_type, std::string_view body, RawForm& form) {
    common::FormError error;
    const std::optional<common::FormPairs> pairs =
        common::read_urlencoded(body, common::content_type_charset(content_type), error);
    if (!pairs) {
        form.reject_body(std::move(error.field), std::move(error.code), std::move(error.message));
        return;
    }
    for (const auto& [name, value] : *pairs) form.set(name, value);
}

}  // namespace memolib::plugins::form
