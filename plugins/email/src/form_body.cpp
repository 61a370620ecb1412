#include "form_body.hpp"

#include <utility>

#include "memolib/sdk/adapter.hpp"

namespace memolib::plugins::email {

std::optional<std::string> FormBody::value(std::string_view name) const {
    return common::form_value(fields, name);
}

std::optional<std::string> FormBody::header_value(std::string_view name) const {
    for (const auto& [key, value] : fields) {
        if (sdk::iequals(key, name)) return value;
    }
    return std::nullopt;
}

std::optional<FormBody> read_form(bool multipart, std::string_view content_type,
                                  std::string_view body, Problems& problems) {
    FormBody form;
    if (!multipart) {
        form.fields = common::parse_urlencoded(body);
        return form;
    }
    std::string error;
    auto parts = common::parse_multipart(content_type, body, error);
    if (!parts) {
        problems.add("body", "malformed_multipart", error);
        return std::nullopt;
    }
    for (common::FormPart& part : *parts) {
        if (part.filename) {
            form.files.push_back(std::move(part));
        } else {
            form.fields.emplace_back(std::move(part.name), std::move(part.content));
        }
    }
    return form;
}

}  // namespace memolib::plugins::email
