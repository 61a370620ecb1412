#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "memolib/sdk/adapter.hpp"
#include "problems.hpp"

namespace memolib::plugins::email {

// Header fields in the order the provider gave them (name as sent, unfolded value).
using HeaderList = std::vector<std::pair<std::string, std::string>>;

// The first value of header `name` (case-insensitive), if any.
std::optional<std::string> find_header(const HeaderList& headers, std::string_view name);

// One e-mail as a provider handed it over, before normalization. Header-like fields are raw
// (RFC 2047 encoded words and angle brackets still in them); bodies are already UTF-8.
struct EmailFields {
    // The From header (a mailbox list), or the sender's address and name when the provider
    // gives them apart (from_address wins then).
    std::string from;
    std::string from_address;
    std::string from_name;
    // The field a missing or unreadable sender is reported on.
    std::string from_field = "from";
    // SMTP envelope sender (MAIL FROM), used when From holds no usable address.
    std::string envelope_from;
    // The To header, or the first recipient's address given apart (to_address wins then).
    std::string to;
    std::string to_address;
    // SMTP envelope recipient (RCPT TO), used when To holds no usable address.
    std::string envelope_to;
    std::string cc;
    std::string reply_to;
    std::string subject;
    // The provider's own message id when it has one (Postmark), else empty so that the
    // Message-ID header is the external id.
    std::string provider_id;
    std::string message_id;
    std::string in_reply_to;
    std::string references;
    // RFC 5322 date; when it is missing or unreadable, fallback_timestamp_ms is used.
    std::string date;
    long long fallback_timestamp_ms = 0;
    std::string text;
    std::string html;
    std::vector<sdk::Attachment> attachments;
    // Attachments beyond kMaxAttachments, counted but not described.
    std::size_t attachments_omitted = 0;
    // Provider extras kept in metadata_json.
    std::string stripped_text;
    std::string mailbox_hash;
    std::string original_recipient;
    std::string tag;
    std::string spam_score;
};

// At most this many attachment descriptors per message; the rest are only counted.
inline constexpr std::size_t kMaxAttachments = 1000;

// Adds a descriptor, or counts it when the message already has kMaxAttachments.
void add_attachment(EmailFields& fields, sdk::Attachment attachment);

// Normalizes `fields` into `out` (provider, sender, recipient, subject, ids, timestamp,
// metadata). Returns false, with a problem on fields.from_field, when there is no sender.
bool to_message(const EmailFields& fields, std::string_view provider, sdk::Message& out,
                Problems& problems);

}  // namespace memolib::plugins::email
