#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "email_fields.hpp"
#include "problems.hpp"

// Everything the plugin asks of GMime: whole messages, header blocks, addresses, encoded words,
// message ids and dates.
namespace memolib::plugins::email {

struct Mailbox {
    // Lower-cased (common::normalize_email).
    std::string address;
    // Display name, RFC 2047 decoded, UTF-8.
    std::string name;
};

// The first mailbox of an RFC 5322 address list (members of groups included) whose address is
// one we can answer; nullopt when there is none.
std::optional<Mailbox> first_mailbox(std::string_view list);

// Decodes RFC 2047 encoded words (and raw 8-bit bytes, read as UTF-8 or else Windows-1252).
std::string decode_header_text(std::string_view raw);

// A Message-ID without its angle brackets and comments; empty when blank.
std::string decode_message_id(std::string_view raw);

// The message ids of an In-Reply-To or References header, without angle brackets, separated
// by one space.
std::string decode_references(std::string_view raw);

// An RFC 5322 date in ms since the epoch, or nullopt when unreadable.
std::optional<long long> decode_date_ms(std::string_view raw);

// Reads a complete RFC 5322 / MIME message into `out`: headers, the text/plain and text/html
// bodies (charset and transfer encoding decoded) and every other part as an attachment
// descriptor. Returns false, with a problem on `field`, when the bytes hold no message.
bool read_message(std::string_view bytes, const std::string& field, EmailFields& out,
                  Problems& problems);

// Reads a bare header block (SendGrid's `headers` field) into name/value pairs.
HeaderList read_header_block(std::string_view block);

}  // namespace memolib::plugins::email
