#include <boost/beast/core/string.hpp>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "observability/logger.hpp"
#include "observability/masking.hpp"
#include "observability/metrics.hpp"
#include "observability/quarantine_pending.hpp"
#include "plugins/plugin_registry.hpp"
#include "plugins/request_view.hpp"
#include "stages/stages.hpp"
#include "storage/batch_writer.hpp"
#include "util/encoding.hpp"
#include "util/time_format.hpp"
#include "util/utf8.hpp"

namespace memolib::core {

namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

bool bearer_of_secret(const std::string& name, const std::string& value,
                      const std::vector<std::string>& secrets) {
    for (const char* never : {"authorization", "cookie", "proxy-authorization"}) {
        if (boost::beast::iequals(name, never)) return true;
    }
    for (const std::string& secret : secrets) {
        if (value.find(secret) != std::string::npos) return true;
    }
    return false;
}

// The request's headers as `[[name, value], …]`, without those that carry a credential: the
// standard ones, and any holding one of the channel's secrets (Telegram's secret token).
// Signatures stay: an HMAC does not reveal its key, and re-processing may want to see it. A
// value that is not UTF-8 is kept as `[name, base64, "base64"]`.
std::string headers_json(const Exchange& ex, const std::vector<std::string>& secrets) {
    rapidjson::StringBuffer buf;
    Writer w(buf);
    w.StartArray();
    for (const auto& [name, value] : ex.headers) {
        if (bearer_of_secret(name, value, secrets) || !is_valid_utf8(name)) continue;
        w.StartArray();
        w.String(name.c_str(), static_cast<rapidjson::SizeType>(name.size()));
        if (is_valid_utf8(value)) {
            w.String(value.c_str(), static_cast<rapidjson::SizeType>(value.size()));
        } else {
            const std::string encoded = base64_encode(value);
            w.String(encoded.c_str(), static_cast<rapidjson::SizeType>(encoded.size()));
            w.String("base64");
        }
        w.EndArray();
    }
    w.EndArray();
    return {buf.GetString(), buf.GetSize()};
}

void answer_quarantined(Exchange& ex) {
    rapidjson::StringBuffer buf;
    Writer w(buf);
    w.StartObject();
    w.Key("status");
    w.String("quarantined");
    w.Key("request_id");
    w.String(ex.request_id.c_str(), static_cast<rapidjson::SizeType>(ex.request_id.size()));
    w.Key("quarantine_id");
    // Spooled while PostgreSQL is down, the entry gets its id when the spool drains.
    if (ex.quarantine_spooled)
        w.Null();
    else
        w.Int64(ex.quarantine_id);
    w.EndObject();
    ex.status = 200;
    ex.reason = "quarantined";
    ex.response_content_type = "application/json";
    ex.response_body.assign(buf.GetString(), buf.GetSize());
}

// What one quarantining keeps alive until its job is done.
struct Quarantining {
    QuarantineEntry entry;
    QuarantineInsert result = QuarantineInsert::kFull;
    std::string sender_masked;
};

// Has the plugin validate and normalize the body into 0..N messages, then stamps each with
// what the core owns: channel, request id, arrival time and the masked sender. A request the
// plugin cannot turn into messages is refused, unless it is authentic (Exchange::authenticated):
// then it is committed to the quarantine table and acknowledged as its provider expects, so
// that the provider stops retrying bytes that would only be refused again, and nothing is lost.
class ParseStage final : public Stage {
public:
    ParseStage(BatchWriter* writer, std::uint64_t quarantine_max_bytes)
        : writer_(writer), max_bytes_(quarantine_max_bytes) {}
    const char* name() const override { return "parse"; }

    StageResult process(Exchange& ex, const Resume& resume) const override {
        PluginCallResult result;
        memolib_status_t status = ex.channel->instance->parse(plugin_request(ex), result);
        if (ex.reprocess_quarantine_id != 0 && (status != MEMOLIB_OK || !result.errors.empty())) {
            // The entry stays pending, for a plugin that takes it.
            ex.fail(422, "still_refused",
                    "channel '" + ex.channel->config.name +
                        "' still refuses this request; the entry stays pending",
                    result.errors);
            return StageResult::kRespond;
        }
        switch (status) {
            case MEMOLIB_OK:
                // Errors beside OK mean the host refused a message: answering 2xx would lose it.
                if (!result.errors.empty()) {
                    if (quarantinable(ex)) return quarantine(ex, resume, "message_refused", result);
                    break;
                }
                ex.messages = std::move(result.messages);
                for (NormalizedMessage& m : ex.messages) {
                    m.channel = ex.channel->config.name;
                    m.request_id = ex.request_id;
                    m.received_at_ms = ex.received_at_ms;
                    m.sender_masked = mask_sender(m.sender);
                }
                return StageResult::kContinue;
            case MEMOLIB_UNSUPPORTED_MEDIA_TYPE:
                // Only a media type the plugin declared: one it did not is the client's error.
                if (!ex.content_type.empty() && quarantinable(ex)) {
                    return quarantine(ex, resume, "unsupported_media_type", result);
                }
                ex.fail(415, "unsupported_media_type",
                        "channel '" + ex.channel->config.name + "' accepts " +
                            declared_media_types(ex.channel->instance->plugin()),
                        result.errors);
                return StageResult::kRespond;
            case MEMOLIB_INTERNAL_ERROR:
                if (quarantinable(ex)) return quarantine(ex, resume, "plugin_error", result);
                ex.fail(500, "plugin_error", "the channel plugin failed to parse the request",
                        result.errors);
                return StageResult::kRespond;
            default:
                break;
        }
        if (quarantinable(ex)) return quarantine(ex, resume, "invalid_payload", result);
        ex.fail(400, "invalid_payload", "the payload does not validate", result.errors);
        return StageResult::kRespond;
    }

private:
    // A dry run answers what parse said; unauthenticated bytes are never kept: anyone could
    // fill the disk with them.
    bool quarantinable(Exchange& ex) const {
        return writer_ != nullptr && ex.authenticated && !ex.dry_run &&
               ex.channel->instance->verified_by_secret(plugin_request(ex),
                                                        ex.channel->config.block);
    }

