#include "app/webhook_handler.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "app/admin_api.hpp"
#include "app/gateway.hpp"
#include "app/generation.hpp"
#include "app/json_fields.hpp"
#include "http/query_string.hpp"
#include "memolib/sdk/version.h"
#include "observability/dashboard_stats.hpp"
#include "observability/logger.hpp"
#include "observability/metrics.hpp"
#include "plugins/request_view.hpp"
#include "storage/row_encoding.hpp"
#include "util/encoding.hpp"
#include "util/time_format.hpp"

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

// The dry run shows the whole normalized message, as the read API will.
void write_normalized(JsonWriter& w, const NormalizedMessage& m) {
    w.StartObject();
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
    w.Key("attachments");
    std::string attachments = attachments_to_json(m);
    w.RawValue(attachments.c_str(), attachments.size(), rapidjson::kArrayType);
    put_opt(
        w, "provider_timestamp",
        m.provider_timestamp_ms != 0 ? format_rfc3339_ms(m.provider_timestamp_ms) : std::string());
    put(w, "received_at", format_rfc3339_ms(m.received_at_ms));
    put(w, "language", m.language);
    put(w, "priority", m.priority);
    put(w, "dedup_key", to_hex(m.dedup_key));
    put(w, "request_id", m.request_id);
    w.EndObject();
}

// The `messages` array of a success answer: what the client needs to find each row again.
std::string messages_json(const Exchange& ex) {
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    w.StartArray();
    std::string checksum;
    for (const NormalizedMessage& m : ex.messages) {
        w.StartObject();
        w.Key("id");
        w.Int64(m.id);
        checksum.clear();
        append_hex(checksum, digest_bytes(m.dedup_key));
        put(w, "checksum", checksum);
        put(w, "status", status_name(m.status));
        w.EndObject();
    }
    w.EndArray();
    return {buf.GetString(), buf.GetSize()};
}

}  // namespace

WebhookHandler::WebhookHandler(std::shared_ptr<const Generation> generation, DashboardStats* stats,
                               AdminApi* admin)
    : generation_(std::move(generation)), stats_(stats), admin_(admin) {}

void WebhookHandler::set_generation(std::shared_ptr<const Generation> generation) {
    std::lock_guard<std::mutex> lock(mutex_);
    generation_ = std::move(generation);
}

std::shared_ptr<const Generation> WebhookHandler::generation() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return generation_;
}

void WebhookHandler::answer_json(Exchange& ex, int status, std::string body) const {
    ex.status = status;
    ex.response_content_type = "application/json";
    ex.response_body = std::move(body);
}

std::optional<std::uint64_t> WebhookHandler::admit(Exchange& ex) {
    static const std::string kPrefix = "/webhooks/";
    ex.generation = generation();
    if (ex.path.compare(0, kPrefix.size(), kPrefix) == 0) {
        return admit_webhook(ex, ex.path.substr(kPrefix.size()));
    }
    if (admin_ != nullptr && AdminApi::serves(ex.path)) return admin_->admit(ex);
    if (ex.method != "GET" && ex.method != "HEAD") {
        bool known = ex.path == "/health" || ex.path == "/version" || ex.path == "/metrics";
        if (known) {
            ex.response_headers.emplace_back("Allow", "GET, HEAD");
            ex.fail(405, "method_not_allowed", "use GET on " + ex.path);
        } else {
            ex.fail(404, "not_found", "no route for " + ex.path);
        }
        return std::nullopt;
    }
    if (ex.path == "/metrics") {
        ex.status = 200;
        ex.response_content_type = "text/plain; version=0.0.4; charset=utf-8";
        ex.response_body = metrics().render();
    } else if (ex.path == "/health") {
        answer_json(ex, 200, R"({"status":"ok"})");
    } else if (ex.path == "/version") {
        rapidjson::StringBuffer buf;
        JsonWriter w(buf);
        w.StartObject();
        put(w, "version", MEMOLIB_GATEWAY_VERSION);
        put(w, "sdk_abi",
            std::to_string(MEMOLIB_SDK_ABI_MAJOR) + "." + std::to_string(MEMOLIB_SDK_ABI_MINOR));
        w.Key("plugins");
        w.StartArray();
        for (const auto& [name, plugin] : ex.generation->gateway->registry->plugins()) {
            w.StartObject();
            put(w, "name", name);
            put(w, "version", plugin->version);
            put(w, "abi",
                std::to_string(plugin->abi_major) + "." + std::to_string(plugin->abi_minor));
            w.EndObject();
        }
        w.EndArray();
        w.EndObject();
        answer_json(ex, 200, std::string(buf.GetString(), buf.GetSize()));
    } else {
        ex.fail(404, "not_found", "no route for " + ex.path);
    }
    return std::nullopt;
}

