#include "storage/database.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>

#include <libpq-fe.h>
#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include "observability/logger.hpp"
#include "storage/migrations.hpp"
#include "storage/row_encoding.hpp"
#include "util/encoding.hpp"
#include "util/sha256.hpp"
#include "util/time_format.hpp"

namespace memolib::core {

int latest_schema_version() { return migrations().empty() ? 0 : migrations().back().version; }

namespace {

constexpr int kSqliteIoError = 10;
constexpr int kSqliteBusy = 5;
constexpr int kSqliteLocked = 6;
constexpr int kSqliteFull = 13;
constexpr int kSqliteCantOpen = 14;

// Maps a SOCI error to the retry policy: connection, serialization and lock problems are
// worth retrying, and so is a storage out of resources (a full disk, an I/O error, PostgreSQL's
// class 53): it is unavailable, not refusing the message, so the request is answered 503 and
// its provider retries. Constraint and syntax errors are not.
StorageError classify(const soci::soci_error& e) {
    if (const auto* pg = dynamic_cast<const soci::postgresql_soci_error*>(&e)) {
        std::string state = pg->sqlstate();
        if (state == "53100" || state == "58030") return {StorageError::Kind::kFull, e.what()};
        bool transient = state == "40001" || state == "40P01" || state.rfind("08", 0) == 0 ||
                         state.rfind("53", 0) == 0 || state == "57014" || state == "57P01" ||
                         state == "57P02" || state == "57P03" || state.empty();
        return {transient ? StorageError::Kind::kTransient : StorageError::Kind::kFatal, e.what()};
    }
    if (const auto* lite = dynamic_cast<const soci::sqlite3_soci_error*>(&e)) {
        int rc = lite->result() & 0xff;
        if (rc == kSqliteFull || rc == kSqliteIoError) return {StorageError::Kind::kFull, e.what()};
        bool transient = rc == kSqliteBusy || rc == kSqliteLocked || rc == kSqliteCantOpen;
        return {transient ? StorageError::Kind::kTransient : StorageError::Kind::kFatal, e.what()};
    }
    bool transient = e.get_error_category() == soci::soci_error::connection_error ||
                     e.get_error_category() == soci::soci_error::unknown_transaction_state;
    return {transient ? StorageError::Kind::kTransient : StorageError::Kind::kFatal, e.what()};
}

std::vector<std::string> split_statements(const char* sql) {
    std::vector<std::string> out;
    std::string current;
    for (const char* p = sql; *p != '\0'; ++p) {
        if (*p == ';') {
            out.push_back(current);
            current.clear();
        } else {
            current += *p;
        }
    }
    if (current.find_first_not_of(" \n\t") != std::string::npos) out.push_back(current);
    return out;
}

// The value libpq gets for `keyword` when the URL leaves it out: a bounded connect, and TCP
// keepalives and a user timeout, so that a connection to a host that vanished fails in about
// `timeout_ms` rather than in the kernel's minutes.
std::string postgres_default(const std::string& keyword, std::uint64_t timeout_ms) {
    // libpq counts connect_timeout in whole seconds and takes no less than 2.
    if (keyword == "connect_timeout")
        return std::to_string(std::max<std::uint64_t>(2, (timeout_ms + 999) / 1000));
    if (keyword == "keepalives") return "1";
    if (keyword == "keepalives_idle") return "10";
    if (keyword == "keepalives_interval") return "5";
    if (keyword == "keepalives_count") return "3";
    if (keyword == "tcp_user_timeout") return std::to_string(timeout_ms);
    return {};
}

// `value` between two `quote` characters, with that quote and every backslash escaped by a
// backslash, as both libpq's keyword form and SOCI's tokenizer read a quoted value.
std::string backslash_quoted(std::string_view value, char quote) {
    std::string out(1, quote);
    for (char c : value) {
        if (c == quote || c == '\\') out += '\\';
        out += c;
    }
    out += quote;
    return out;
}

// SOCI 4.0 tokenizes the connection string itself and mangles libpq URIs, so a URI is
// rewritten into libpq's keyword form, parsed by libpq itself.
std::string postgres_connect_string(const std::string& url, std::uint64_t timeout_ms) {
    char* error = nullptr;
    PQconninfoOption* options = PQconninfoParse(url.c_str(), &error);
    if (options == nullptr) {
        std::string message = error != nullptr ? error : "not a libpq connection string";
        PQfreemem(error);
        throw StorageError(StorageError::Kind::kFatal, "storage.url: " + message);
    }
    std::string out;
    for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
        std::string fallback;
        const char* val = o->val;
        if (val == nullptr) {
            fallback = postgres_default(o->keyword, timeout_ms);
            if (!fallback.empty()) val = fallback.c_str();
        }
        if (val == nullptr) continue;
        out += std::string(out.empty() ? "" : " ") + o->keyword + "=" + backslash_quoted(val, '\'');
    }
    PQconninfoFree(options);
    return out;
}

std::string sqlite_connect_string(const std::string& path) {
    return "db=" + backslash_quoted(path, '"') + " timeout=5";
}

// libpq writes a server's notices ("relation … already exists, skipping") to stderr, which
// would break the one-JSON-object-per-line log: they become debug lines of it.
void log_postgres_notice(void* /*unused*/, const char* message) {
    std::string_view text(message);
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
    log().log(LogLevel::kDebug, "postgresql_notice", {{"message", text}});
}

// Cuts a connection whose work outlives its deadline. A server that hangs (stopped, or its
// host frozen) keeps the TCP connection open and its kernel acknowledges what it is sent, so
// neither the server's statement_timeout nor TCP's timeouts end libpq's wait; shutting the
// socket down ends it at once, as a lost connection.
class Watchdog {
public:
    // A descriptor of its own for the connection's socket: libpq may close its descriptor, and
    // its number may then name another connection by the time the deadline passes.
    explicit Watchdog(int socket)
        : socket_(socket >= 0 ? ::fcntl(socket, F_DUPFD_CLOEXEC, 0) : -1),
          thread_([this] { run(); }) {}
    ~Watchdog() {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            stopping_ = true;
        }
        cv_.notify_all();
        thread_.join();
        if (socket_ >= 0) ::close(socket_);
    }
    Watchdog(const Watchdog&) = delete;
    Watchdog& operator=(const Watchdog&) = delete;

