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

bool FormBody::is_converted(std::string_view name) const {
    for (const std::string& field : converted) {
        if (field == name) return true;
    }
    return false;
}

std::optional<FormBody> read_form(bool multipart, std::string_view content_type,
                                  std::string_view body, Problems& problems) {
    FormBody form;
    common::FormError error;
    if (!multipart) {
        const std::string charset = common::content_type_charset(content_type);
        auto fields = common::read_urlencoded(body, charset, error);
        if (!fields) {
            problems.add(error.field, error.code, error.message);
            return std::nullopt;
        }
        form.fields = std::move(*fields);
        return form;
    }
    auto parts = common::parse_multipart(content_type, body, error);
    if (!parts) {
        problems.add(error.field, error.code, error.message);
        return std::nullopt;
    }
    for (common::FormPart& part : *parts) {
        if (part.filename) {
            form.files.push_back(std::move(part));
        } else {
            if (!part.charset.empty()) form.converted.push_back(part.name);
            form.fields.emplace_back(std::move(part.name), std::move(part.content));
        }
    }
    return form;
}

}  // namespace memolib::plugins::email
