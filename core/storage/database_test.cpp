#include "storage/database.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <thread>

#include <boost/test/unit_test.hpp>
#include <rapidjson/document.h>
#include <soci/soci.h>

#include "app/message_json.hpp"
#include "stages/stages.hpp"
#include "storage/batch_writer.hpp"
#include "storage/migrations.hpp"
#include "util/sha256.hpp"
#include "util/time_format.hpp"

using namespace memolib::core;
namespace fs = std::filesystem;

namespace {

// The PostgreSQL URL: MEMOLIB_TEST_PG_URL, or the one the CTest fixture's server wrote.
std::string postgres_url() {
    if (const char* env = std::getenv("MEMOLIB_TEST_PG_URL"); env != nullptr && *env != '\0')
        return env;
    std::ifstream in(std::string(MEMOLIB_BINARY_DIR) + "/postgres/url");
    std::string url;
    std::getline(in, url);
    BOOST_REQUIRE_MESSAGE(!url.empty(),
                          "no PostgreSQL: run through ctest (fixture 'postgres') "
                          "or set MEMOLIB_TEST_PG_URL");
    return url;
}

fs::path sqlite_dir() {
    return fs::temp_directory_path() / ("memolib_db_test_" + std::to_string(::getpid()));
}

// Removes the SQLite files of the test run when the module ends.
struct RemoveSqliteFiles {
    ~RemoveSqliteFiles() {
        std::error_code ec;
        fs::remove_all(sqlite_dir(), ec);
    }
};
BOOST_TEST_GLOBAL_FIXTURE(RemoveSqliteFiles);

StorageConfig sqlite_config() {
    static int n = 0;
    fs::path dir = sqlite_dir();
    fs::create_directories(dir);
    StorageConfig c;
    c.backend = "sqlite";
    c.url = (dir / ("t" + std::to_string(n++) + ".db")).string();
    return c;
}

StorageConfig postgres_config() {
    StorageConfig c;
    c.backend = "postgresql";
    c.url = postgres_url();
    // Each run starts from an empty schema so that counts are exact.
    auto db = Database::open(c);
    auto [backend, connect] = soci_connection(c);
    soci::session s(backend, connect);
    s << "DROP TABLE IF EXISTS messages";
    s << "DROP TABLE IF EXISTS quarantine";
    s << "DROP TABLE IF EXISTS schema_migrations";
    return c;
}

// The dedup key a test message named `key` is given, and the column text it is stored as.
Sha256Digest test_key(const std::string& key) { return sha256({key}); }
std::string stored_key(const std::string& key) { return to_hex(test_key(key)); }

NormalizedMessage message(const std::string& key, const std::string& text) {
    NormalizedMessage m;
    m.channel = "form";
    m.provider = "website";
    m.sender = "jane@example.org";
    m.sender_masked = "j***@e***.org";
    m.text = text;
    m.dedup_key = test_key(key);
    m.request_id = "req-" + key;
    m.received_at_ms = now_ms();
    m.attachments.push_back({"cv.pdf", "application/pdf", 1234, "", ""});
    return m;
}

long long count_rows(const StorageConfig& c) {
    auto [backend, connect] = soci_connection(c);
    soci::session s(backend, connect);
    long long n = 0;
    s << "SELECT COUNT(*) FROM messages", soci::into(n);
    return n;
}

// How many migrations a new database applies (versions may be merged out of order).
int migration_count() { return static_cast<int>(migrations().size()); }

// The read API's JSON of a stored row, parsed, so that two are compared as JSON values.
rapidjson::Document read_api_json(const StoredMessage& m) {
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    ReadApiFields extra;
    extra.id = true;
    extra.metadata = true;
    extra.raw = true;
    write_message_json(w, m, extra);
    rapidjson::Document doc;
    doc.Parse(buf.GetString(), buf.GetSize());
    return doc;
}

void exercise(const StorageConfig& config) {
    auto db = Database::open(config);
    BOOST_TEST(db->schema_version() == 0);
    BOOST_TEST(db->migrate() == migration_count());
    BOOST_TEST(db->migrate() == 0);
    BOOST_TEST(db->schema_version() == latest_schema_version());
    BOOST_TEST(db->ping());

    std::string raw = R"({"message":"bonjour"})";
    std::string binary("\x89PNG\0\xff", 6);
    std::string ct = "application/json";
    std::vector<NormalizedMessage> msgs = {message("k1", "bonjour"), message("k2", "hello"),
                                           message("k1", "same key")};
    std::vector<StoreItem> items = {
        {&msgs[0], &raw, &ct}, {&msgs[1], &binary, &ct}, {&msgs[2], &raw, &ct}};
    db->insert_batch(items);
    BOOST_TEST((msgs[0].status == NormalizedMessage::Status::kStored));
    BOOST_TEST((msgs[1].status == NormalizedMessage::Status::kStored));
    BOOST_TEST(msgs[0].id > 0);
    BOOST_TEST(msgs[1].id != msgs[0].id);
    // The same key inside one transaction is already a duplicate of the first.
    BOOST_TEST((msgs[2].status == NormalizedMessage::Status::kDuplicate));
    BOOST_TEST(msgs[2].id == msgs[0].id);

    std::vector<NormalizedMessage> again = {message("k1", "bonjour")};
    std::vector<StoreItem> again_items = {{&again[0], &raw, &ct}};
    db->insert_batch(again_items);
    BOOST_TEST((again[0].status == NormalizedMessage::Status::kDuplicate));
    BOOST_TEST(again[0].id == msgs[0].id);
    BOOST_TEST(count_rows(config) == 2);

    auto stored = db->find_message(msgs[1].id);
    BOOST_REQUIRE(stored.has_value());
    BOOST_TEST(stored->raw_encoding == "base64");
    BOOST_TEST(stored->raw_payload == "iVBORwD/");
    BOOST_TEST(stored->request_id == "req-k2");
    BOOST_TEST(stored->received_at == format_rfc3339_ms(msgs[1].received_at_ms));
    auto text = db->find_message(msgs[0].id);
    BOOST_REQUIRE(text.has_value());
    BOOST_TEST(text->raw_encoding == "utf8");
    BOOST_TEST(text->raw_payload == raw);

    auto [backend, connect] = soci_connection(config);
    soci::session s(backend, connect);
    std::string payload, attachments;
    const std::string where = " FROM messages WHERE dedup_key = '" + stored_key("k2") + "'";
    if (backend == "postgresql") {
        // The bytes themselves, and JSON PostgreSQL reads.
        s << "SELECT encode(raw_payload, 'hex'), attachments->0->>'name'" + where,
            soci::into(payload), soci::into(attachments);
        BOOST_TEST(payload == "89504e4700ff");
        BOOST_TEST(attachments == "cv.pdf");
    } else {
        s << "SELECT raw_payload, attachments" + where, soci::into(payload),
            soci::into(attachments);
        BOOST_TEST(payload == "iVBORwD/");
        BOOST_TEST(attachments ==
                   R"([{"name":"cv.pdf","content_type":"application/pdf","size":1234}])");
    }
}

// A database of schema version 2, with rows as the text columns held them (text times, a
// payload as is and one in base64, JSON text, metadata that is not JSON, a provider time before
// year 1), is upgraded: the read API shows every row as it did (but that time, absent on
// PostgreSQL), and on PostgreSQL the columns have their native types and are queried as such.
void upgrade_to_native_columns(const StorageConfig& config, bool postgres) {
    const std::vector<StoredMessage> old_rows = [] {
        StoredMessage a;
        a.channel = "sms";
        a.provider = "twilio";
        a.external_id = "SM1";
        a.sender = "+33612345678";
        a.text = "bonjour \\ ça va ?";
        a.attachments_json = R"([{"name":"a.jpg","content_type":"image/jpeg","size":12}])";
        a.provider_timestamp = "2026-11-28T09:59:58.123Z";
        a.received_at = format_rfc3339_ms(now_ms() - 60'000);
        a.language = "fr";
        a.priority = "normal";
        a.dedup_key = stored_key("old-a");
        a.request_id = "r-a";
        a.metadata_json = R"({"account_sid":"AC1","num_media":1})";
        a.raw_content_type = "application/x-www-form-urlencoded";
        a.raw_encoding = "utf8";
        a.raw_payload = R"(Body=bonjour \\x41 \x&From=%2B33612345678)";
        StoredMessage b = a;
        b.external_id = "SM2";
        b.text = "binary";
        b.attachments_json = "[]";
        b.provider_timestamp.clear();
        b.received_at = "2026-11-01T00:00:00.000Z";
        b.dedup_key = stored_key("old-b");
        b.request_id = "r-b";
        b.metadata_json = "not json {";
        b.raw_encoding = "base64";
        b.raw_payload = "iVBORwD/";
        StoredMessage c = a;
        c.external_id = "SM3";
        c.provider_timestamp = "0000-01-01T00:00:00.000Z";
        c.received_at = "2026-11-01T00:00:01.000Z";
        c.dedup_key = stored_key("old-c");
        c.request_id = "r-c";
        return std::vector<StoredMessage>{a, b, c};
    }();
    {
        auto [backend, connect] = soci_connection(config);
        soci::session s(backend, connect);
        s << "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
             "applied_at TEXT NOT NULL)";
        const Migration& first = migrations().front();
        std::string sql = postgres ? first.postgresql : first.sqlite;
        for (std::size_t start = 0; start < sql.size();) {
            const std::size_t end = std::min(sql.find(';', start), sql.size());
            const std::string statement = sql.substr(start, end - start);
            if (statement.find_first_not_of(" \n") != std::string::npos) s << statement;
            start = end + 1;
        }
        s << "INSERT INTO schema_migrations VALUES (1, 'create messages', '2026-11-01T00:00:00Z')";
        s << "INSERT INTO schema_migrations VALUES (2, 'dedup keys name the provider', "
             "'2026-11-01T00:00:00Z')";
        for (const StoredMessage& r : old_rows) {
            soci::indicator pts = r.provider_timestamp.empty() ? soci::i_null : soci::i_ok;
            s << "INSERT INTO messages (channel, provider, external_id, sender, text, "
                 "attachments, provider_timestamp, received_at, language, priority, dedup_key, "
                 "request_id, metadata, raw_content_type, raw_encoding, raw_payload) VALUES (:c, "
                 ":p, :e, :s, :t, :a, :pt, :ra, :l, :pr, :k, :r, :m, :ct, :re, :rp)",
                soci::use(r.channel), soci::use(r.provider), soci::use(r.external_id),
                soci::use(r.sender), soci::use(r.text), soci::use(r.attachments_json),
                soci::use(r.provider_timestamp, pts), soci::use(r.received_at),
                soci::use(r.language), soci::use(r.priority), soci::use(r.dedup_key),
                soci::use(r.request_id), soci::use(r.metadata_json), soci::use(r.raw_content_type),
                soci::use(r.raw_encoding), soci::use(r.raw_payload);
        }
    }

    auto db = Database::open(config);
    BOOST_TEST(db->migrate() == migration_count() - 2);
    BOOST_TEST(db->schema_version() == latest_schema_version());
    for (std::size_t i = 0; i < old_rows.size(); ++i) {
        auto row = db->find_message(static_cast<std::int64_t>(i + 1));
        BOOST_REQUIRE(row.has_value());
        StoredMessage before = old_rows[i];
        before.id = row->id;
        // A provider time before year 1, which timestamptz cannot hold, is absent.
        if (postgres && before.external_id == "SM3") before.provider_timestamp.clear();
        BOOST_TEST(row->received_at == before.received_at);
        BOOST_TEST(row->provider_timestamp == before.provider_timestamp);
        BOOST_TEST(row->raw_payload == before.raw_payload);
        BOOST_TEST((read_api_json(*row) == read_api_json(before)),
                   "row " << i + 1 << " reads differently after the upgrade");
    }
    MessageQuery since;
    since.since = "2026-11-02T00:00:00.000Z";
    const auto recent = db->find_messages(since);
    BOOST_REQUIRE_EQUAL(recent.size(), 1U);
    BOOST_TEST(recent.front().external_id == "SM1");

    auto [backend, connect] = soci_connection(config);
    soci::session s(backend, connect);
    if (!postgres) {
        std::string type;
        s << "SELECT typeof(received_at) FROM messages WHERE id = 1", soci::into(type);
        BOOST_TEST(type == "text");
        return;
    }
    std::map<std::string, std::string> types;
    {
        std::string column, type;
        soci::statement st =
            (s.prepare << "SELECT column_name, data_type FROM information_schema.columns WHERE "
                          "table_name = 'messages' AND table_schema = current_schema()",
             soci::into(column), soci::into(type));
        st.execute();
        while (st.fetch()) types[column] = type;
    }
    BOOST_TEST(types["received_at"] == "timestamp with time zone");
    BOOST_TEST(types["provider_timestamp"] == "timestamp with time zone");
    BOOST_TEST(types["attachments"] == "jsonb");
    BOOST_TEST(types["metadata"] == "jsonb");
    BOOST_TEST(types["raw_payload"] == "bytea");
    std::string external_id, sid, not_json, hex;
    s << "SELECT external_id FROM messages WHERE received_at > now() - interval '1 hour'",
        soci::into(external_id);
    BOOST_TEST(external_id == "SM1");
    s << "SELECT metadata->>'account_sid' FROM messages WHERE id = 1", soci::into(sid);
    BOOST_TEST(sid == "AC1");
    // The metadata that was not JSON is that text, as a JSON string.
    s << "SELECT metadata #>> '{}', encode(raw_payload, 'hex') FROM messages WHERE id = 2",
        soci::into(not_json), soci::into(hex);
    BOOST_TEST(not_json == "not json {");
    BOOST_TEST(hex == "89504e4700ff");
}

// The dedup key as version 1 wrote it (channel and provider id, or channel and content):
// frozen here, since rows keyed this way are still in databases being upgraded.
std::string version_1_key(const std::string& channel, const std::string& external_id) {
    return to_hex(sha256({std::string("v1\0id\0", 6), channel, std::string(1, '\0'), external_id}));
}
std::string version_1_content_key(const std::string& channel, const std::string& sender,
                                  const std::string& folded_text, std::int64_t timestamp_ms) {
    const std::string nul(1, '\0');
    return to_hex(sha256({std::string("v1\0content\0", 11), channel, nul, sender, nul, folded_text,
                          nul, std::to_string(timestamp_ms)}));
}

// A database left by a gateway of schema version 1 with rows under version 1's keys is
// upgraded; providers then re-deliver: what was stored is a duplicate of its row, and a
// message of another provider that named the same id is stored on its own.
void upgrade_from_version_1(const StorageConfig& config, bool postgres) {
    const std::int64_t timestamp_ms = 1764547506123;
    {
        auto [backend, connect] = soci_connection(config);
        soci::session s(backend, connect);
        s << "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
             "applied_at TEXT NOT NULL)";
        const Migration& first = migrations().front();
        BOOST_REQUIRE_EQUAL(first.version, 1);
        std::string sql = postgres ? first.postgresql : first.sqlite;
        for (std::size_t start = 0; start < sql.size();) {
            const std::size_t end = std::min(sql.find(';', start), sql.size());
            const std::string statement = sql.substr(start, end - start);
            if (statement.find_first_not_of(" \n") != std::string::npos) s << statement;
            start = end + 1;
        }
        s << "INSERT INTO schema_migrations VALUES (1, 'create messages', '2026-11-01T00:00:00Z')";
        const std::string insert =
            "INSERT INTO messages (channel, provider, external_id, sender, text, "
            "provider_timestamp, received_at, dedup_key, request_id, raw_encoding, raw_payload) "
            "VALUES (:c, :p, :e, :s, :t, :pt, '2026-11-28T10:00:00.000Z', :k, 'r', 'utf8', '{}')";
        const auto row = [&](const std::string& channel, const std::string& provider,
                             const std::string& external_id, const std::string& sender,
                             const std::string& text, const std::string& key) {
            soci::indicator no_id = external_id.empty() ? soci::i_null : soci::i_ok;
            std::string id = external_id;
            std::string pt = format_rfc3339_ms(timestamp_ms);
            s << insert, soci::use(channel), soci::use(provider), soci::use(id, no_id),
                soci::use(sender), soci::use(text), soci::use(pt), soci::use(key);
        };
        row("whatsapp", "meta", "wamid.OLD", "+33612345678", "bonjour",
            version_1_key("whatsapp", "wamid.OLD"));
        row("email", "mime", "X@example.com", "mallory@example.net", "forged",
            version_1_key("email", "X@example.com"));
        row("form", "website", "", "jane@example.org", "Bonjour,\n  un rendez-vous ?",
            version_1_content_key("form", "jane@example.org", "Bonjour, un rendez-vous ?",
                                  timestamp_ms));
    }

    auto db = Database::open(config);
    BOOST_TEST(db->migrate() == migration_count() - 1);
    BOOST_TEST(db->schema_version() == latest_schema_version());

    const auto redelivered = [&](const std::string& channel, const std::string& provider,
                                 const std::string& external_id, const std::string& sender,
                                 const std::string& text) {
        NormalizedMessage m = message("", text);
        m.channel = channel;
        m.provider = provider;
        m.external_id = external_id;
        m.sender = sender;
        m.provider_timestamp_ms = timestamp_ms;
        m.dedup_key = dedup_key(m);
        return m;
    };
    std::string raw = "{}";
    std::string ct = "application/json";
    std::vector<NormalizedMessage> msgs = {
        redelivered("whatsapp", "meta", "wamid.OLD", "+33612345678", "bonjour"),
        redelivered("email", "mailgun", "X@example.com", "bob@example.com", "genuine"),
        redelivered("form", "website", "", "jane@example.org", "Bonjour, un rendez-vous ?  ")};
    std::vector<StoreItem> items = {
        {&msgs[0], &raw, &ct}, {&msgs[1], &raw, &ct}, {&msgs[2], &raw, &ct}};
    db->insert_batch(items);
    BOOST_TEST((msgs[0].status == NormalizedMessage::Status::kDuplicate));
    BOOST_TEST(msgs[0].id == 1);
    BOOST_TEST((msgs[1].status == NormalizedMessage::Status::kStored));
    BOOST_TEST(msgs[1].id > 3);
    BOOST_TEST((msgs[2].status == NormalizedMessage::Status::kDuplicate));
    BOOST_TEST(msgs[2].id == 3);
    BOOST_TEST(count_rows(config) == 4);
}

// Submits one job of one message per element of `batches` (keys prefix0, prefix1, …);
// `committed` counts the jobs committed.
void submit_jobs(BatchWriter& writer, const std::string& prefix,
                 std::vector<std::vector<NormalizedMessage>>& batches, const std::string& raw,
                 const std::string& ct, std::atomic<int>& committed) {
    for (std::size_t i = 0; i < batches.size(); ++i) {
        batches[i].push_back(message(prefix + std::to_string(i), "m"));
        StoreJob job;
        job.messages = &batches[i];
        job.raw_payload = &raw;
        job.content_type = &ct;
        job.done = [&committed](StoreOutcome o, const std::string&) {
            if (o == StoreOutcome::kCommitted) ++committed;
        };
        writer.submit(std::move(job));
    }
}

void group_commit(const StorageConfig& base) {
    StorageConfig config = base;
    config.batch_max_messages = 8;
    config.batch_max_delay_ms = 20;
    Database::open(config)->migrate();
    BatchWriter writer(config, RetryPolicy{});
    writer.start();
    constexpr int kJobs = 50;
    std::string raw = "x";
    std::string ct = "text/plain";
    std::vector<std::vector<NormalizedMessage>> batches(kJobs);
    std::atomic<int> committed{0};
    submit_jobs(writer, "g", batches, raw, ct, committed);
    writer.stop();
    BOOST_TEST(committed.load() == kJobs);
    BOOST_TEST(count_rows(config) == kJobs);
    for (const auto& b : batches) BOOST_TEST((b[0].status == NormalizedMessage::Status::kStored));
}

QuarantineEntry quarantined(const std::string& channel, const std::string& body) {
    QuarantineEntry e;
    e.channel = channel;
    e.received_at = "2026-12-04T10:00:00.000Z";
    e.request_id = "req-" + channel;
    e.reason = "invalid_payload";
    e.details_json = R"([{"field":"entry","code":"type","message":"not a list"}])";
    e.content_type = "application/json";
    e.headers_json = R"([["X-Hub-Signature-256","sha256=00"]])";
    e.raw_body = body;
    return e;
}

// The quarantine table's functions: an insert keeps every column (binary bodies too), the
// same bytes again are the existing entry, the cap refuses what would exceed it, the list
// filters and pages, a state moves only from the state it is in, and the pending counts are
// per channel.
void quarantine_storage(const StorageConfig& config) {
    auto db = Database::open(config);
    db->migrate();
    BOOST_TEST(db->schema_version() >= 3);

    QuarantineEntry first = quarantined("whatsapp", R"({"entry":"x"})");
    BOOST_TEST((db->insert_quarantine(first, 1000) == QuarantineInsert::kInserted));
    BOOST_TEST(first.id > 0);
    BOOST_TEST(first.dedup_key == quarantine_key("whatsapp", "application/json", first.raw_body));

    QuarantineEntry again = quarantined("whatsapp", R"({"entry":"x"})");
    again.request_id = "another-request";
    BOOST_TEST((db->insert_quarantine(again, 1000) == QuarantineInsert::kExisting));
    BOOST_TEST(again.id == first.id);
    // The same body on another channel, or as another media type, is another entry.
    QuarantineEntry other_channel = quarantined("sms", R"({"entry":"x"})");
    BOOST_TEST((db->insert_quarantine(other_channel, 1000) == QuarantineInsert::kInserted));
    QuarantineEntry other_type = quarantined("whatsapp", R"({"entry":"x"})");
    other_type.content_type = "text/plain";
    BOOST_TEST((db->insert_quarantine(other_type, 1000) == QuarantineInsert::kInserted));

    const std::string binary("\x00\xff\xfe binary", 10);
    QuarantineEntry bytes = quarantined("email", binary);
    BOOST_TEST((db->insert_quarantine(bytes, 1000) == QuarantineInsert::kInserted));
    const std::optional<QuarantineEntry> read = db->find_quarantine_entry(bytes.id);
    BOOST_REQUIRE(read.has_value());
    BOOST_TEST(read->raw_body == binary);
    BOOST_TEST(read->channel == "email");
    BOOST_TEST(read->state == "pending");
    BOOST_TEST(read->reason == "invalid_payload");
    BOOST_TEST(read->details_json == bytes.details_json);
    BOOST_TEST(read->headers_json == bytes.headers_json);
    BOOST_TEST(read->received_at == bytes.received_at);
    BOOST_TEST(read->request_id == bytes.request_id);
    BOOST_TEST(read->dedup_key == bytes.dedup_key);
    BOOST_TEST(!db->find_quarantine_entry(bytes.id + 1000).has_value());

    // 13 + 13 + 13 + 10 bytes are held: 951 more fit a cap of 1000, 952 do not.
    QuarantineEntry too_big = quarantined("whatsapp", std::string(952, 'a'));
    BOOST_TEST((db->insert_quarantine(too_big, 1000) == QuarantineInsert::kFull));
    BOOST_TEST(too_big.id == 0);
    QuarantineEntry fits = quarantined("whatsapp", std::string(951, 'a'));
    BOOST_TEST((db->insert_quarantine(fits, 1000) == QuarantineInsert::kInserted));
    // Full, the existing entry is still found.
    BOOST_TEST((db->insert_quarantine(again, 1000) == QuarantineInsert::kExisting));

    QuarantineQuery q;
    q.channel = "whatsapp";
    std::vector<QuarantineEntry> listed = db->find_quarantine(q);
    BOOST_REQUIRE_EQUAL(listed.size(), 3U);
    BOOST_TEST(listed[0].id == first.id);
    BOOST_TEST(listed[0].raw_body.empty());
    q.limit = 1;
    q.after_id = listed[0].id;
    listed = db->find_quarantine(q);
    BOOST_REQUIRE_EQUAL(listed.size(), 1U);
    BOOST_TEST(listed[0].id == other_type.id);

    BOOST_TEST(db->set_quarantine_state(first.id, "pending", "reprocessed"));
    // Only one of two re-processings wins.
    BOOST_TEST(!db->set_quarantine_state(first.id, "pending", "reprocessed"));
    BOOST_TEST(db->find_quarantine_entry(first.id)->state == "reprocessed");
    QuarantineQuery pending;
    pending.state = "pending";
    BOOST_TEST(db->find_quarantine(pending).size() == 4U);

    const std::vector<std::pair<std::string, std::int64_t>> counts = db->quarantine_pending();
    const std::vector<std::pair<std::string, std::int64_t>> expected = {
        {"email", 1}, {"sms", 1}, {"whatsapp", 2}};
    BOOST_TEST((counts == expected));
}

// A re-processing stores its messages and marks the entry in one transaction; a second one
// (the entry no longer pending) commits nothing, not even a message with a new key.
void reprocess_once(const StorageConfig& config) {
    auto db = Database::open(config);
    db->migrate();
    QuarantineEntry entry = quarantined("whatsapp", R"({"entry":"x"})");
    BOOST_REQUIRE((db->insert_quarantine(entry, 1000) == QuarantineInsert::kInserted));
    std::string raw = entry.raw_body;
    std::string ct = entry.content_type;
    std::vector<NormalizedMessage> first = {message("r1", "bonjour")};
    std::vector<StoreItem> items = {{&first[0], &raw, &ct}};
    BOOST_TEST(db->reprocess_quarantine(entry.id, items));
    BOOST_TEST((first[0].status == NormalizedMessage::Status::kStored));
    BOOST_TEST(db->find_quarantine_entry(entry.id)->state == "reprocessed");

    std::vector<NormalizedMessage> second = {message("r1", "bonjour"), message("r2", "new")};
    std::vector<StoreItem> again = {{&second[0], &raw, &ct}, {&second[1], &raw, &ct}};
    BOOST_TEST(!db->reprocess_quarantine(entry.id, again));
    BOOST_TEST((second[1].status == NormalizedMessage::Status::kPending));
    BOOST_TEST(second[1].id == 0);
    BOOST_TEST(count_rows(config) == 1);
    // A discarded entry is not re-processed either.
    QuarantineEntry gone = quarantined("sms", "{}");
    db->insert_quarantine(gone, 1000);
    BOOST_TEST(db->set_quarantine_state(gone.id, "pending", "discarded"));
    BOOST_TEST(!db->reprocess_quarantine(gone.id, again));
    BOOST_TEST(count_rows(config) == 1);
}

// A quarantine job goes through the writer's thread and retries, in a transaction of its own,
// beside message jobs.
void quarantine_through_the_writer(const StorageConfig& base) {
    StorageConfig config = base;
    Database::open(config)->migrate();
    BatchWriter writer(config, RetryPolicy{});
    writer.start();
    QuarantineEntry entry = quarantined("whatsapp", "{}");
    QuarantineInsert result = QuarantineInsert::kFull;
    std::promise<StoreOutcome> done;
    StoreJob job;
    job.quarantine = &entry;
    job.quarantine_result = &result;
    job.quarantine_max_bytes = 100;
    job.done = [&done](StoreOutcome outcome, const std::string&) { done.set_value(outcome); };
    std::vector<std::vector<NormalizedMessage>> batches(3);
    std::atomic<int> committed{0};
    std::string raw = "x";
    std::string ct = "text/plain";
    writer.submit(std::move(job));
    submit_jobs(writer, "q", batches, raw, ct, committed);
    BOOST_TEST((done.get_future().get() == StoreOutcome::kCommitted));
    writer.stop();
    BOOST_TEST((result == QuarantineInsert::kInserted));
    BOOST_TEST(entry.id > 0);
    BOOST_TEST(committed.load() == 3);
    BOOST_TEST(count_rows(config) == 3);
}

// A batch larger than one INSERT statement takes (it is cut into several), mixing new keys,
// keys stored by an earlier batch and keys repeated inside the batch: every message must get
// the id of the row holding its key, and every stored row must be the first item's.
void large_mixed_batch(const StorageConfig& config) {
    auto db = Database::open(config);
    db->migrate();
    std::string raw = "{}";
    std::string ct = "application/json";
    std::vector<NormalizedMessage> earlier = {message("old-1", "a"), message("old-2", "b")};
    std::vector<StoreItem> earlier_items = {{&earlier[0], &raw, &ct}, {&earlier[1], &raw, &ct}};
    db->insert_batch(earlier_items);

    constexpr int kItems = 203;  // 128 + 64 + 8 + 2 + 1 rows
    std::vector<NormalizedMessage> msgs;
    std::vector<std::string> names;
    msgs.reserve(kItems);
    for (int i = 0; i < kItems; ++i) {
        std::string key = i % 50 == 7    ? "old-" + std::to_string(1 + i % 2)
                          : i % 40 == 39 ? "new-" + std::to_string(i - 30)
                                         : "new-" + std::to_string(i);
        names.push_back(key);
        msgs.push_back(message(key, "m"));
        msgs.back().request_id = "req-" + std::to_string(i);
    }
    std::vector<StoreItem> items;
    items.reserve(msgs.size());
    for (auto& m : msgs) items.push_back({&m, &raw, &ct});
    db->insert_batch(items);

    auto [backend, connect] = soci_connection(config);
    soci::session s(backend, connect);
    std::map<std::string, int> first;
    for (int i = 0; i < kItems; ++i) first.emplace(names[i], i);
    int stored = 0;
    for (int i = 0; i < kItems; ++i) {
        const NormalizedMessage& m = msgs[i];
        std::string key;
        std::string request_id;
        long long id = m.id;
        s << "SELECT dedup_key, request_id FROM messages WHERE id = :id", soci::use(id),
            soci::into(key), soci::into(request_id);
        BOOST_TEST_CONTEXT("item " << i << " key " << names[i]) {
            BOOST_TEST(key == stored_key(names[i]));
            const bool is_first = first.at(names[i]) == i && names[i].rfind("old-", 0) != 0;
            BOOST_TEST((m.status == (is_first ? NormalizedMessage::Status::kStored
                                              : NormalizedMessage::Status::kDuplicate)));
            if (is_first) {
                BOOST_TEST(request_id == m.request_id);
                ++stored;
            }
        }
    }
    BOOST_TEST(count_rows(config) == 2 + stored);
    BOOST_TEST(stored < kItems - 8);
}

// A row the database refuses fails its whole batch: nothing of the batch is stored, every
// message is pending again without an id (the batch writer then retries each request alone),
// and the same connection goes on storing. `refuse_bad` installs a trigger that refuses the
// key of the message named "bad".
void a_refused_row(const StorageConfig& config, const std::vector<std::string>& refuse_bad) {
    auto db = Database::open(config);
    db->migrate();
    {
        auto [backend, connect] = soci_connection(config);
        soci::session s(backend, connect);
        for (const std::string& statement : refuse_bad) s << statement;
    }
    std::string raw = "{}";
    std::string ct = "application/json";
    std::vector<NormalizedMessage> msgs = {message("good-1", "a"), message("bad", "b"),
                                           message("good-2", "c")};
    std::vector<StoreItem> items;
    items.reserve(msgs.size());
    for (auto& m : msgs) items.push_back({&m, &raw, &ct});
    BOOST_CHECK_THROW(db->insert_batch(items), StorageError);
    for (const NormalizedMessage& m : msgs) {
        BOOST_TEST((m.status == NormalizedMessage::Status::kPending));
        BOOST_TEST(m.id == 0);
    }
    BOOST_TEST(count_rows(config) == 0);

    std::vector<StoreItem> good = {items[0], items[2]};
    db->insert_batch(good);
    BOOST_TEST((msgs[0].status == NormalizedMessage::Status::kStored));
    BOOST_TEST((msgs[2].status == NormalizedMessage::Status::kStored));
    BOOST_TEST(msgs[0].id > 0);
    BOOST_TEST(msgs[2].id > msgs[0].id);
    BOOST_TEST(count_rows(config) == 2);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(sqlite)
BOOST_AUTO_TEST_CASE(a_refused_row_fails_its_batch_and_the_connection_goes_on) {
    a_refused_row(sqlite_config(),
                  {"CREATE TRIGGER refuse_bad BEFORE INSERT ON messages WHEN NEW.dedup_key = '" +
                   stored_key("bad") + "' BEGIN SELECT RAISE(ABORT, 'refused'); END"});
}
BOOST_AUTO_TEST_CASE(a_large_batch_with_duplicates_maps_every_message_to_its_row) {
    large_mixed_batch(sqlite_config());
}
// Commits must not pay for checkpoints: the writer's checkpointer copies the WAL into the
// database file beside them. Without it, the file would stay at its schema until the WAL
// reached the commits' own 64 MiB backstop.
BOOST_AUTO_TEST_CASE(the_wal_is_checkpointed_while_the_writer_runs) {
    StorageConfig config = sqlite_config();
    Database::open(config)->migrate();
    const auto schema_only = fs::file_size(config.url);
    BatchWriter writer(config, RetryPolicy{});
    writer.start();
    std::string raw(4096, 'x');
    std::string ct = "text/plain";
    constexpr int kJobs = 1000;
    std::vector<std::vector<NormalizedMessage>> batches(kJobs);
    std::atomic<int> committed{0};
    submit_jobs(writer, "w", batches, raw, ct, committed);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline &&
           (committed.load() < kJobs || fs::file_size(config.url) < schema_only + 4'000'000)) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    BOOST_TEST(committed.load() == kJobs);
    BOOST_TEST(fs::file_size(config.url) >= schema_only + 4'000'000);
    writer.stop();
}
BOOST_AUTO_TEST_CASE(migrations_inserts_and_the_unique_key) { exercise(sqlite_config()); }
BOOST_AUTO_TEST_CASE(an_upgrade_keeps_old_rows_deduplicating) {
    upgrade_from_version_1(sqlite_config(), false);
}
BOOST_AUTO_TEST_CASE(group_commit_answers_every_job_after_commit) { group_commit(sqlite_config()); }
BOOST_AUTO_TEST_CASE(the_quarantine_keeps_each_request_once_within_its_cap) {
    quarantine_storage(sqlite_config());
}
BOOST_AUTO_TEST_CASE(a_quarantine_job_commits_on_the_writer_thread) {
    quarantine_through_the_writer(sqlite_config());
}
BOOST_AUTO_TEST_CASE(a_reprocessing_stores_and_marks_the_entry_once) {
    reprocess_once(sqlite_config());
}
BOOST_AUTO_TEST_CASE(an_upgrade_keeps_the_portable_text_columns) {
    upgrade_to_native_columns(sqlite_config(), false);
}
BOOST_AUTO_TEST_CASE(an_unreachable_file_is_a_storage_error) {
    StorageConfig c;
    c.url = "/proc/memolib/cannot/exist.db";
    BOOST_CHECK_THROW(Database::open(c), StorageError);
}
BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(postgresql)
BOOST_AUTO_TEST_CASE(a_refused_row_fails_its_batch_and_the_connection_goes_on) {
    a_refused_row(postgres_config(),
                  {"CREATE OR REPLACE FUNCTION memolib_test_refuse_bad() RETURNS trigger AS $$ "
                   "BEGIN IF NEW.dedup_key = '" +
                       stored_key("bad") +
                       "' THEN RAISE EXCEPTION 'refused'; END IF; "
                       "RETURN NEW; END $$ LANGUAGE plpgsql",
                   "CREATE TRIGGER refuse_bad BEFORE INSERT ON messages FOR EACH ROW EXECUTE "
                   "FUNCTION memolib_test_refuse_bad()"});
}
BOOST_AUTO_TEST_CASE(a_large_batch_with_duplicates_maps_every_message_to_its_row) {
    large_mixed_batch(postgres_config());
}
BOOST_AUTO_TEST_CASE(migrations_inserts_and_the_unique_key) { exercise(postgres_config()); }
BOOST_AUTO_TEST_CASE(an_upgrade_keeps_old_rows_deduplicating) {
    upgrade_from_version_1(postgres_config(), true);
}
BOOST_AUTO_TEST_CASE(group_commit_answers_every_job_after_commit) {
    group_commit(postgres_config());
}
BOOST_AUTO_TEST_CASE(the_quarantine_keeps_each_request_once_within_its_cap) {
    quarantine_storage(postgres_config());
}
BOOST_AUTO_TEST_CASE(a_quarantine_job_commits_on_the_writer_thread) {
    quarantine_through_the_writer(postgres_config());
}
BOOST_AUTO_TEST_CASE(a_reprocessing_stores_and_marks_the_entry_once) {
    reprocess_once(postgres_config());
}
BOOST_AUTO_TEST_CASE(an_upgrade_converts_old_rows_to_native_columns) {
    upgrade_to_native_columns(postgres_config(), true);
}
BOOST_AUTO_TEST_CASE(the_connection_string_bounds_every_wait_unless_the_url_says_otherwise) {
    StorageConfig c;
    c.backend = "postgresql";
    c.timeout_ms = 1500;
    c.url = "postgresql://u@db.example:5433/memolib";
    const std::string bounded = soci_connection(c).second;
    for (const char* setting : {"connect_timeout='2'", "keepalives='1'", "keepalives_idle='10'",
                                "tcp_user_timeout='1500'", "host='db.example'", "port='5433'"}) {
        BOOST_TEST(bounded.find(setting) != std::string::npos, setting << " in " << bounded);
    }
    c.timeout_ms = 7200;
    c.url = "postgresql://u@db.example/memolib?connect_timeout=30&keepalives=0";
    const std::string chosen = soci_connection(c).second;
    for (const char* setting :
         {"connect_timeout='30'", "keepalives='0'", "tcp_user_timeout='7200'"}) {
        BOOST_TEST(chosen.find(setting) != std::string::npos, setting << " in " << chosen);
    }
}
BOOST_AUTO_TEST_CASE(a_refused_connection_is_transient) {
    StorageConfig c;
    c.backend = "postgresql";
    c.url = "postgresql://nobody@127.0.0.1:1/none?connect_timeout=2";
    try {
        Database::open(c);
        BOOST_FAIL("connected to nothing");
    } catch (const StorageError& e) {
        BOOST_TEST((e.kind() == StorageError::Kind::kTransient));
    }
}
BOOST_AUTO_TEST_SUITE_END()
