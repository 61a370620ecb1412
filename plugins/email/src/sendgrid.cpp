#include <map>
#include <string>
#include <utility>

#include "charset.hpp"
#include "json_util.hpp"
#include "memolib/plugins/common/text.hpp"
#include "mime.hpp"
#include "providers.hpp"

namespace memolib::plugins::email {
namespace {

// Parses the JSON object in field `name` into `out`; false when the field is absent or (with a
// problem) not a JSON object.
bool read_json_object(const FormBody& form, const char* name, rapidjson::Document& out,
                      Problems& problems) {
    auto raw = form.value(name);
    if (!raw) return false;
    std::string error;
    if (!parse_json(*raw, out, error)) {
        problems.add(name, "malformed_json", error);
        return false;
    }
    if (!out.IsObject()) {
        problems.add(name, "invalid_type", "expected a JSON object");
        return false;
    }
    return true;
}

// `charsets`: the charset SendGrid left each text field in, e.g. {"text": "iso-8859-1"}.
std::map<std::string, std::string> read_charsets(const FormBody& form, Problems& problems) {
    std::map<std::string, std::string> out;
    rapidjson::Document document;
    if (!read_json_object(form, "charsets", document, problems)) return out;
    for (auto it = document.MemberBegin(); it != document.MemberEnd(); ++it) {
        const std::string key(it->name.GetString(), it->name.GetStringLength());
        if (!it->value.IsString()) {
            problems.add(JsonReader::join("charsets", key), "invalid_type", "expected a string");
            continue;
        }
        out[key] = std::string(it->value.GetString(), it->value.GetStringLength());
    }
    return out;
}

// `envelope`: {"from": "…", "to": ["…"]}, the SMTP envelope.
void read_envelope(const FormBody& form, EmailFields& fields, Problems& problems) {
    rapidjson::Document document;
    if (!read_json_object(form, "envelope", document, problems)) return;
    JsonReader json(problems);
    fields.envelope_from = json.string(document, "from", "envelope").value_or("");
    if (const rapidjson::Value* to = json.array(document, "to", "envelope")) {
        for (rapidjson::SizeType i = 0; i < to->Size(); ++i) {
            if (!(*to)[i].IsString()) {
                problems.add(JsonReader::index("envelope.to", i), "invalid_type",
                             "expected a string");
                continue;
            }
            if (fields.envelope_to.empty()) fields.envelope_to = (*to)[i].GetString();
        }
    }
}

// File parts attachment1…N, described with `attachment-info` ({"attachment1": {"filename",
// "name", "type", "content-id"}}) where the part itself says less.
void read_attachments(const FormBody& form, EmailFields& fields, Problems& problems) {
    rapidjson::Document info;
    const bool has_info = read_json_object(form, "attachment-info", info, problems);
    JsonReader json(problems);
    for (const common::FormPart& file : form.files) {
        sdk::Attachment attachment;
        attachment.name = file.filename.value_or("");
        attachment.content_type = file.content_type;
        attachment.size = static_cast<std::int64_t>(file.content.size());
        if (has_info && info.HasMember(file.name.c_str())) {
            const std::string path = JsonReader::join("attachment-info", file.name);
            if (const rapidjson::Value* about =
                    json.object(info, file.name.c_str(), "attachment-info")) {
                if (attachment.name.empty()) {
                    attachment.name = json.string(*about, "filename", path)
                                          .value_or(json.string(*about, "name", path).value_or(""));
                }
                if (auto type = json.string(*about, "type", path)) attachment.content_type = *type;
            }
        }
        if (attachment.name.empty()) attachment.name = file.name;
        add_attachment(fields, std::move(attachment));
    }
}

}  // namespace

bool read_sendgrid(const FormBody& form, EmailFields& fields, Problems& problems) {
    const std::map<std::string, std::string> charsets = read_charsets(form, problems);
    const auto text = [&](const char* name) {
        const auto it = charsets.find(name);
        // A part that declared its own charset was converted already.
        const bool listed = it != charsets.end() && !form.is_converted(name);
        return to_utf8(form.value(name).value_or(""), listed ? it->second : "");
    };
    if (auto raw = form.value("email")) {
        // "Send raw": the whole message is the source; the parsed fields beside it repeat it.
        fields.from_field = "email";
        if (!read_message(*raw, "email", fields, problems)) return false;
    } else {
        fields.from_field = "from";
        const HeaderList headers = read_header_block(form.value("headers").value_or(""));
        const auto header = [&](std::string_view name) {
            return find_header(headers, name).value_or(std::string());
        };
        fields.from = text("from");
        fields.to = text("to");
        fields.cc = text("cc");
        fields.subject = text("subject");
        fields.text = text("text");
        fields.html = text("html");
        if (common::trim(fields.from).empty()) fields.from = header("From");
        if (common::trim(fields.to).empty()) fields.to = header("To");
        if (common::trim(fields.subject).empty()) fields.subject = header("Subject");
        fields.reply_to = header("Reply-To");
        fields.message_id = header("Message-ID");
        fields.in_reply_to = header("In-Reply-To");
        fields.references = header("References");
        fields.date = header("Date");
        read_attachments(form, fields, problems);
    }
    std::string envelope_from = fields.envelope_from;
    read_envelope(form, fields, problems);
    if (fields.envelope_from.empty()) fields.envelope_from = std::move(envelope_from);
    fields.spam_score = form.value("spam_score").value_or("");
    return problems.empty();
}

}  // namespace memolib::plugins::email
