#include "app/webhook_answer.hpp"

#include "app/json_fields.hpp"
#include "app/message_json.hpp"
#include "util/sha256.hpp"

namespace memolib::core {

namespace {

const char* status_name(NormalizedMessage::Status s) {
    switch (s) {
        case NormalizedMessage::Status::kStored:
            return "stored";
        case NormalizedMessage::Status::kDuplicate:
            return "duplicate";
        case NormalizedMessage::Status::kPending:
            return "pending";
    }
    return "pending";
}

// The `messages` array of a success answer: what the client needs to find each row again.
std::string messages_json(const Exchange& ex) {
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    w.StartArray();
    for (const NormalizedMessage& m : ex.messages) {
        w.StartObject();
        w.Key("id");
        w.Int64(m.id);
        put(w, "checksum", to_hex(m.dedup_key));
        put(w, "status", status_name(m.status));
        w.EndObject();
    }
    w.EndArray();
    return {buf.GetString(), buf.GetSize()};
}

// The dry run shows each message as the read API will show it once stored.
void answer_dry_run(Exchange& ex) {
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    w.StartObject();
    put(w, "status", "dry_run");
    put(w, "request_id", ex.request_id);
    w.Key("messages");
    w.StartArray();
    for (const NormalizedMessage& m : ex.messages) write_message_json(w, as_stored(m), {});
    w.EndArray();
    w.EndObject();
    answer_json(ex, 200, buf);
}

}  // namespace

void answer_webhook_success(Exchange& ex) {
    if (ex.dry_run) return answer_dry_run(ex);
    bool all_duplicates = !ex.messages.empty();
    for (const NormalizedMessage& m : ex.messages) {
        all_duplicates = all_duplicates && m.status == NormalizedMessage::Status::kDuplicate;
    }
    const int status = all_duplicates ? ex.channel->config.duplicate_status : 200;
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    w.StartObject();
    if (all_duplicates && status != 200) {
        put(w, "error", "duplicate");
        put(w, "message", "every message of this request is already stored");
        w.Key("details");
        w.StartArray();
        w.EndArray();
    } else {
        put(w, "status",
            all_duplicates        ? "duplicate"
            : ex.messages.empty() ? "accepted"
                                  : "stored");
    }
    put(w, "request_id", ex.request_id);
    w.Key("messages");
    ex.messages_json = messages_json(ex);
    w.RawValue(ex.messages_json.c_str(), ex.messages_json.size(), rapidjson::kArrayType);
    w.EndObject();
    if (all_duplicates) ex.reason = "duplicate";
    answer_json(ex, status, buf);
}

}  // namespace memolib::core
