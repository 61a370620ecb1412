#include <string>
#include <utility>

#include "charset.hpp"
#include "json_util.hpp"
#include "mailgun_tokens.hpp"
#include "memolib/plugins/common/crypto.hpp"
#include "memolib/plugins/common/text.hpp"
#include "mime.hpp"
#include "providers.hpp"

namespace memolib::plugins::email {
namespace {

// `message-headers`: a JSON list of [name, value] pairs, in the message's order.
bool read_header_pairs(const std::string& text, HeaderList& out, Problems& problems) {
    rapidjson::Document document;
    std::string error;
    if (!parse_json(text, document, error)) {
        problems.add("message-headers", "malformed_json", error);
        return false;
    }
    if (!document.IsArray()) {
        problems.add("message-headers", "invalid_type", "expected a JSON list of [name, value]");
        return false;
    }
    for (rapidjson::SizeType i = 0; i < document.Size(); ++i) {
        const rapidjson::Value& pair = document[i];
        if (!pair.IsArray() || pair.Size() != 2 || !pair[0].IsString() || !pair[1].IsString()) {
            problems.add("message-headers[" + std::to_string(i) + "]", "invalid_type",
                         "expected a [name, value] pair of strings");
            return false;
        }
        out.emplace_back(std::string(pair[0].GetString(), pair[0].GetStringLength()),
                         std::string(pair[1].GetString(), pair[1].GetStringLength()));
    }
    return true;
}

// store(notify=…) posts `attachments` as a JSON list of {url, content-type, name, size}: the
// files stay at Mailgun, so the URL is the descriptor.
void read_stored_attachments(const std::string& text, EmailFields& fields, Problems& problems) {
    rapidjson::Document document;
    std::string error;
    if (!parse_json(text, document, error)) {
        problems.add("attachments", "malformed_json", error);
        return;
    }
    if (!document.IsArray()) {
        problems.add("attachments", "invalid_type", "expected a JSON list of attachments");
        return;
    }
    JsonReader json(problems);
    for (rapidjson::SizeType i = 0; i < document.Size(); ++i) {
        const std::string path = JsonReader::index("attachments", i);
        if (!document[i].IsObject()) {
            problems.add(path, "invalid_type", "expected an object");
            continue;
        }
        sdk::Attachment attachment;
        attachment.url = json.string(document[i], "url", path).value_or("");
        attachment.name = json.string(document[i], "name", path).value_or("");
        attachment.content_type = json.string(document[i], "content-type", path).value_or("");
        attachment.size = json.count(document[i], "size", path).value_or(-1);
        add_attachment(fields, std::move(attachment));
    }
}

bool all_digits(std::string_view s) {
    if (s.empty() || s.size() > 12) return false;
    for (char c : s) {
        if (c < '0' || c > '9') return false;
    }
    return true;
}

}  // namespace

bool read_mailgun(const FormBody& form, EmailFields& fields, Problems& problems) {
    HeaderList headers;
    if (auto raw = form.value("message-headers")) read_header_pairs(*raw, headers, problems);
    // Mailgun posts its own lower-case fields, then every header as a field of its own name,
    // then all headers again in message-headers: the first found wins.
    const auto header = [&](std::string_view name) -> std::string {
        if (auto v = form.header_value(name)) return *v;
        return find_header(headers, name).value_or(std::string());
    };
    const auto field = [&](const char* name) { return form.value(name).value_or(std::string()); };

    fields.from_field = "from";
    fields.from = header("from");
    fields.envelope_from = field("sender");
    fields.to = header("To");
    fields.envelope_to = field("recipient");
    fields.cc = header("Cc");
    fields.reply_to = header("Reply-To");
    fields.subject = header("subject");
    fields.message_id = header("Message-Id");
    fields.in_reply_to = header("In-Reply-To");
    fields.references = header("References");
    fields.date = header("Date");
    // Mailgun re-encodes every text field in UTF-8.
    fields.text = to_utf8(field("body-plain"), "utf-8");
    fields.html = to_utf8(field("body-html"), "utf-8");
    fields.stripped_text = to_utf8(field("stripped-text"), "utf-8");
    fields.spam_score = header("X-Mailgun-Sscore");
    const std::string timestamp(common::trim(field("timestamp")));
    if (all_digits(timestamp)) fields.fallback_timestamp_ms = std::stoll(timestamp) * 1000;

    for (const common::FormPart& file : form.files) {
        sdk::Attachment attachment;
        attachment.name = file.filename && !file.filename->empty() ? *file.filename : file.name;
        attachment.content_type = file.content_type;
        attachment.size = static_cast<std::int64_t>(file.content.size());
        add_attachment(fields, std::move(attachment));
    }
    if (auto stored = form.value("attachments")) read_stored_attachments(*stored, fields, problems);

    // A route whose URL ends in "mime" posts the whole message as body-mime: its bodies,
    // attachments and headers fill what the fields left empty.
    if (auto mime = form.value("body-mime")) {
        EmailFields message;
        if (read_message(*mime, "body-mime", message, problems)) {
            const auto fill = [](std::string& to, std::string& from) {
                if (common::trim(to).empty()) to = std::move(from);
            };
            fill(fields.from, message.from);
            fill(fields.envelope_from, message.envelope_from);
            fill(fields.to, message.to);
            fill(fields.cc, message.cc);
            fill(fields.reply_to, message.reply_to);
            fill(fields.subject, message.subject);
            fill(fields.message_id, message.message_id);
            fill(fields.in_reply_to, message.in_reply_to);
            fill(fields.references, message.references);
            fill(fields.date, message.date);
            fill(fields.text, message.text);
            fill(fields.html, message.html);
            for (sdk::Attachment& a : message.attachments) add_attachment(fields, std::move(a));
            fields.attachments_omitted += message.attachments_omitted;
        }
    }
    return problems.empty();
}

}  // namespace memolib::plugins::email