std::optional<std::uint64_t> WebhookHandler::admit_webhook(Exchange& ex, const std::string& name) {
    const auto& channels = ex.generation->channels;
    auto it = channels.find(name);
    if (it == channels.end()) {
        ex.fail(404, "unknown_channel", "no channel named '" + name + "' is configured");
        return std::nullopt;
    }
    ex.channel = it->second;
    if (ex.method == "GET") {
        PluginCallResult result;
        RequestView request(ex);
        memolib_status_t status = ex.channel->instance->handshake(request.get(), result);
        if (status == MEMOLIB_OK && result.response_status &&
            (*result.response_status < 200 || *result.response_status > 599)) {
            // An interim (1xx) or out-of-range status would leave the client waiting for an
            // answer that never comes, or make the head unreadable.
            ex.fail(500, "plugin_error",
                    "the plugin answered the handshake with status " +
                        std::to_string(*result.response_status));
        } else if (status == MEMOLIB_OK && result.response_status) {
            ex.status = *result.response_status;
            ex.response_content_type =
                result.response_content_type.empty() ? "text/plain" : result.response_content_type;
            ex.response_body = result.response_body;
        } else if (status == MEMOLIB_FORBIDDEN || status == MEMOLIB_UNAUTHORIZED) {
            ex.fail(403, "verification_failed", "the handshake was refused", result.errors);
        } else if (status != MEMOLIB_NOT_HANDLED) {
            ex.fail(400, "invalid_handshake", "the handshake request is not valid", result.errors);
        }
        // A GET the plugin does not take as a handshake is a message in its query string
        // (Vonage sends inbound SMS that way): it goes through the pipeline like a POST.
        if (status != MEMOLIB_NOT_HANDLED) return std::nullopt;
    } else if (ex.method != "POST") {
        ex.response_headers.emplace_back("Allow", "GET, POST");
        ex.fail(405, "method_not_allowed", "webhooks take POST (and GET for a handshake)");
        return std::nullopt;
    }
    ex.dry_run = query_flag(ex.query, "dry_run");
    if (!ex.generation->pipeline->run_headers(ex)) return std::nullopt;
    return ex.channel->config.max_body;
}

void WebhookHandler::handle(const std::shared_ptr<Exchange>& ex, std::function<void()> done) {
    if (!ex->channel) return admin_->handle(ex, std::move(done));
    const Pipeline& pipeline = *ex->generation->pipeline;
    pipeline.run(ex, [this, ex, &pipeline, done = std::move(done)] {
        if (ex->status == 0) answer_success(*ex);
        pipeline.complete(*ex);
        done();
    });
}

void WebhookHandler::answer_success(Exchange& ex) const {
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    if (ex.dry_run) {
        w.StartObject();
        put(w, "status", "dry_run");
        put(w, "request_id", ex.request_id);
        w.Key("messages");
        w.StartArray();
        for (const NormalizedMessage& m : ex.messages) write_normalized(w, m);
        w.EndArray();
        w.EndObject();
        return answer_json(ex, 200, std::string(buf.GetString(), buf.GetSize()));
    }
    bool all_duplicates = !ex.messages.empty();
    for (const NormalizedMessage& m : ex.messages) {
        all_duplicates = all_duplicates && m.status == NormalizedMessage::Status::kDuplicate;
    }
    const int status = all_duplicates ? ex.channel->config.duplicate_status : 200;
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
    answer_json(ex, status, std::string(buf.GetString(), buf.GetSize()));
}

