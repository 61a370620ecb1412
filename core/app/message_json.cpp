#include "app/message_json.hpp"

#include <rapidjson/document.h>

#include "storage/row_encoding.hpp"
#include "util/sha256.hpp"

namespace memolib::core {

namespace {

// Stored JSON columns are embedded as JSON when they parse, and as text when they do not.
void put_json(JsonWriter& w, const char* key, const std::string& json, bool array) {
    w.Key(key);
    if (json.empty()) {
        if (array) {
            w.StartArray();
            w.EndArray();
        } else {
            w.Null();
        }
        return;
    }
    rapidjson::Document doc;
    doc.Parse(json.c_str(), json.size());
    if (doc.HasParseError())
        w.String(json.c_str(), static_cast<rapidjson::SizeType>(json.size()));
    else
        doc.Accept(w);
}

}  // namespace

void write_message_json(JsonWriter& w, const StoredMessage& m, const ReadApiFields& extra) {
    w.StartObject();
    if (extra.id) {
        w.Key("id");
        w.Int64(m.id);
    }
    put(w, "channel", m.channel);
    put(w, "provider", m.provider);
    put_opt(w, "external_id", m.external_id);
    put_opt(w, "sender", m.sender);
    put_opt(w, "sender_masked", m.sender_masked);
    put_opt(w, "sender_name", m.sender_name);
    put_opt(w, "recipient", m.recipient);
    put_opt(w, "subject", m.subject);
    put_opt(w, "text", m.text);
    put_opt(w, "html", m.html);
    if (extra.list_cuts) {
        w.Key("text_truncated");
        w.Bool(extra.text_cut);
        w.Key("html_truncated");
        w.Bool(extra.html_cut);
    }
    put_json(w, "attachments", m.attachments_json, true);
    put_opt(w, "provider_timestamp", m.provider_timestamp);
    put(w, "received_at", m.received_at);
    put(w, "language", m.language);
    put(w, "priority", m.priority);
    put(w, "dedup_key", m.dedup_key);
    put(w, "request_id", m.request_id);
    if (extra.metadata) put_json(w, "metadata", m.metadata_json, false);
    if (extra.raw) {
        w.Key("raw");
        w.StartObject();
        put_opt(w, "content_type", m.raw_content_type);
        put(w, "encoding", m.raw_encoding);
        put(w, "payload", m.raw_payload);
        w.EndObject();
    }
    if (extra.source != nullptr) put(w, "source", extra.source);
    w.EndObject();
}

StoredMessage as_stored(const NormalizedMessage& m) {
    RowText row = encode_row(m, std::string());
    StoredMessage s;
    s.id = m.id;
    s.channel = m.channel;
    s.provider = m.provider;
    s.external_id = m.external_id;
    s.sender = m.sender;
    s.sender_masked = m.sender_masked;
    s.sender_name = m.sender_name;
    s.recipient = m.recipient;
    s.subject = m.subject;
    s.text = m.text;
    s.html = m.html;
    s.attachments_json = std::move(row.attachments_json);
    s.provider_timestamp = std::move(row.provider_timestamp);
    s.received_at = std::move(row.received_at);
    s.language = m.language;
    s.priority = m.priority;
    s.dedup_key = to_hex(m.dedup_key);
    s.request_id = m.request_id;
    s.metadata_json = m.metadata_json;
    return s;
}

}  // namespace memolib::core