    StageResult quarantine(Exchange& ex, const Resume& resume, const char* reason,
                           const PluginCallResult& result) const {
        auto q = std::make_shared<Quarantining>();
        QuarantineEntry& e = q->entry;
        e.channel = ex.channel->config.name;
        // What the plugin could read, though it could not make messages of it.
        const std::string& provider =
            result.messages.empty() ? result.refused_provider : result.messages.front().provider;
        const std::string& sender =
            result.messages.empty() ? result.refused_sender : result.messages.front().sender;
        e.provider = provider;
        if (!sender.empty()) q->sender_masked = mask_sender(sender);
        e.received_at = format_rfc3339_ms(ex.received_at_ms);
        e.request_id = ex.request_id;
        e.reason = reason;
        e.details_json = field_errors_json(result.errors);
        e.content_type = is_valid_utf8(ex.content_type) ? ex.content_type : "(not UTF-8)";
        e.headers_json = headers_json(
            ex, channel_secrets(ex.channel->instance->plugin(), ex.channel->config.block));
        e.raw_body = ex.body;
        e.dedup_key = quarantine_key(ex.channel->config.name, ex.content_type, ex.body);

        auto owner = std::make_shared<Resume>(resume);
        StoreJob job;
        job.quarantine = &q->entry;
        job.quarantine_result = &q->result;
        job.quarantine_max_bytes = max_bytes_;
        job.owner = q;
        job.arrival = std::move(ex.store_arrival);
        Exchange* exp = &ex;
        job.done = [owner, exp, q](StoreOutcome outcome, const std::string&) {
            auto finish = [owner, exp, q, outcome] {
                Exchange& x = *exp;
                const bool spooled = outcome == StoreOutcome::kSpooled;
                if ((outcome == StoreOutcome::kCommitted || spooled) &&
                    q->result != QuarantineInsert::kFull) {
                    x.quarantine_spooled = spooled;
                    x.quarantine_id = spooled ? 0 : q->entry.id;
                    if (q->result == QuarantineInsert::kInserted) {
                        metrics().add("memolib_quarantined_total",
                                      {{"channel", q->entry.channel}, {"reason", q->entry.reason}});
                        // A spooled entry joins the pending count when it reaches the table.
                        if (!spooled)
                            quarantine_pending().add(q->entry.channel, 1, x.received_at_ms);
                    }
                    log().info("quarantined",
                               {{"request_id", x.request_id},
                                {"channel", q->entry.channel},
                                {"reason", q->entry.reason},
                                {"quarantine_id", static_cast<long long>(x.quarantine_id)},
                                {"spooled", spooled},
                                {"again", q->result == QuarantineInsert::kExisting},
                                {"sender_masked", q->sender_masked}});
                    answer_quarantined(x);
                } else if (outcome == StoreOutcome::kCommitted) {
                    log().warn("quarantine_full", {{"request_id", x.request_id},
                                                   {"channel", q->entry.channel},
                                                   {"reason", q->entry.reason}});
                    x.fail(503, "quarantine_full",
                           "the request could not be processed and the quarantine that would keep "
                           "it is full; retry later (nothing was stored)");
                    x.response_headers.emplace_back("Retry-After", "60");
                } else {
                    fail_storage(x, outcome, "request");
                }
                (*owner)(StageResult::kRespond);
            };
            exp->on_own_thread(finish);
        };
        writer_->submit(std::move(job));
        return StageResult::kSuspend;
    }

    BatchWriter* writer_;
    std::uint64_t max_bytes_;
};

}  // namespace

std::uint64_t ParseFactory::quarantine_max_bytes(const ConfigValue& pipeline) {
    return static_cast<std::uint64_t>(pipeline.at("quarantine").integer("max_size"));
}

std::string_view ParseFactory::settings_schema() const {
    return R"yaml(
type: object
properties:
  max_size: {type: size, default: 1GiB, minimum: 0, description: "Largest total of raw request bytes the quarantine table holds; an authentic request parse refuses beyond it is answered 503 with Retry-After (quarantine_full)"}
)yaml";
}

std::unique_ptr<Stage> ParseFactory::make(const ConfigValue& pipeline,
                                          const StageContext& context) const {
    return std::make_unique<ParseStage>(context.writer, quarantine_max_bytes(pipeline));
}

}  // namespace memolib::core