// Counts every answer by channel, status and typed reason, and what it did to the messages.
static void record_metrics(const Exchange& ex, double seconds) {
    const std::string channel = ex.channel ? ex.channel->config.name : std::string();
    if (ex.dry_run) {
        // Outside the channel's figures: a developer trying payloads is not traffic.
        metrics().add(
            "memolib_dry_runs_total",
            {{"channel", channel}, {"status", std::to_string(ex.status)}, {"reason", ex.reason}});
        return;
    }
    metrics().add(
        "memolib_requests_total",
        {{"channel", channel}, {"status", std::to_string(ex.status)}, {"reason", ex.reason}});
    if (!ex.channel) return;
    metrics().observe("memolib_request_duration_seconds", {{"channel", channel}}, seconds);
    if (ex.reason == "rate_limited")
        metrics().add("memolib_rate_limited_total", {{"channel", channel}});
    if (ex.replayed || (ex.status >= 300 && ex.status != 409)) return;
    double stored = 0;
    double duplicates = 0;
    for (const NormalizedMessage& m : ex.messages) {
        stored += m.status == NormalizedMessage::Status::kStored ? 1 : 0;
        duplicates += m.status == NormalizedMessage::Status::kDuplicate ? 1 : 0;
    }
    if (stored > 0) metrics().add("memolib_messages_stored_total", {{"channel", channel}}, stored);
    if (duplicates > 0)
        metrics().add("memolib_duplicates_total", {{"channel", channel}}, duplicates);
}

void WebhookHandler::completed(Exchange& ex) {
    if (!ex.generation) ex.generation = generation();
    const CompressionSettings& compression = ex.generation->compression;
    // Judged on the body as it is before compression: caches must not hand a gzip answer to
    // a client that did not ask for one, nor a plain one to a client that did.
    if (ex.response_body.size() >= compression.min_bytes) {
        ex.response_headers.emplace_back("Vary", "Accept-Encoding");
    }
    const std::string* accept = ex.header("Accept-Encoding");
    if (accept != nullptr && accepts_gzip(*accept)) {
        if (auto gz = gzip_if_worth_it(ex.response_body, compression)) {
            ex.response_body = std::move(*gz);
            ex.response_headers.emplace_back("Content-Encoding", "gzip");
        }
    }
    double latency_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - ex.started)
            .count();
    const std::string& provider =
        ex.messages.empty() ? ex.replay_provider : ex.messages.front().provider;
    const std::string& sender =
        ex.messages.empty() ? ex.replay_sender_masked : ex.messages.front().sender_masked;
    record_metrics(ex, latency_ms / 1000.0);
    if (stats_ != nullptr && ex.channel && !ex.dry_run) {
        RequestOutcome outcome;
        outcome.status = ex.status;
        outcome.duplicate = ex.reason == "duplicate" || ex.replayed;
        outcome.cache_checked = ex.cache_checked;
        outcome.cache_hit = ex.replayed;
        outcome.latency_ms = latency_ms;
        stats_->record(ex.channel->config.name, outcome);
    }
    log().info("request", {{"request_id", ex.request_id},
                           {"method", ex.method},
                           {"path", ex.path},
                           {"channel", ex.channel ? ex.channel->config.name : std::string()},
                           {"provider", provider},
                           {"status", ex.status},
                           {"reason", ex.reason},
                           {"latency_ms", latency_ms},
                           {"messages", ex.messages.size()},
                           {"dry_run", ex.dry_run ? "true" : "false"},
                           {"sender_masked", sender}});
}

}  // namespace memolib::core
