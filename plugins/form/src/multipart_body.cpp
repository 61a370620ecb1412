#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "form_fields.hpp"
#include "memolib/plugins/common/form_data.hpp"
#include "memolib/plugins/common/text.hpp"

namespace memolib::plugins::form {
namespace {

// GMime counts bytes in a guint, headers included; 1 MiB of margin covers the Content-Type line.
constexpr std::size_t kMaxMultipartBytes = std::numeric_limits<unsigned int>::max() - (1u << 20);

void read_part(common::FormPart& part, RawForm& form) {
    if (!part.filename) {
        form.set(part.name, part.content);
        return;
    }
    // Browsers send an empty part named "" for a file input left blank.
    if (part.filename->empty() && part.content.empty()) return;
    sdk::Attachment attachment;
    attachment.name = !part.filename->empty() ? *part.filename : part.name;
    attachment.content_type = std::move(part.content_type);
    attachment.size = static_cast<std::int64_t>(part.content.size());
    if (!common::is_valid_utf8(attachment.name)) {
        form.add_error(!part.name.empty() ? part.name : "attachment", "invalid_encoding",
                       "the file name is not valid UTF-8");
        return;
    }
    form.add_attachment(std::move(attachment));
}

}  // namespace

void decode_multipart(std::string_view content_type, std::string_view body, RawForm& form) {
    // These two refusals have codes of their own, so they are told apart before parsing.
    if (content_type.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos) {
        form.reject_body("invalid_format", "the content type holds a line break");
        return;
    }
    if (body.size() > kMaxMultipartBytes) {
        form.reject_body("too_long", "the body is too large to parse");
        return;
    }
    common::FormError error;
    std::optional<std::vector<common::FormPart>> parts =
        common::parse_multipart(content_type, body, error);
    if (!parts) {
        form.reject_body(std::move(error.field), std::move(error.code), std::move(error.message));
        return;
    }
    for (common::FormPart& part : *parts) read_part(part, form);
}

}  // namespace memolib::plugins::form
