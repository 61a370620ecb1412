#include "app/admin_api.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "app/bearer_token.hpp"
#include "app/dashboard_page.hpp"
#include "app/generation.hpp"
#include "app/json_fields.hpp"
#include "app/message_json.hpp"
#include "app/route_table.hpp"
#include "app/webhook_answer.hpp"
#include "app/worker_thread.hpp"
#include "http/query_string.hpp"
#include "observability/dashboard_stats.hpp"
#include "observability/logger.hpp"
#include "observability/quarantine_pending.hpp"
#include "storage/batch_writer.hpp"
#include "storage/database.hpp"
#include "storage/storage_probe.hpp"
#include "util/encoding.hpp"
#include "util/time_format.hpp"
#include "util/utf8.hpp"

namespace memolib::core {

namespace {

constexpr int kDefaultPageSize = 50;
constexpr int kMaxPageSize = 500;
// A page of the list stops before its JSON passes this (it holds at least one message), so an
// answer, and the buffer it is built in, stays small however large the stored e-mails are.
constexpr std::size_t kPageBudgetBytes = std::size_t{1024} * 1024;
// What follows the messages: `],"spool":{"messages":N},"next_cursor":"…","request_id":"…"}`,
// with room to spare.
constexpr std::size_t kPageTailBytes = 256;
// Text and html are cut to this many characters in the list; the message by id has them whole.
constexpr std::size_t kListTextChars = 65536;
// Rows read per query while a page fills: with text and html cut, a bounded amount of memory.
constexpr int kRowsPerRead = 16;
// The longest /ready waits for the storage to answer a query: a load balancer's probe must get
// an answer, and a storage that takes longer is not fit to take requests.
constexpr std::chrono::milliseconds kReadyProbeWait{1000};
// The longest a read API query may take (at least storage.timeout).
constexpr std::uint64_t kReadTimeoutMs = 30000;

void invalid_parameter(Exchange& ex, const std::string& field, const std::string& message) {
    ex.fail(400, "invalid_parameter", "a query parameter is not valid",
            {FieldError{field, "invalid", message}});
}

// The parameters every list takes: `since` (RFC 3339 or a date, stored as the column holds it),
// `limit` and `cursor`. False once a bad one was answered 400.
bool read_page(Exchange& ex, std::string& since, int& limit, std::int64_t& after_id) {
    if (auto text = query_param(ex.query, "since"); text && !text->empty()) {
        auto ms = parse_rfc3339_ms(*text);
        if (!ms) {
            invalid_parameter(ex, "since", "an RFC 3339 time or a date (YYYY-MM-DD)");
            return false;
        }
        since = format_rfc3339_ms(*ms);
    }
    limit = kDefaultPageSize;
    if (auto text = query_param(ex.query, "limit")) {
        char* end = nullptr;
        const long v = std::strtol(text->c_str(), &end, 10);
        if (text->empty() || *end != '\0' || v < 1 || v > kMaxPageSize) {
            invalid_parameter(ex, "limit", "an integer from 1 to 500");
            return false;
        }
        limit = static_cast<int>(v);
    }
    if (auto text = query_param(ex.query, "cursor"); text && !text->empty()) {
        char* end = nullptr;
        const long long v = std::strtoll(text->c_str(), &end, 10);
        if (*end != '\0' || v < 0) {
            invalid_parameter(ex, "cursor", "the next_cursor of a previous page");
            return false;
        }
        after_id = v;
    }
    return true;
}

void storage_unavailable(Exchange& ex, const std::string& error) {
    ex.fail(503, "storage_unavailable", "storage is unreachable: " + error);
    ex.response_headers.emplace_back("Retry-After", "5");
}

// An entry as the API shows it; `raw` adds its headers and body (the list leaves them out).
void write_quarantine_json(JsonWriter& w, const QuarantineEntry& e, bool raw) {
    w.StartObject();
    w.Key("id");
    w.Int64(e.id);
    put(w, "channel", e.channel);
    put_opt(w, "provider", e.provider);
    put(w, "received_at", e.received_at);
    put(w, "request_id", e.request_id);
    put(w, "reason", e.reason);
    // Written by the gateway as JSON arrays: copied as they are.
    w.Key("details");
    const std::string& details = e.details_json.empty() ? std::string("[]") : e.details_json;
    w.RawValue(details.c_str(), details.size(), rapidjson::kArrayType);
    put(w, "state", e.state);
    put_opt(w, "content_type", e.content_type);
    if (raw) {
        // [name, value] pairs, in the order received, the secret-bearing ones left out.
        w.Key("headers");
        const std::string& headers = e.headers_json.empty() ? std::string("[]") : e.headers_json;
        w.RawValue(headers.c_str(), headers.size(), rapidjson::kArrayType);
        w.Key("raw");
        w.StartObject();
        put_opt(w, "content_type", e.content_type);
        // Like a message's raw payload: text when it is UTF-8, base64 otherwise.
        const bool text = is_valid_utf8(e.raw_body);
        put(w, "encoding", text ? "utf8" : "base64");
        put(w, "payload", text ? e.raw_body : base64_encode(e.raw_body));
        w.Key("size");
        w.Uint64(e.raw_body.size());
        w.EndObject();
    }
    w.EndObject();
}

// A positive decimal row id, as the routes' `{id}` carries it; nullopt for anything else.
std::optional<long long> row_id(const std::string& id) {
    char* end = nullptr;
    const long long v = std::strtoll(id.c_str(), &end, 10);
    if (id.empty() || *end != '\0' || v <= 0) return std::nullopt;
    return v;
}

// Ends a page of a list: the cursor of the next page (null on the last) and the request id.
void end_page(JsonWriter& w, bool more, long long last_id, const Exchange& ex) {
    w.Key("next_cursor");
    if (more) {
        const std::string cursor = std::to_string(last_id);
        w.String(cursor.c_str(), static_cast<rapidjson::SizeType>(cursor.size()));
    } else {
        w.Null();
    }
    put(w, "request_id", ex.request_id);
    w.EndObject();
}

}  // namespace

void refresh_quarantine_oldest(Database& db, const std::string& channel) {
    QuarantineQuery q;
    q.channel = channel;
    q.state = "pending";
    q.limit = 1;
    const std::vector<QuarantineEntry> first = db.find_quarantine(q);
    quarantine_pending().set_oldest(
        channel, first.empty() ? 0 : parse_rfc3339_ms(first.front().received_at).value_or(0));
}

AdminApi::AdminApi(StorageConfig storage, BatchWriter& writer, DashboardStats& stats, Reload reload)
    : storage_(std::move(storage)),
      writer_(writer),
      stats_(stats),
      reload_(std::move(reload)),
      probe_(std::make_unique<StorageProbe>(storage_)),
      ready_worker_(std::make_unique<WorkerThread>()),
      worker_(std::make_unique<WorkerThread>()) {}

AdminApi::~AdminApi() {
    worker_.reset();
    ready_worker_.reset();
}

void AdminApi::handle(const std::shared_ptr<Exchange>& ex, std::function<void()> done) {
    const RunsOn runs_on = ex->route->runs_on;
    if (runs_on == RunsOn::kIoThread) {
        answer(*ex);
        return done();
    }
    if (!worker_ || !ready_worker_) {
        ex->fail(503, "shutting_down", "this instance is shutting down; retry");
        return done();
    }
    WorkerThread& worker = runs_on == RunsOn::kReadyWorker ? *ready_worker_ : *worker_;
    worker.post([this, ex, done = std::move(done)]() mutable {
        try {
            if (ex->route->id == RouteId::kQuarantineReprocess)
                return reprocess(ex, std::move(done));
            answer(*ex);
        } catch (const std::exception& e) {
            log().error("admin_failed", {{"request_id", ex->request_id}, {"error", e.what()}});
            ex->fail(500, "internal_error", "the request failed; see the log for its request id");
        }
        // A re-processing that failed before handing `done` on still has it.
        if (done) done();
    });
}

void AdminApi::answer(Exchange& ex) {
    switch (ex.route->id) {
        case RouteId::kReady:
            return ready(ex);
        case RouteId::kDashboard:
            ex.status = 200;
            ex.response_content_type = "text/html; charset=utf-8";
            ex.response_body = dashboard_page();
            ex.response_headers.emplace_back("Cache-Control", "no-store");
            return;
        case RouteId::kDashboardJson: {
            const std::map<std::string, QuarantineSummary> quarantine = quarantine_summaries();
            const std::optional<SpoolSummary> spool = spool_summary();
            ex.status = 200;
            ex.response_content_type = "application/json";
            ex.response_body = stats_.to_json(ex.generation->channel_names(), ex.generation->alerts,
                                              &quarantine, spool ? &*spool : nullptr);
            ex.response_headers.emplace_back("Cache-Control", "no-store");
            return;
        }
        case RouteId::kMessages:
            return list_messages(ex);
        case RouteId::kMessage:
            return get_message(ex, ex.route_param);
        case RouteId::kReload:
            return reload(ex);
        case RouteId::kQuarantineList:
            return list_quarantine(ex);
        case RouteId::kQuarantineEntry:
            return quarantine_entry(ex, ex.route_param);
        default:
            ex.fail(404, "not_found", "no route for " + ex.path);
    }
}

std::map<std::string, QuarantineSummary> AdminApi::quarantine_summaries() {
    const std::int64_t now = now_ms();
    std::map<std::string, QuarantineSummary> out;
    for (const auto& [channel, n] : quarantine_pending().snapshot())
        out[channel].pending = static_cast<std::uint64_t>(std::max<std::int64_t>(n, 0));
    for (const auto& [channel, ms] : quarantine_pending().oldest())
        out[channel].oldest_age_seconds =
            static_cast<double>(std::max<std::int64_t>(now - ms, 0)) / 1000.0;
    return out;
}

std::optional<SpoolSummary> AdminApi::spool_summary() const {
    const std::optional<SpoolStats> stats = writer_.spool_stats();
    if (!stats) return std::nullopt;
    SpoolSummary out;
    out.depth = stats->depth;
    out.bytes = stats->bytes;
    out.max_bytes = stats->max_bytes;
    out.quarantined = stats->quarantined;
    if (stats->depth > 0 && stats->oldest_received_ms > 0) {
        out.oldest_age_seconds =
            static_cast<double>(std::max<std::int64_t>(now_ms() - stats->oldest_received_ms, 0)) /
            1000.0;
    }
    return out;
}

void AdminApi::resync_quarantine() {
    std::string error;
    Database* db = database(error);
    if (db == nullptr) return;
    try {
        const auto counts = db->quarantine_pending();
        quarantine_pending().reset_to(counts);
        for (const auto& [channel, n] : counts) refresh_quarantine_oldest(*db, channel);
    } catch (const StorageError&) {
        db_.reset();
    }
}

void AdminApi::reload_in_background(const std::string& trigger) {
    if (worker_) worker_->post([this, trigger] { reload_(trigger); });
}

void AdminApi::stop() {
    worker_.reset();
    ready_worker_.reset();
}

Database* AdminApi::database(std::string& error) {
    if (!db_) {
        try {
            // A person's filter over a large table may outlast a webhook's storage budget;
            // the read API's own connection and thread keep that off the webhooks' path.
            StorageConfig reads = storage_;
            reads.timeout_ms = std::max<std::uint64_t>(reads.timeout_ms, kReadTimeoutMs);
            db_ = Database::open(reads);
        } catch (const StorageError& e) {
            error = e.what();
            return nullptr;
        }
    }
    return db_.get();
}

void AdminApi::ready(Exchange& ex) {
    StorageProbe::Result probe = probe_->check(kReadyProbeWait);
    if (probe.ok && writer_.full()) {
        probe = {false, "the last transactions failed: the storage is full (see the log)"};
    }
    // With a spool the instance still takes messages while PostgreSQL is down, and says so:
    // a load balancer that took every instance out would turn a database outage into a total
    // one. Only a spool that cannot take them either makes it unready.
    const std::optional<SpoolSummary> spool = spool_summary();
    if (!probe.ok && (!spool || writer_.spool_full())) {
        // The reason names the database's host and port: only the admin sees it here.
        const bool admin = bearer_matches(ex, ex.generation->admin_token);
        if (spool) {
            ex.fail(503, "spool_full",
                    "storage is unavailable and the spool is full" +
                        (admin ? ": " + probe.error : std::string("; the log has the details")));
        } else {
            ex.fail(503, "storage_unavailable",
                    admin ? "storage is unavailable: " + probe.error
                          : std::string("storage is unavailable; the log has the details"));
        }
        ex.response_headers.emplace_back("Retry-After", "5");
        ex.response_headers.emplace_back("Cache-Control", "no-store");
        return;
    }
    const bool degraded = spool && (!probe.ok || writer_.degraded());
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    w.StartObject();
    put(w, "status", degraded ? "degraded" : "ready");
    put(w, "storage", probe.ok ? "ok" : "unavailable");
    // Informational: the writer retries on a fresh connection, so a failed last write does
    // not make the instance unready once the storage answers again.
    put(w, "last_write", writer_.healthy() ? "ok" : "failed");
    if (spool) {
        const std::string figures = DashboardStats::spool_json(*spool);
        w.Key("spool");
        w.RawValue(figures.c_str(), figures.size(), rapidjson::kObjectType);
    }
    w.Key("generation");
    w.Uint64(ex.generation->number);
    w.Key("channels");
    w.StartObject();
    for (const auto& [name, channel] : ex.generation->channels) {
        w.Key(name.c_str(), static_cast<rapidjson::SizeType>(name.size()));
        w.String(channel->config.plugin.c_str(),
                 static_cast<rapidjson::SizeType>(channel->config.plugin.size()));
    }
    w.EndObject();
    w.EndObject();
    answer_json(ex, 200, buf);
}

struct AdminApi::MessageSource {
    /// The spool file rather than the storage.
    bool spool = false;
    /// The spool's figures; nullopt without a spool.
    std::optional<SpoolStats> stats;
    /// The spool file, opened for this request alone.
    std::unique_ptr<Database> file;
    /// What to read: the storage's connection or `file`; nullptr for a spool file never written.
    Database* db = nullptr;
};

bool AdminApi::choose_source(Exchange& ex, MessageSource& out) {
    const std::string source = query_param(ex.query, "source").value_or("storage");
    if (source != "storage" && source != "spool") {
        invalid_parameter(ex, "source", "storage (the default) or spool");
        return false;
    }
    out.stats = writer_.spool_stats();
    out.spool = source == "spool";
    if (out.spool && !out.stats) {
        invalid_parameter(ex, "source",
                          "this instance has no spool (SQLite, or storage.spool.path empty)");
        return false;
    }
    return true;
}

bool AdminApi::open_source(Exchange& ex, MessageSource& out) {
    if (!out.spool) {
        std::string error;
        out.db = database(error);
        if (out.db == nullptr) storage_unavailable(ex, error);
        return out.db != nullptr;
    }
    // Opened for this request alone: the drainer empties the file while PostgreSQL answers,
    // and a file that was never written holds nothing to read.
    if (!std::filesystem::exists(storage_.spool_path)) return true;
    StorageConfig file;
    file.backend = "sqlite";
    file.url = storage_.spool_path;
    file.timeout_ms = std::max<std::uint64_t>(storage_.timeout_ms, kReadTimeoutMs);
    try {
        out.file = Database::open(file);
    } catch (const StorageError& e) {
        source_failed(ex, out, e.what());
        return false;
    }
    out.db = out.file.get();
    return true;
}

void AdminApi::source_failed(Exchange& ex, const MessageSource& source, const std::string& error) {
    if (source.spool) return storage_unavailable(ex, "the spool cannot be read: " + error);
    db_.reset();
    storage_unavailable(ex, error);
}

void AdminApi::list_messages(Exchange& ex) {
    MessageQuery q;
    q.channel = query_param(ex.query, "channel").value_or("");
    q.priority = query_param(ex.query, "priority").value_or("");
    if (!q.priority.empty() && q.priority != "low" && q.priority != "normal" &&
        q.priority != "high") {
        return invalid_parameter(ex, "priority", "one of low, normal, high");
    }
    if (!read_page(ex, q.since, q.limit, q.after_id)) return;
    MessageSource source;
    if (!choose_source(ex, source) || !open_source(ex, source)) return;
    Database* db = source.db;
    const int page_size = q.limit;
    // One character more than the list shows says whether a text was cut.
    q.max_text_chars = kListTextChars + 1;
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    w.StartObject();
    w.Key("messages");
    w.StartArray();
    int written = 0;
    std::int64_t last_id = 0;
    bool more = false;
    bool exhausted = false;
    // Rows are read a few at a time until the page is full, by count or by size; one row past
    // the page says whether there is a next one.
    // One message at a time, so that its size is known before it joins the page.
    rapidjson::StringBuffer one;
    while (db != nullptr && !more && !exhausted) {
        q.limit = std::min(page_size - written + 1, kRowsPerRead);
        std::vector<StoredMessage> rows;
        try {
            rows = db->find_messages(q);
        } catch (const StorageError& e) {
            return source_failed(ex, source, e.what());
        }
        exhausted = static_cast<int>(rows.size()) < q.limit;
        for (StoredMessage& m : rows) {
            if (written == page_size) {
                more = true;
                break;
            }
            ReadApiFields fields;
            fields.id = true;
            fields.list_cuts = true;
            fields.text_cut = cut_to_chars(m.text, kListTextChars);
            fields.html_cut = cut_to_chars(m.html, kListTextChars);
            fields.metadata = true;
            if (source.spool) fields.source = "spool";
            one.Clear();
            JsonWriter mw(one);
            write_message_json(mw, m, fields);
            // The comma before it, and room for the cursor and request id after the array.
            if (written > 0 &&
                buf.GetSize() + one.GetSize() + 1 + kPageTailBytes > kPageBudgetBytes) {
                more = true;
                break;
            }
            w.RawValue(one.GetString(), one.GetSize(), rapidjson::kObjectType);
            ++written;
            last_id = m.id;
        }
        if (!rows.empty()) q.after_id = rows.back().id;
    }
    w.EndArray();
    // The messages a client does not find here yet: taken, and waiting in this instance's
    // spool for PostgreSQL.
    if (source.stats && !source.spool) {
        w.Key("spool");
        w.StartObject();
        w.Key("messages");
        w.Int64(source.stats->depth);
        w.EndObject();
    }
    end_page(w, more, last_id, ex);
    answer_json(ex, 200, buf);
}

void AdminApi::get_message(Exchange& ex, const std::string& id) {
    MessageSource source;
    if (!choose_source(ex, source)) return;
    const std::optional<long long> parsed = row_id(id);
    if (!parsed) {
        ex.fail(404, "not_found", "no message with id '" + id + "'");
        return;
    }
    if (!open_source(ex, source)) return;
    std::optional<StoredMessage> m;
    try {
        // A spool file never written holds no message.
        if (source.db != nullptr) m = source.db->find_message(*parsed);
    } catch (const StorageError& e) {
        return source_failed(ex, source, e.what());
    }
    if (!m) {
        // The spool's ids are its own: a message drained meanwhile is in the storage under
        // another id.
        ex.fail(404, "not_found",
                source.spool ? "message " + id +
                                   " is not in the spool: drained into storage, or never spooled"
                             : "no message with id " + id);
        return;
    }
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    ReadApiFields fields;
    fields.id = true;
    fields.metadata = true;
    fields.raw = true;
    if (source.spool) fields.source = "spool";
    write_message_json(w, *m, fields);
    answer_json(ex, 200, buf);
}

void AdminApi::list_quarantine(Exchange& ex) {
    QuarantineQuery q;
    q.channel = query_param(ex.query, "channel").value_or("");
    q.state = query_param(ex.query, "state").value_or("");
    if (!q.state.empty() && q.state != "pending" && q.state != "reprocessed" &&
        q.state != "discarded") {
        return invalid_parameter(ex, "state", "one of pending, reprocessed, discarded");
    }
    int page_size = kDefaultPageSize;
    if (!read_page(ex, q.since, page_size, q.after_id)) return;
    // One row past the page says whether there is a next one. Without their raw bodies the
    // entries are small, so a page needs no byte budget.
    q.limit = page_size + 1;
    std::string error;
    Database* db = database(error);
    if (db == nullptr) return storage_unavailable(ex, error);
    std::vector<QuarantineEntry> rows;
    try {
        rows = db->find_quarantine(q);
    } catch (const StorageError& e) {
        db_.reset();
        return storage_unavailable(ex, e.what());
    }
    const bool more = static_cast<int>(rows.size()) > page_size;
    if (more) rows.resize(static_cast<std::size_t>(page_size));
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    w.StartObject();
    w.Key("entries");
    w.StartArray();
    for (const QuarantineEntry& e : rows) write_quarantine_json(w, e, false);
    w.EndArray();
    end_page(w, more, rows.empty() ? 0 : rows.back().id, ex);
    answer_json(ex, 200, buf);
}

void AdminApi::quarantine_entry(Exchange& ex, const std::string& id) {
    const std::optional<long long> parsed = row_id(id);
    if (!parsed) {
        ex.fail(404, "not_found", "no quarantine entry with id '" + id + "'");
        return;
    }
    const long long v = *parsed;
    std::string error;
    Database* db = database(error);
    if (db == nullptr) return storage_unavailable(ex, error);
    std::optional<QuarantineEntry> entry;
    bool discarded = false;
    try {
        entry = db->find_quarantine_entry(v);
        // Only a pending entry is discarded, and only once however many ask at the same time.
        if (entry && ex.method == "DELETE")
            discarded = db->set_quarantine_state(v, "pending", "discarded");
    } catch (const StorageError& e) {
        db_.reset();
        return storage_unavailable(ex, e.what());
    }
    if (!entry) {
        ex.fail(404, "not_found", "no quarantine entry with id " + id);
        return;
    }
    if (ex.method == "DELETE") {
        if (!discarded) {
            resync_quarantine();
            ex.fail(409, "not_pending",
                    "quarantine entry " + id + " is not pending (it was " + entry->state + ")");
            return;
        }
        quarantine_pending().add(entry->channel, -1);
        try {
            refresh_quarantine_oldest(*db, entry->channel);
        } catch (const StorageError&) {
            db_.reset();
        }
        log().info(
            "quarantine_discarded",
            {{"request_id", ex.request_id}, {"quarantine_id", id}, {"channel", entry->channel}});
        entry->state = "discarded";
    }
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    write_quarantine_json(w, *entry, ex.method != "DELETE");
    answer_json(ex, 200, buf);
}

void AdminApi::reprocess(const std::shared_ptr<Exchange>& ex, std::function<void()> done) {
    const std::string& id = ex->route_param;
    const std::optional<long long> parsed = row_id(id);
    if (!parsed) {
        ex->fail(404, "not_found", "no quarantine entry with id '" + id + "'");
        return done();
    }
    const long long v = *parsed;
    std::string error;
    Database* db = database(error);
    if (db == nullptr) {
        storage_unavailable(*ex, error);
        return done();
    }
    std::optional<QuarantineEntry> entry;
    try {
        entry = db->find_quarantine_entry(v);
    } catch (const StorageError& e) {
        db_.reset();
        storage_unavailable(*ex, e.what());
        return done();
    }
    if (!entry) {
        ex->fail(404, "not_found", "no quarantine entry with id " + id);
        return done();
    }
    if (entry->state != "pending") {
        resync_quarantine();
        ex->fail(409, "not_pending",
                 "quarantine entry " + id + " is not pending (it was " + entry->state + ")");
        return done();
    }
    auto channel = ex->generation->channels.find(entry->channel);
    if (channel == ex->generation->channels.end()) {
        ex->fail(409, "unknown_channel",
                 "channel '" + entry->channel + "' is not configured; the entry stays pending");
        return done();
    }
    // The stored request as it arrived, under this request's id: the messages it makes name
    // the re-processing, whose log line names the entry.
    auto x = std::make_shared<Exchange>();
    x->method = "POST";
    x->path = "/webhooks/" + entry->channel;
    x->target = x->path;
    x->content_type = entry->content_type;
    x->body = std::move(entry->raw_body);
    rapidjson::Document headers;
    headers.Parse(entry->headers_json.c_str(), entry->headers_json.size());
    if (headers.IsArray()) {
        for (const auto& h : headers.GetArray()) {
            if (h.IsArray() && h.Size() == 2 && h[0].IsString() && h[1].IsString())
                x->headers.emplace_back(h[0].GetString(), h[1].GetString());
        }
    }
    x->request_id = ex->request_id;
    x->received_at_ms = parse_rfc3339_ms(entry->received_at).value_or(ex->received_at_ms);
    x->route = ex->route;
    x->generation = ex->generation;
    x->channel = channel->second;
    x->reprocess_quarantine_id = v;
    const std::string name = entry->channel;
    ex->generation->pipeline->run(x, [this, ex, x, v, name, done = std::move(done)]() mutable {
        // This may run on the storage writer's thread: the table is read again on the worker's,
        // before the answer, so that what the operator looks at next agrees with it.
        std::function<void()> after;
        if (x->status != 0) {
            if (x->reason == "not_pending") after = [this] { resync_quarantine(); };
            ex->status = x->status;
            ex->reason = x->reason;
            ex->response_content_type = x->response_content_type;
            ex->response_body = std::move(x->response_body);
            ex->response_headers = std::move(x->response_headers);
        } else {
            quarantine_pending().add(name, -1);
            after = [this, name] {
                std::string error;
                Database* db = database(error);
                try {
                    if (db != nullptr) refresh_quarantine_oldest(*db, name);
                } catch (const StorageError&) {
                    db_.reset();
                }
            };
            answer_webhook_success(*x);
            log().info("quarantine_reprocessed",
                       {{"request_id", ex->request_id},
                        {"quarantine_id", static_cast<long long>(v)},
                        {"channel", name},
                        {"messages", static_cast<long long>(x->messages.size())}});
            rapidjson::StringBuffer buf;
            JsonWriter w(buf);
            w.StartObject();
            put(w, "status", "reprocessed");
            w.Key("quarantine_id");
            w.Int64(v);
            put(w, "request_id", ex->request_id);
            w.Key("messages");
            w.RawValue(x->messages_json.c_str(), x->messages_json.size(), rapidjson::kArrayType);
            w.EndObject();
            answer_json(*ex, 200, buf);
        }
        if (after && worker_) {
            worker_->post([after = std::move(after), done = std::move(done)] {
                after();
                done();
            });
            return;
        }
        done();
    });
}

void AdminApi::reload(Exchange& ex) {
    ReloadOutcome outcome = reload_("api");
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    if (!outcome.ok) {
        std::vector<FieldError> details;
        for (const std::string& e : outcome.errors) details.push_back({"", "invalid_config", e});
        ex.fail(422, "reload_failed",
                "the configuration was not reloaded; the running one stays in force", details);
        return;
    }
    w.StartObject();
    put(w, "status", "reloaded");
    w.Key("generation");
    w.Uint64(outcome.generation);
    w.Key("restart_required");
    w.StartArray();
    for (const std::string& key : outcome.restart_required)
        w.String(key.c_str(), static_cast<rapidjson::SizeType>(key.size()));
    w.EndArray();
    w.Key("plugins");
    w.StartArray();
    for (const auto& [name, file] : outcome.plugins) {
        w.StartObject();
        put(w, "name", name);
        put(w, "file", file);
        w.EndObject();
    }
    w.EndArray();
    w.Key("set_aside");
    w.StartArray();
    for (const auto& [file, reason] : outcome.set_aside) {
        w.StartObject();
        put(w, "file", file);
        put(w, "reason", reason);
        w.EndObject();
    }
    w.EndArray();
    put(w, "request_id", ex.request_id);
    w.EndObject();
    answer_json(ex, 200, buf);
}

}  // namespace memolib::core