    void arm(std::chrono::milliseconds timeout) {
        std::lock_guard<std::mutex> lock(mutex_);
        deadline_ = std::chrono::steady_clock::now() + timeout;
        armed_ = true;
        fired_ = false;
        cv_.notify_all();
    }
    /// True when the deadline passed (the connection is cut). No cut happens after it returns.
    bool disarm() {
        std::lock_guard<std::mutex> lock(mutex_);
        armed_ = false;
        return fired_;
    }

private:
    void run() {
        std::unique_lock<std::mutex> lock(mutex_);
        while (!stopping_) {
            if (!armed_) {
                cv_.wait(lock);
                continue;
            }
            cv_.wait_until(lock, deadline_);
            if (armed_ && std::chrono::steady_clock::now() >= deadline_) {
                if (socket_ >= 0) ::shutdown(socket_, SHUT_RDWR);
                fired_ = true;
                armed_ = false;
            }
        }
    }

    std::mutex mutex_;
    std::condition_variable cv_;
    const int socket_;
    std::chrono::steady_clock::time_point deadline_;
    bool armed_ = false;
    bool fired_ = false;
    bool stopping_ = false;
    std::thread thread_;
};

class SociDatabase final : public Database {
public:
    explicit SociDatabase(const StorageConfig& config)
        : postgres_(config.backend == "postgresql"), timeout_(config.timeout_ms) {
        try {
            if (postgres_) {
                sql_.open(soci::postgresql, postgres_connect_string(config.url, config.timeout_ms));
                // libsoci exports no type information to dynamic_cast with: the session was
                // opened with the postgresql backend, so its backend is that one.
                conn_ = static_cast<soci::postgresql_session_backend*>(sql_.get_backend())->conn_;
                PQsetNoticeProcessor(conn_, log_postgres_notice, nullptr);
                // The server ends a statement blocked on a lock itself; the watchdog covers a
                // server that does not answer at all, from this first statement on (a pooler
                // such as PgBouncer completes the login itself, whatever the server does).
                watchdog_ = std::make_unique<Watchdog>(PQsocket(conn_));
                Bounded bounded(*this);
                sql_ << "SET statement_timeout = " + std::to_string(config.timeout_ms);
            } else {
                std::filesystem::path file(config.url);
                if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path());
                sql_.open(soci::sqlite3, sqlite_connect_string(config.url));
                // WAL with FULL sync: every COMMIT is durable before we answer 2xx.
                sql_ << "PRAGMA journal_mode=WAL";
                sql_ << "PRAGMA synchronous=FULL";
                sql_ << "PRAGMA busy_timeout=5000";
                // The batch writer's checkpointer thread copies the WAL as it grows, but a
                // passive checkpoint never catches a writer that keeps committing, so only a
                // commit can restart the WAL: at 64 MiB, copying what is left of it.
                sql_ << "PRAGMA wal_autocheckpoint=16384";
            }
        } catch (const soci::soci_error& e) {
            throw StorageError(
                StorageError::Kind::kTransient,
                std::string("cannot connect to ") + config.backend + ": " + e.what());
        } catch (const std::filesystem::filesystem_error& e) {
            throw StorageError(StorageError::Kind::kFatal, e.what());
        }
    }

    int migrate() override {
        try {
            // A migration may rebuild a large table: it is not held to the request timeout.
            if (postgres_) sql_ << "SET statement_timeout = 0";
            sql_ << "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
                    "name TEXT NOT NULL, applied_at TEXT NOT NULL)";
            int applied = 0;
            for (const Migration& m : migrations()) {
                soci::transaction tx(sql_);
                // Several gateways may start together against one PostgreSQL: the advisory
                // lock makes them apply each migration once, in turn.
                if (postgres_) sql_ << "SELECT pg_advisory_xact_lock(7201130)";
                int count = 0;
                sql_ << "SELECT COUNT(*) FROM schema_migrations WHERE version = :v",
                    soci::use(m.version), soci::into(count);
                if (count > 0) {
                    tx.commit();
                    continue;
                }
                for (const std::string& stmt :
                     split_statements(postgres_ ? m.postgresql : m.sqlite)) {
                    sql_ << stmt;
                }
                if (m.rewrite != nullptr) m.rewrite(sql_);
                std::string now = format_rfc3339_ms(now_ms());
                std::string name = m.name;
                int version = m.version;
                sql_ << "INSERT INTO schema_migrations (version, name, applied_at) VALUES (:v, :n, "
                        ":a)",
                    soci::use(version), soci::use(name), soci::use(now);
                tx.commit();
                log().info("migration_applied", {{"version", m.version}, {"name", m.name}});
                ++applied;
            }
            return applied;
        } catch (const soci::soci_error& e) {
            throw classify(e);
        }
    }

    int schema_version() override {
        try {
            int version = 0;
            soci::indicator ind = soci::i_null;
            sql_ << "SELECT MAX(version) FROM schema_migrations", soci::into(version, ind);
            return ind == soci::i_ok ? version : 0;
        } catch (const soci::soci_error&) {
            return 0;
        }
    }

    void insert_batch(std::vector<StoreItem>& items) override {
        try {
            Bounded bounded(*this);
            soci::transaction tx(sql_);
            insert_all(items);
            tx.commit();
            bounded.check();
        } catch (const soci::soci_error& e) {
            for (StoreItem& item : items) {
                item.message->status = NormalizedMessage::Status::kPending;
                item.message->id = 0;
            }
            // SOCI's PostgreSQL backend frees the text it bound for a run only when the run
            // succeeds or the statement is destroyed: a statement that failed is not run again,
            // or its next run would leak that text (LeakSanitizer, a_refused_row test).
            inserts_.clear();
            throw failure(e);
        }
    }

    bool reprocess_quarantine(std::int64_t id, std::vector<StoreItem>& items) override {
        auto undo = [&items] {
            for (StoreItem& item : items) {
                item.message->status = NormalizedMessage::Status::kPending;
                item.message->id = 0;
            }
        };
        try {
            Bounded bounded(*this);
            soci::transaction tx(sql_);
            insert_all(items);
            long long wanted = id;
            soci::statement st = (sql_.prepare << "UPDATE quarantine SET state = 'reprocessed' "
                                                  "WHERE id = :id AND state = 'pending'",
                                  soci::use(wanted));
            st.execute(true);
            // Two re-processings of one entry: the second finds it reprocessed (PostgreSQL
            // waits for the first's COMMIT on the row's lock) and commits nothing.
            if (st.get_affected_rows() != 1) {
                tx.rollback();
                bounded.check();
                undo();
                return false;
            }
            tx.commit();
            bounded.check();
            return true;
        } catch (const soci::soci_error& e) {
            undo();
            inserts_.clear();
            throw failure(e);
        }
    }

    bool ping() override {
        try {
            Bounded bounded(*this);
            int one = 0;
            sql_ << "SELECT 1", soci::into(one);
            return !bounded.check() && one == 1;
        } catch (const soci::soci_error&) {
            return false;
        }
    }

    void checkpoint() override {
        if (postgres_) return;
        try {
            int busy = 0;
            int log_frames = 0;
            int copied = 0;
            sql_ << "PRAGMA wal_checkpoint(PASSIVE)", soci::into(busy), soci::into(log_frames),
                soci::into(copied);
        } catch (const soci::soci_error& e) {
            throw classify(e);
        }
    }

    std::vector<StoredMessage> find_messages(const MessageQuery& q) override {
        // Every filter is in the statement, switched off by an empty value, so that one
        // statement with a fixed list of parameters serves every combination.
        std::string columns = select_columns();
        if (q.max_text_chars != 0) {
            const std::string whole = ", text, html, ";
            columns.replace(columns.find(whole), whole.size(),
                            ", substr(text, 1, :tl), substr(html, 1, :hl), ");
        }
        const std::string raw = !q.with_raw_payload ? "''"
                                : postgres_         ? kPostgresRawPayload
                                                    : "raw_payload";
        const std::string sql = columns + ", " + raw + kFromMessages +
                                " WHERE id > :after AND (:c1 = '' OR channel = :c2)"
                                " AND (:s1 = '' OR received_at >= " +
                                (postgres_ ? "CAST(NULLIF(:s2, '') AS timestamptz))" : ":s2)") +
                                " AND (:p1 = '' OR priority = :p2) ORDER BY id LIMIT :limit";
        std::vector<StoredMessage> out;
        try {
            Bounded bounded(*this);
            StoredMessage m;
            Indicators ind;
            long long after = q.after_id;
            int limit = q.limit;
            auto text_chars = static_cast<long long>(q.max_text_chars);
            soci::statement st(sql_);
            bind_row(st, m, ind);
            if (q.max_text_chars != 0) {
                st.exchange(soci::use(text_chars));
                st.exchange(soci::use(text_chars));
            }
            st.exchange(soci::use(after));
            for (const std::string* v :
                 {&q.channel, &q.channel, &q.since, &q.since, &q.priority, &q.priority}) {
                st.exchange(soci::use(*v));
            }
            st.exchange(soci::use(limit));
            run(st, sql);
            while (st.fetch()) out.push_back(finish_row(m, ind));
            bounded.check();
        } catch (const soci::soci_error& e) {
            throw failure(e);
        }
        return out;
    }

    std::optional<StoredMessage> find_message(std::int64_t id) override {
        const std::string sql = select_columns() + ", " +
                                (postgres_ ? kPostgresRawPayload : "raw_payload") + kFromMessages +
                                " WHERE id = :id";
        try {
            Bounded bounded(*this);
            StoredMessage m;
            Indicators ind;
            long long wanted = id;
            soci::statement st(sql_);
            bind_row(st, m, ind);
            st.exchange(soci::use(wanted));
            run(st, sql);
            const bool found = st.fetch();
            bounded.check();
            if (!found) return std::nullopt;
            return finish_row(m, ind);
        } catch (const soci::soci_error& e) {
            throw failure(e);
        }
    }

    std::int64_t delete_messages(const std::vector<std::int64_t>& ids) override {
        try {
            Bounded bounded(*this);
            soci::transaction tx(sql_);
            long long id = 0;
            std::int64_t deleted = 0;
            soci::statement st =
                (sql_.prepare << "DELETE FROM messages WHERE id = :id", soci::use(id));
            for (std::int64_t each : ids) {
                id = each;
                st.execute(true);
                deleted += st.get_affected_rows();
            }
            tx.commit();
            bounded.check();
            return deleted;
        } catch (const soci::soci_error& e) {
            throw failure(e);
        }
    }

    MessagesSummary messages_summary() override {
        MessagesSummary out;
        try {
            Bounded bounded(*this);
            long long count = 0;
            soci::indicator ind = soci::i_null;
            sql_ << "SELECT COUNT(*), " +
                        (postgres_ ? rfc3339("MIN(received_at)")
                                   : std::string("MIN(received_at)")) +
                        kFromMessages,
                soci::into(count), soci::into(out.oldest_received_at, ind);
            bounded.check();
            out.count = count;
            if (ind != soci::i_ok) out.oldest_received_at.clear();
        } catch (const soci::soci_error& e) {
            throw failure(e);
        }
        return out;
    }

    std::uint64_t used_bytes() override {
        if (postgres_) return 0;
        try {
            long long pages = 0;
            long long free_pages = 0;
            long long page_size = 0;
            sql_ << "PRAGMA page_count", soci::into(pages);
            sql_ << "PRAGMA freelist_count", soci::into(free_pages);
            sql_ << "PRAGMA page_size", soci::into(page_size);
            return static_cast<std::uint64_t>(std::max(0LL, pages - free_pages) * page_size);
        } catch (const soci::soci_error& e) {
            throw classify(e);
        }
    }

    QuarantineInsert insert_quarantine(QuarantineEntry& e, std::uint64_t max_raw_bytes) override {
        if (e.dedup_key.empty())
            e.dedup_key = quarantine_key(e.channel, e.content_type, e.raw_body);
        try {
            Bounded bounded(*this);
            soci::transaction tx(sql_);
            // One quarantining at a time across instances sharing PostgreSQL, so that the cap
            // holds and the same bytes arriving at two of them make one row.
            if (postgres_) sql_ << "SELECT pg_advisory_xact_lock(7201131)";
            long long id = 0;
            sql_ << "SELECT id FROM quarantine WHERE dedup_key = :k", soci::use(e.dedup_key),
                soci::into(id);
            if (sql_.got_data()) {
                tx.commit();
                bounded.check();
                e.id = id;
                return QuarantineInsert::kExisting;
            }
            long long used = 0;
            sql_ << "SELECT CAST(COALESCE(SUM(raw_size), 0) AS BIGINT) FROM quarantine",
                soci::into(used);
            const auto size = static_cast<long long>(e.raw_body.size());
            if (static_cast<std::uint64_t>(used) + e.raw_body.size() > max_raw_bytes) {
                tx.commit();
                bounded.check();
                return QuarantineInsert::kFull;
            }
            std::string encoding, text;
            encode_raw(e.raw_body, encoding, text);
            sql_ << "INSERT INTO quarantine (channel, provider, received_at, request_id, reason, "
                    "details, content_type, headers, raw_encoding, raw_body, raw_size, state, "
                    "dedup_key) VALUES (:c, :p, :r, :q, :re, :d, :ct, :h, :en, :b, :s, :st, :k)",
                soci::use(e.channel), soci::use(e.provider), soci::use(e.received_at),
                soci::use(e.request_id), soci::use(e.reason), soci::use(e.details_json),
                soci::use(e.content_type), soci::use(e.headers_json), soci::use(encoding),
                soci::use(text), soci::use(size), soci::use(e.state), soci::use(e.dedup_key);
            sql_ << "SELECT id FROM quarantine WHERE dedup_key = :k", soci::use(e.dedup_key),
                soci::into(id);
            tx.commit();
            bounded.check();
            e.id = id;
            return QuarantineInsert::kInserted;
        } catch (const soci::soci_error& ex) {
            e.id = 0;
            throw failure(ex);
        }
    }

    std::vector<QuarantineEntry> find_quarantine(const QuarantineQuery& q) override {
        const std::string sql = std::string(kQuarantineColumns) +
                                ", ''"
                                " FROM quarantine WHERE id > :after AND (:c1 = '' OR channel = :c2)"
                                " AND (:s1 = '' OR state = :s2)"
                                " AND (:r1 = '' OR received_at >= :r2) ORDER BY id LIMIT :limit";
        std::vector<QuarantineEntry> out;
        try {
            Bounded bounded(*this);
            QuarantineRow row;
            long long after = q.after_id;
            int limit = q.limit;
            soci::statement st(sql_);
            bind_quarantine(st, row);
            st.exchange(soci::use(after));
            for (const std::string* v :
                 {&q.channel, &q.channel, &q.state, &q.state, &q.since, &q.since}) {
                st.exchange(soci::use(*v));
            }
            st.exchange(soci::use(limit));
            run(st, sql);
            while (st.fetch()) out.push_back(row.entry(false));
            bounded.check();
        } catch (const soci::soci_error& e) {
            throw failure(e);
        }
        return out;
    }

    std::optional<QuarantineEntry> find_quarantine_entry(std::int64_t id) override {
        const std::string sql =
            std::string(kQuarantineColumns) + ", raw_body FROM quarantine WHERE id = :id";
        try {
            Bounded bounded(*this);
            QuarantineRow row;
            long long wanted = id;
            soci::statement st(sql_);
            bind_quarantine(st, row);
            st.exchange(soci::use(wanted));
            run(st, sql);
            const bool found = st.fetch();
            bounded.check();
            if (!found) return std::nullopt;
            return row.entry(true);
        } catch (const soci::soci_error& e) {
            throw failure(e);
        }
    }

    bool set_quarantine_state(std::int64_t id, const std::string& from,
                              const std::string& to) override {
        try {
            Bounded bounded(*this);
            long long wanted = id;
            soci::statement st =
                (sql_.prepare << "UPDATE quarantine SET state = :to WHERE id = :id AND state = "
                                 ":from",
                 soci::use(to), soci::use(wanted), soci::use(from));
            st.execute(true);
            const bool changed = st.get_affected_rows() == 1;
            bounded.check();
            return changed;
        } catch (const soci::soci_error& e) {
            throw failure(e);
        }
    }

    void delete_quarantine_entry(std::int64_t id) override {
        try {
            Bounded bounded(*this);
            long long wanted = id;
            sql_ << "DELETE FROM quarantine WHERE id = :id", soci::use(wanted);
            bounded.check();
        } catch (const soci::soci_error& e) {
            throw failure(e);
        }
    }

    std::vector<std::pair<std::string, std::int64_t>> quarantine_pending() override {
        std::vector<std::pair<std::string, std::int64_t>> out;
        try {
            Bounded bounded(*this);
            std::string channel;
            long long count = 0;
            soci::statement st =
                (sql_.prepare << "SELECT channel, COUNT(*) FROM quarantine WHERE state = "
                                 "'pending' GROUP BY channel ORDER BY channel",
                 soci::into(channel), soci::into(count));
            st.execute();
            while (st.fetch()) out.emplace_back(channel, count);
            bounded.check();
        } catch (const soci::soci_error& e) {
            throw failure(e);
        }
        return out;
    }

