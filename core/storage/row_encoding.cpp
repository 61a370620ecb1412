#include "storage/row_encoding.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "memolib/sdk/signing.hpp"
#include "util/encoding.hpp"
#include "util/time_format.hpp"
#include "util/utf8.hpp"

namespace memolib::core {

std::string attachments_to_json(const NormalizedMessage& message) {
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    w.StartArray();
    for (const AttachmentDescriptor& a : message.attachments) {
        w.StartObject();
        w.Key("name");
        w.String(a.name.c_str(), static_cast<rapidjson::SizeType>(a.name.size()));
        w.Key("content_type");
        w.String(a.content_type.c_str(), static_cast<rapidjson::SizeType>(a.content_type.size()));
        w.Key("size");
        if (a.size >= 0)
            w.Int64(a.size);
        else
            w.Null();
        if (!a.url.empty()) {
            w.Key("url");
            w.String(a.url.c_str(), static_cast<rapidjson::SizeType>(a.url.size()));
        }
        if (!a.provider_id.empty()) {
            w.Key("provider_id");
            w.String(a.provider_id.c_str(), static_cast<rapidjson::SizeType>(a.provider_id.size()));
        }
        w.EndObject();
    }
    w.EndArray();
    return {buf.GetString(), buf.GetSize()};
}

RowText encode_row(const NormalizedMessage& message, const std::string& raw_payload,
                   RawColumn column) {
    RowText row;
    row.attachments_json = attachments_to_json(message);
    if (message.provider_timestamp_ms != 0) {
        row.provider_timestamp = format_rfc3339_ms(message.provider_timestamp_ms);
    }
    row.received_at = format_rfc3339_ms(message.received_at_ms);
    if (column == RawColumn::kText) {
        encode_raw(raw_payload, row.raw_encoding, row.raw_payload);
        return row;
    }
    const bool text = is_valid_utf8(raw_payload) && raw_payload.find('\0') == std::string::npos;
    row.raw_encoding = text ? "utf8" : "base64";
    // bytea's input: its escape form (only a backslash is escaped, by doubling it) for UTF-8
    // text, which is almost a copy, and its hex form for bytes that are not text.
    if (text) {
        row.raw_payload.reserve(raw_payload.size());
        std::size_t from = 0;
        for (std::size_t at = 0; (at = raw_payload.find('\\', from)) != std::string::npos;
             from = at + 1) {
            row.raw_payload.append(raw_payload, from, at + 1 - from);
            row.raw_payload += '\\';
        }
        row.raw_payload.append(raw_payload, from, std::string::npos);
    } else {
        row.raw_payload = "\\x";
        append_hex(row.raw_payload, raw_payload);
    }
    return row;
}

void encode_raw(const std::string& raw, std::string& encoding, std::string& text) {
    if (is_valid_utf8(raw) && raw.find('\0') == std::string::npos) {
        encoding = "utf8";
        text = raw;
    } else {
        encoding = "base64";
        text = base64_encode(raw);
    }
}

std::string decode_raw(const std::string& encoding, const std::string& text) {
    if (encoding != "base64") return text;
    return sdk::base64_decode(text).value_or(std::string());
}

}  // namespace memolib::core
