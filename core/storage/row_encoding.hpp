#pragma once

#include <string>

#include "pipeline/message.hpp"

namespace memolib::core {

/// The text columns of a message row that are derived rather than copied.
struct RowText {
    std::string attachments_json;
    /// Empty when the provider gave no timestamp.
    std::string provider_timestamp;
    std::string received_at;
    /// "utf8" when the raw payload is valid UTF-8 text without NUL, "base64" when it is not
    /// (binary multipart): how the read API shows it, and how SQLite's TEXT column holds it.
    std::string raw_encoding;
    /// SQLite: the payload as is, or its base64. PostgreSQL: the text form of its bytea value.
    std::string raw_payload;
};

/// How the raw payload column is written: SQLite TEXT, or PostgreSQL bytea bound as text.
enum class RawColumn { kText, kBytea };

RowText encode_row(const NormalizedMessage& message, const std::string& raw_payload,
                   RawColumn column = RawColumn::kText);

/// `raw` as a raw_payload column holds it: `encoding` "utf8" and the bytes as they are when
/// they are UTF-8 text without NUL, else "base64" and their base64 (RowText::raw_encoding).
void encode_raw(const std::string& raw, std::string& encoding, std::string& text);
/// The bytes encode_raw() encoded.
std::string decode_raw(const std::string& encoding, const std::string& text);

/// The attachment descriptors as a JSON array.
std::string attachments_to_json(const NormalizedMessage& message);

}  // namespace memolib::core