private:
    static constexpr const char* kQuarantineColumns =
        "SELECT id, channel, provider, received_at, request_id, reason, details, content_type, "
        "headers, state, dedup_key, raw_encoding";

    struct QuarantineRow {
        long long id = 0;
        QuarantineEntry e;
        std::string encoding, body;
        QuarantineEntry entry(bool with_body) const {
            QuarantineEntry out = e;
            out.id = id;
            out.raw_body = with_body ? decode_raw(encoding, body) : std::string();
            return out;
        }
    };

    static void bind_quarantine(soci::statement& st, QuarantineRow& r) {
        st.exchange(soci::into(r.id));
        for (std::string* f : {&r.e.channel, &r.e.provider, &r.e.received_at, &r.e.request_id,
                               &r.e.reason, &r.e.details_json, &r.e.content_type, &r.e.headers_json,
                               &r.e.state, &r.e.dedup_key, &r.encoding, &r.body}) {
            st.exchange(soci::into(*f));
        }
    }

    // Holds one piece of work to the storage timeout (PostgreSQL): past it the watchdog cuts
    // the connection, and the work fails as a lost connection, named a timeout.
    class Bounded {
    public:
        explicit Bounded(SociDatabase& db) : db_(db) {
            if (db_.watchdog_) {
                db_.watchdog_->arm(std::chrono::milliseconds(db_.timeout_));
                armed_ = true;
            }
        }
        ~Bounded() { check(); }
        Bounded(const Bounded&) = delete;
        Bounded& operator=(const Bounded&) = delete;
        /// Disarms; true when the deadline had passed (the connection is then unusable).
        bool check() {
            if (armed_) {
                armed_ = false;
                if (db_.watchdog_->disarm()) db_.timed_out_ = true;
            }
            return db_.timed_out_;
        }

    private:
        SociDatabase& db_;
        bool armed_ = false;
    };

    // The StorageError for a failed piece of work: a timeout when the watchdog cut it.
    StorageError failure(const soci::soci_error& e) {
        if (timed_out_) {
            return {StorageError::Kind::kTransient,
                    "the storage did not answer within " + std::to_string(timeout_) + " ms"};
        }
        return classify(e);
    }

    // The columns read as the read API shows them: PostgreSQL's native types are turned back
    // into the text SQLite stores (RFC 3339 UTC with milliseconds, JSON text).
    std::string select_columns() const {
        if (!postgres_) {
            return "SELECT id, channel, provider, external_id, sender, sender_masked, "
                   "sender_name, recipient, subject, text, html, attachments, "
                   "provider_timestamp, received_at, language, priority, dedup_key, request_id, "
                   "metadata, raw_content_type, raw_encoding";
        }
        return "SELECT id, channel, provider, external_id, sender, sender_masked, sender_name, "
               "recipient, subject, text, html, CAST(attachments AS text), " +
               rfc3339("provider_timestamp") + ", " + rfc3339("received_at") +
               ", language, priority, dedup_key, request_id, CAST(metadata AS text), "
               "raw_content_type, raw_encoding";
    }
    static std::string rfc3339(const char* column) {
        return std::string("to_char(") + column +
               R"( AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))";
    }
    // The raw payload as the read API shows it: the text, or the base64 of bytes that are not
    // (PostgreSQL's encode() cuts base64 into lines).
    static constexpr const char* kPostgresRawPayload =
        "CASE WHEN raw_encoding = 'base64' THEN translate(encode(raw_payload, 'base64'), "
        "chr(10), '') ELSE convert_from(raw_payload, 'UTF8') END";
    static constexpr const char* kFromMessages = " FROM messages";
    static constexpr std::size_t kTextColumns = 20;

    // One indicator per column of select_columns() (nullable ones read back as empty), and the
    // raw payload's.
    struct Indicators {
        long long id = 0;
        std::array<soci::indicator, kTextColumns + 1> column{};
        soci::indicator raw = soci::i_ok;
    };

    static std::array<std::string*, kTextColumns> text_fields(StoredMessage& m) {
        return {&m.channel,       &m.provider,      &m.external_id,      &m.sender,
                &m.sender_masked, &m.sender_name,   &m.recipient,        &m.subject,
                &m.text,          &m.html,          &m.attachments_json, &m.provider_timestamp,
                &m.received_at,   &m.language,      &m.priority,         &m.dedup_key,
                &m.request_id,    &m.metadata_json, &m.raw_content_type, &m.raw_encoding};
    }

    // The low-level statement API binds the 22 outputs in a loop rather than in one long list.
    static void bind_row(soci::statement& st, StoredMessage& m, Indicators& ind) {
        st.exchange(soci::into(ind.id, ind.column[0]));
        auto fields = text_fields(m);
        for (std::size_t i = 0; i < fields.size(); ++i)
            st.exchange(soci::into(*fields[i], ind.column[i + 1]));
        st.exchange(soci::into(m.raw_payload, ind.raw));
    }

    static void run(soci::statement& st, const std::string& sql) {
        st.alloc();
        st.prepare(sql);
        st.define_and_bind();
        st.execute();
    }

    static StoredMessage finish_row(const StoredMessage& m, const Indicators& ind) {
        StoredMessage row = m;
        row.id = ind.id;
        auto fields = text_fields(row);
        for (std::size_t i = 0; i < fields.size(); ++i) {
            if (ind.column[i + 1] != soci::i_ok) fields[i]->clear();
        }
        if (ind.raw != soci::i_ok) row.raw_payload.clear();
        return row;
    }

    // The values of one row of an INSERT, bound once to a statement prepared once per
    // connection: parsing the SQL again for every message cost more than the insert itself.
    struct InsertRow {
        std::string channel, provider, external_id, sender, sender_masked, sender_name, recipient,
            subject, text, html, language, priority, dedup_key, request_id, metadata, content_type;
        RowText encoded;
        soci::indicator i_ext{}, i_sender{}, i_masked{}, i_name{}, i_recipient{}, i_subject{},
            i_text{}, i_html{}, i_pts{}, i_meta{}, i_ct{};
    };

    // One INSERT of `rows.size()` rows, with the storage its bound values live in. Its rows
    // are never resized: SOCI holds pointers into them.
    struct MultiInsert {
        explicit MultiInsert(std::size_t n) : rows(n) {}
        std::vector<InsertRow> rows;
        // One RETURNING row at a time (PostgreSQL).
        long long id = 0;
        std::string key;
        std::unique_ptr<soci::statement> statement;
    };

    static constexpr const char* kInsertColumns =
        "INSERT INTO messages (channel, provider, external_id, sender, sender_masked, "
        "sender_name, recipient, subject, text, html, attachments, provider_timestamp, "
        "received_at, language, priority, dedup_key, request_id, metadata, raw_content_type, "
        "raw_encoding, raw_payload) VALUES ";
    static constexpr int kInsertParameters = 21;
    // The PostgreSQL type each parameter is cast to from its text, where the column is not text.
    static constexpr std::array<const char*, kInsertParameters> kPostgresTypes = {
        nullptr, nullptr, nullptr, nullptr, nullptr,       nullptr,       nullptr,
        nullptr, nullptr, nullptr, "jsonb", "timestamptz", "timestamptz", nullptr,
        nullptr, nullptr, nullptr, "jsonb", nullptr,       nullptr,       "bytea"};
    // Statements of 1, 2, 4 … kMaxRowsPerInsert rows: a batch is cut into at most a few of
    // them, so one round trip stores many rows while each connection prepares at most eight.
    static constexpr std::size_t kMaxRowsPerInsert = 128;

    MultiInsert& multi_insert(std::size_t n) {
        std::unique_ptr<MultiInsert>& slot = inserts_[n];
        if (slot) return *slot;
        slot = std::make_unique<MultiInsert>(n);
        MultiInsert& mi = *slot;
        std::string sql = kInsertColumns;
        for (std::size_t i = 0; i < n; ++i) {
            sql += i == 0 ? "(" : ", (";
            for (int c = 0; c < kInsertParameters; ++c) {
                const char* type = postgres_ ? kPostgresTypes[c] : nullptr;
                sql += c == 0 ? "" : ", ";
                sql += type != nullptr ? "CAST(:p" : ":p";
                sql += std::to_string(i * kInsertParameters + c);
                if (type != nullptr) sql += std::string(" AS ") + type + ")";
            }
            sql += ')';
        }
        sql += " ON CONFLICT (dedup_key) DO NOTHING";
        if (postgres_) sql += " RETURNING id, dedup_key";
        mi.statement = std::make_unique<soci::statement>(sql_);
        soci::statement& st = *mi.statement;
        for (InsertRow& r : mi.rows) {
            st.exchange(soci::use(r.channel));
            st.exchange(soci::use(r.provider));
            st.exchange(soci::use(r.external_id, r.i_ext));
            st.exchange(soci::use(r.sender, r.i_sender));
            st.exchange(soci::use(r.sender_masked, r.i_masked));
            st.exchange(soci::use(r.sender_name, r.i_name));
            st.exchange(soci::use(r.recipient, r.i_recipient));
            st.exchange(soci::use(r.subject, r.i_subject));
            st.exchange(soci::use(r.text, r.i_text));
            st.exchange(soci::use(r.html, r.i_html));
            st.exchange(soci::use(r.encoded.attachments_json));
            st.exchange(soci::use(r.encoded.provider_timestamp, r.i_pts));
            st.exchange(soci::use(r.encoded.received_at));
            st.exchange(soci::use(r.language));
            st.exchange(soci::use(r.priority));
            st.exchange(soci::use(r.dedup_key));
            st.exchange(soci::use(r.request_id));
            st.exchange(soci::use(r.metadata, r.i_meta));
            st.exchange(soci::use(r.content_type, r.i_ct));
            st.exchange(soci::use(r.encoded.raw_encoding));
            st.exchange(soci::use(r.encoded.raw_payload));
        }
        if (postgres_) {
            st.exchange(soci::into(mi.id));
            st.exchange(soci::into(mi.key));
        }
        st.alloc();
        st.prepare(sql);
        st.define_and_bind();
        return mi;
    }

    void fill_row(InsertRow& r, const StoreItem& item) const {
        const NormalizedMessage& m = *item.message;
        auto opt = [](const std::string& s) { return s.empty() ? soci::i_null : soci::i_ok; };
        r.encoded =
            encode_row(m, *item.raw_payload, postgres_ ? RawColumn::kBytea : RawColumn::kText);
        r.channel = m.channel;
        r.provider = m.provider;
        r.external_id = m.external_id;
        r.sender = m.sender;
        r.sender_masked = m.sender_masked;
        r.sender_name = m.sender_name;
        r.recipient = m.recipient;
        r.subject = m.subject;
        r.text = m.text;
        r.html = m.html;
        r.language = m.language;
        r.priority = m.priority;
        r.dedup_key.clear();
        append_hex(r.dedup_key, digest_bytes(m.dedup_key));
        r.request_id = m.request_id;
        r.metadata = m.metadata_json;
        r.content_type = *item.content_type;
        r.i_ext = opt(r.external_id);
        r.i_sender = opt(r.sender);
        r.i_masked = opt(r.sender_masked);
        r.i_name = opt(r.sender_name);
        r.i_recipient = opt(r.recipient);
        r.i_subject = opt(r.subject);
        r.i_text = opt(r.text);
        r.i_html = opt(r.html);
        r.i_pts = opt(r.encoded.provider_timestamp);
        r.i_meta = opt(r.metadata);
        r.i_ct = opt(r.content_type);
    }

    // PostgreSQL: inserts items[first, first + n) with one statement (one round trip). The rows it
    // inserted come back with their ids; the others lost to the UNIQUE constraint, to an older row
    // or to an earlier item of this batch with the same key (which then holds the row: it came
    // first).
    void insert_rows(std::vector<StoreItem>& items, std::size_t first, std::size_t n) {
        MultiInsert& mi = multi_insert(n);
        for (std::size_t i = 0; i < n; ++i) fill_row(mi.rows[i], items[first + i]);
        struct Inserted {
            long long id;
            bool claimed;  // by the first item with this key; the later ones are duplicates
        };
        std::unordered_map<std::string, Inserted> inserted;
        // Every row is fetched, so the statement is done: SQLite refuses to COMMIT while a
        // statement is still in progress.
        for (bool row = mi.statement->execute(true); row; row = mi.statement->fetch()) {
            inserted.emplace(mi.key, Inserted{mi.id, false});
        }
        for (std::size_t i = 0; i < n; ++i) {
            NormalizedMessage& m = *items[first + i].message;
            const std::string& key = mi.rows[i].dedup_key;
            auto it = inserted.find(key);
            if (it != inserted.end()) {
                m.status = it->second.claimed ? NormalizedMessage::Status::kDuplicate
                                              : NormalizedMessage::Status::kStored;
                m.id = it->second.id;
                it->second.claimed = true;
                continue;
            }
            m.status = NormalizedMessage::Status::kDuplicate;
            m.id = existing_id(key);
        }
    }

    // SQLite: one row per statement, without RETURNING. Both a RETURNING clause (a trigger,
    // inside SQLite) and a multi-row VALUES make SQLite keep a journal of every page the
    // statement changes, which cost more than the rows themselves, and an embedded database
    // has no round trip to save: changes() and last_insert_rowid() tell what each row did.
    void insert_each(std::vector<StoreItem>& items) {
        MultiInsert& one = multi_insert(1);
        for (auto item = items.begin(); item != items.end(); ++item) {
            NormalizedMessage& m = *item->message;
            fill_row(one.rows.front(), *item);
            one.statement->execute(true);
            if (one.statement->get_affected_rows() == 1) {
                long long id = 0;
                sql_.get_last_insert_id("messages", id);
                m.status = NormalizedMessage::Status::kStored;
                m.id = id;
                continue;
            }
            // A duplicate: of a row an earlier message of this batch stored, or of an older
            // one. Duplicates are rare here (the dedup index answers most), so the batch is
            // searched rather than indexed for every row stored.
            auto earlier = std::find_if(items.begin(), item, [&m](const StoreItem& e) {
                return e.message->status == NormalizedMessage::Status::kStored &&
                       e.message->dedup_key == m.dedup_key;
            });
            m.status = NormalizedMessage::Status::kDuplicate;
            m.id = earlier != item ? earlier->message->id : existing_id(one.rows.front().dedup_key);
        }
    }

    long long existing_id(const std::string& dedup_key) {
        long long id = 0;
        sql_ << "SELECT id FROM messages WHERE dedup_key = :k", soci::use(dedup_key),
            soci::into(id);
        return id;
    }

    void insert_all(std::vector<StoreItem>& items) {
        if (!postgres_) {
            insert_each(items);
            return;
        }
        std::size_t done = 0;
        while (done < items.size()) {
            std::size_t n = kMaxRowsPerInsert;
            while (n > items.size() - done) n /= 2;
            insert_rows(items, done, n);
            done += n;
        }
    }

    soci::session sql_;
    bool postgres_;
    std::uint64_t timeout_;
    PGconn* conn_ = nullptr;
    std::unique_ptr<Watchdog> watchdog_;
    // Set once the watchdog cut this connection: it is not used again.
    bool timed_out_ = false;
    std::map<std::size_t, std::unique_ptr<MultiInsert>> inserts_;
};

}  // namespace

std::pair<std::string, std::string> soci_connection(const StorageConfig& config) {
    if (config.backend == "postgresql") {
        return {"postgresql", postgres_connect_string(config.url, config.timeout_ms)};
    }
    return {"sqlite3", sqlite_connect_string(config.url)};
}

std::string quarantine_key(const std::string& channel, const std::string& content_type,
                           const std::string& body) {
    // Each part's length first, so that no two (channel, content type, body) read the same.
    const std::string lengths =
        std::to_string(channel.size()) + ':' + std::to_string(content_type.size()) + ':';
    return to_hex(sha256({lengths, channel, content_type, body}));
}

std::unique_ptr<Database> Database::open(const StorageConfig& config) {
    return std::make_unique<SociDatabase>(config);
}

}  // namespace memolib::core
