#include <string>
#include <utility>

#include "json_util.hpp"
#include "providers.hpp"

namespace memolib::plugins::email {
namespace {

// The decoded size of base64 text, counted without decoding it.
std::int64_t base64_decoded_size(std::string_view text) {
    std::int64_t symbols = 0;
    for (char c : text) {
        const bool alphabet = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                              (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '-' ||
                              c == '_';
        if (alphabet) ++symbols;
    }
    return symbols * 3 / 4;
}

// `Headers`: [{"Name": …, "Value": …}].
HeaderList read_headers(const rapidjson::Value& root, JsonReader& json, Problems& problems) {
    HeaderList out;
    const rapidjson::Value* headers = json.array(root, "Headers", "");
    if (headers == nullptr) return out;
    for (rapidjson::SizeType i = 0; i < headers->Size(); ++i) {
        const std::string path = JsonReader::index("Headers", i);
        const rapidjson::Value& header = (*headers)[i];
        if (!header.IsObject()) {
            problems.add(path, "invalid_type", "expected an object");
            continue;
        }
        auto name = json.string(header, "Name", path);
        auto value = json.string(header, "Value", path);
        if (name) out.emplace_back(std::move(*name), value.value_or(""));
    }
    return out;
}

// `Attachments`: [{"Name", "ContentType", "ContentLength", "Content" (base64), "ContentID"}].
// Only the descriptor is kept: the bytes in Content are never stored.
void read_attachments(const rapidjson::Value& root, EmailFields& fields, JsonReader& json,
                      Problems& problems) {
    const rapidjson::Value* attachments = json.array(root, "Attachments", "");
    if (attachments == nullptr) return;
    for (rapidjson::SizeType i = 0; i < attachments->Size(); ++i) {
        const std::string path = JsonReader::index("Attachments", i);
        const rapidjson::Value& item = (*attachments)[i];
        if (!item.IsObject()) {
            problems.add(path, "invalid_type", "expected an object");
            continue;
        }
        sdk::Attachment attachment;
        attachment.name = json.string(item, "Name", path).value_or("");
        attachment.content_type = json.string(item, "ContentType", path).value_or("");
        if (auto length = json.count(item, "ContentLength", path)) {
            attachment.size = *length;
        } else if (auto content = json.string(item, "Content", path)) {
            attachment.size = base64_decoded_size(*content);
        }
        add_attachment(fields, std::move(attachment));
    }
}

}  // namespace

bool read_postmark(const rapidjson::Value& root, EmailFields& fields, Problems& problems) {
    if (!root.IsObject()) {
        problems.add("body", "invalid_type", "expected a JSON object");
        return false;
    }
    JsonReader json(problems);
    const auto text = [&](const char* key) { return json.string(root, key, "").value_or(""); };

    fields.from_field = "From";
    fields.from = text("From");
    fields.from_name = text("FromName");
    if (const rapidjson::Value* full = json.object(root, "FromFull", "")) {
        fields.from_address = json.string(*full, "Email", "FromFull").value_or("");
        if (auto name = json.string(*full, "Name", "FromFull"); name && !name->empty()) {
            fields.from_name = *name;
        }
        if (!fields.from_address.empty()) fields.from_field = "FromFull.Email";
    }
    fields.to = text("To");
    if (const rapidjson::Value* to = json.array(root, "ToFull", "")) {
        for (rapidjson::SizeType i = 0; i < to->Size(); ++i) {
            const std::string path = JsonReader::index("ToFull", i);
            if (!(*to)[i].IsObject()) {
                problems.add(path, "invalid_type", "expected an object");
                continue;
            }
            auto email = json.string((*to)[i], "Email", path);
            if (fields.to_address.empty() && email) fields.to_address = *email;
        }
    }
    fields.envelope_to = text("OriginalRecipient");
    fields.original_recipient = fields.envelope_to;
    fields.cc = text("Cc");
    fields.reply_to = text("ReplyTo");
    fields.subject = text("Subject");
    fields.provider_id = text("MessageID");
    fields.date = text("Date");
    fields.text = text("TextBody");
    fields.html = text("HtmlBody");
    fields.stripped_text = text("StrippedTextReply");
    fields.mailbox_hash = text("MailboxHash");
    fields.tag = text("Tag");

    const HeaderList headers = read_headers(root, json, problems);
    fields.message_id = find_header(headers, "Message-ID").value_or("");
    fields.in_reply_to = find_header(headers, "In-Reply-To").value_or("");
    fields.references = find_header(headers, "References").value_or("");
    fields.spam_score = find_header(headers, "X-Spam-Score").value_or("");
    read_attachments(root, fields, json, problems);
    return problems.empty();
}

}  // namespace memolib::plugins::email
