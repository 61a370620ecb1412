#include "email_fields.hpp"

#include <string>
#include <utility>

#include "charset.hpp"
#include "memolib/plugins/common/json_writer.hpp"
#include "memolib/plugins/common/text.hpp"
#include "mime.hpp"

namespace memolib::plugins::email {
namespace {

std::string clean(std::string_view s) { return common::make_valid_utf8(s); }

// The line ends that close a body (a single-part message's last CRLF, a provider's trailing
// newline) are not part of the text, as the CRLF before a multipart delimiter is not.
std::string without_final_newlines(std::string text) {
    while (!text.empty() && text.back() == '\n') text.pop_back();
    return text;
}

// An address kept in metadata: normalized when it is one, else as given (still clean text).
std::string address_or_text(std::string_view raw) {
    if (auto mailbox = first_mailbox(raw)) return mailbox->address;
    return clean(common::trim(raw));
}

}  // namespace

std::optional<std::string> find_header(const HeaderList& headers, std::string_view name) {
    for (const auto& [key, value] : headers) {
        if (sdk::iequals(key, name)) return value;
    }
    return std::nullopt;
}

void add_attachment(EmailFields& fields, sdk::Attachment attachment) {
    if (fields.attachments.size() >= kMaxAttachments) {
        ++fields.attachments_omitted;
        return;
    }
    attachment.name = clean(attachment.name);
    attachment.content_type = clean(common::to_lower(common::trim(attachment.content_type)));
    attachment.url = clean(attachment.url);
    attachment.provider_id = clean(attachment.provider_id);
    fields.attachments.push_back(std::move(attachment));
}

bool to_message(const EmailFields& fields, std::string_view provider, sdk::Message& out,
                Problems& problems) {
    out = sdk::Message{};
    out.provider = std::string(provider);

    // The sender: the From header's address, else the SMTP envelope's, so that a message with
    // a broken From is still kept with someone to answer.
    std::optional<Mailbox> sender;
    if (!fields.from_address.empty()) {
        const std::string address = common::normalize_email(common::trim(fields.from_address));
        if (!address.empty())
            sender = Mailbox{clean(address), clean(common::trim(fields.from_name))};
    }
    if (!sender && !fields.from.empty()) sender = first_mailbox(fields.from);
    if (!sender && !fields.envelope_from.empty()) sender = first_mailbox(fields.envelope_from);
    if (!sender) {
        const bool given =
            !common::trim(fields.from).empty() || !common::trim(fields.from_address).empty();
        if (given) {
            const std::string shown =
                !fields.from_address.empty() ? fields.from_address : fields.from;
            problems.add(fields.from_field, "invalid_format",
                         "no e-mail address can be read from '" + common::printable(shown) + "'");
        } else {
            problems.add(fields.from_field, "required", "the sender's address is missing");
        }
        return false;
    }
    out.sender = std::move(sender->address);
    out.sender_name = std::move(sender->name);

    std::optional<Mailbox> recipient;
    if (!fields.to_address.empty()) {
        const std::string address = common::normalize_email(common::trim(fields.to_address));
        if (!address.empty()) recipient = Mailbox{clean(address), {}};
    }
    if (!recipient && !fields.to.empty()) recipient = first_mailbox(fields.to);
    if (!recipient && !fields.envelope_to.empty()) recipient = first_mailbox(fields.envelope_to);
    if (recipient) out.recipient = std::move(recipient->address);

    out.subject = std::string(common::trim(decode_header_text(fields.subject)));
    out.text = without_final_newlines(common::normalize_newlines(clean(fields.text)));
    out.html = clean(fields.html);
    out.attachments = fields.attachments;

    const std::string message_id = decode_message_id(fields.message_id);
    out.external_id =
        !fields.provider_id.empty() ? clean(common::trim(fields.provider_id)) : message_id;

    if (auto ms = decode_date_ms(fields.date)) {
        out.provider_timestamp_ms = *ms;
    } else if (fields.fallback_timestamp_ms > 0) {
        out.provider_timestamp_ms = fields.fallback_timestamp_ms;
    }

    const std::string in_reply_to = decode_references(fields.in_reply_to);
    const std::string references = decode_references(fields.references);
    const std::string envelope_from =
        fields.envelope_from.empty() ? std::string() : address_or_text(fields.envelope_from);
    const std::string envelope_to =
        fields.envelope_to.empty() ? std::string() : address_or_text(fields.envelope_to);
    const std::string cc = decode_header_text(common::trim(fields.cc));
    const std::string reply_to = decode_header_text(common::trim(fields.reply_to));
    const std::string stripped_text =
        without_final_newlines(common::normalize_newlines(clean(fields.stripped_text)));
    // The RFC 5322 Message-ID, when the external id is the provider's own id instead.
    const std::string header_message_id = fields.provider_id.empty() ? std::string() : message_id;
    const std::string omitted = fields.attachments_omitted == 0
                                    ? std::string()
                                    : std::to_string(fields.attachments_omitted);
    out.metadata_json = common::json_object({
        {"message_id", header_message_id},
        {"in_reply_to", in_reply_to},
        {"references", references},
        {"reply_to", reply_to},
        {"cc", cc},
        {"envelope_from", envelope_from},
        {"envelope_to", envelope_to},
        {"stripped_text", stripped_text},
        {"mailbox_hash", clean(fields.mailbox_hash)},
        {"original_recipient", clean(fields.original_recipient)},
        {"tag", clean(fields.tag)},
        {"spam_score", clean(fields.spam_score)},
        {"attachments_omitted", omitted},
    });
    return true;
}

}  // namespace memolib::plugins::email
