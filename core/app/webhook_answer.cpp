#include "app/webhook_answer.hpp"

#include <algorithm>
#include <cstring>
#include <optional>

#include "app/json_fields.hpp"
#include "app/message_json.hpp"
#include "observability/logger.hpp"
#include "plugins/plugin_registry.hpp"
#include "plugins/request_view.hpp"
#include "util/sha256.hpp"

namespace memolib::core {

namespace {

const char* status_name(NormalizedMessage::Status s) {
    switch (s) {
        case NormalizedMessage::Status::kStored:
            return "stored";
        case NormalizedMessage::Status::kDuplicate:
            return "duplicate";
        case NormalizedMessage::Status::kSpooled:
            return "accepted";
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
        // A spooled message has no row in the primary storage yet.
        if (m.status == NormalizedMessage::Status::kSpooled)
            w.Null();
        else
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

// A provider retries anything but a 2xx for hours or days (Meta 7 days), so its re-delivery of
// a stored message is a success; only where a person reads the answer is it a 409.
int duplicate_status(const Exchange& ex) {
    if (ex.channel->config.duplicate_status != 0) return ex.channel->config.duplicate_status;
    const std::vector<std::string>& people = ex.channel->instance->plugin().person_facing_providers;
    const std::string& provider = ex.messages.front().provider;
    return std::find(people.begin(), people.end(), provider) != people.end() ? 409 : 200;
}

// True when the request carried messages and every one was stored before.
bool all_duplicates(const Exchange& ex) {
    return !ex.messages.empty() &&
           std::all_of(ex.messages.begin(), ex.messages.end(), [](const NormalizedMessage& m) {
               return m.status == NormalizedMessage::Status::kDuplicate;
           });
}

bool any_spooled(const Exchange& ex) {
    return std::any_of(ex.messages.begin(), ex.messages.end(), [](const NormalizedMessage& m) {
        return m.status == NormalizedMessage::Status::kSpooled;
    });
}

// What the host decided, for the plugin's answer hook; nullopt for answers it does not shape.
std::optional<memolib_outcome_kind_t> outcome_of(const Exchange& ex) {
    const bool duplicates = all_duplicates(ex);
    if (ex.status >= 200 && ex.status <= 299) {
        if (ex.quarantine_id != 0 || ex.quarantine_spooled) return MEMOLIB_OUTCOME_QUARANTINED;
        if (ex.replayed) return MEMOLIB_OUTCOME_STORED;
        if (ex.messages.empty() || any_spooled(ex)) return MEMOLIB_OUTCOME_ACCEPTED;
        return duplicates ? MEMOLIB_OUTCOME_DUPLICATE : MEMOLIB_OUTCOME_STORED;
    }
    if (ex.status == 409 && duplicates) return MEMOLIB_OUTCOME_DUPLICATE;
    if (ex.status >= 400 && ex.status <= 499 && ex.status != 429) return MEMOLIB_OUTCOME_REJECTED;
    return std::nullopt;
}

}  // namespace

void shape_answer(Exchange& ex) {
    if (ex.dry_run || !ex.channel || !ex.channel->instance->plugin().shapes_answers) return;
    const std::optional<memolib_outcome_kind_t> kind = outcome_of(ex);
    if (!kind) return;
    std::vector<std::string> checksums;
    checksums.reserve(ex.messages.size());
    std::vector<memolib_answer_message_t> messages;
    messages.reserve(ex.messages.size());
    for (const NormalizedMessage& m : ex.messages) {
        checksums.push_back(to_hex(m.dedup_key));
        const char* status = status_name(m.status);
        memolib_answer_message_t a{};
        a.struct_size = sizeof a;
        a.id = m.id;
        a.checksum = {checksums.back().data(), checksums.back().size()};
        a.status = {status, std::strlen(status)};
        messages.push_back(a);
    }
    memolib_outcome_t outcome{};
    outcome.struct_size = sizeof outcome;
    outcome.kind = *kind;
    outcome.reason = {ex.reason.data(), ex.reason.size()};
    outcome.request_id = {ex.request_id.data(), ex.request_id.size()};
    outcome.http_status = ex.status;
    outcome.content_type = {ex.response_content_type.data(), ex.response_content_type.size()};
    outcome.body = {reinterpret_cast<const std::uint8_t*>(ex.response_body.data()),
                    ex.response_body.size()};
    outcome.messages = messages.empty() ? nullptr : messages.data();
    outcome.message_count = messages.size();
    PluginCallResult result;
    const memolib_status_t status =
        ex.channel->instance->answer(plugin_request(ex), outcome, result);
    for (const std::string& violation : result.violations) {
        log().warn("plugin_answer_refused", {{"request_id", ex.request_id},
                                             {"channel", ex.channel->config.name},
                                             {"plugin", ex.channel->instance->plugin().name},
                                             {"reason", violation}});
    }
    if (status == MEMOLIB_OK && result.response_status) answer_from_plugin(ex, result);
}

void answer_from_plugin(Exchange& ex, PluginCallResult& result) {
    ex.status = *result.response_status;
    ex.response_content_type =
        result.response_content_type.empty() ? "text/plain" : result.response_content_type;
    ex.response_body = std::move(result.response_body);
}

void answer_webhook_success(Exchange& ex) {
    if (ex.dry_run) return answer_dry_run(ex);
    const bool duplicates = all_duplicates(ex);
    const int status = duplicates ? duplicate_status(ex) : 200;
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    w.StartObject();
    if (duplicates && status != 200) {
        put(w, "error", "duplicate");
        put(w, "message", "every message of this request is already stored");
        w.Key("details");
        w.StartArray();
        w.EndArray();
    } else {
        const bool accepted = ex.messages.empty() || any_spooled(ex);
        put(w, "status", duplicates ? "duplicate" : accepted ? "accepted" : "stored");
    }
    put(w, "request_id", ex.request_id);
    w.Key("messages");
    ex.messages_json = messages_json(ex);
    w.RawValue(ex.messages_json.c_str(), ex.messages_json.size(), rapidjson::kArrayType);
    w.EndObject();
    if (duplicates) ex.reason = "duplicate";
    answer_json(ex, status, buf);
}

}  // namespace memolib::core
