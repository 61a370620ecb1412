#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "config/gateway_config.hpp"
#include "pipeline/message.hpp"

namespace memolib::core {

/// A storage failure, classified the way the retry policy needs it.
class StorageError : public std::runtime_error {
public:
    /// kTransient: connection lost, serialization failure, deadlock, SQLite busy: worth a retry.
    /// kFull: out of space (a full disk, an I/O error, PostgreSQL's disk_full): the storage is
    /// unavailable as for kTransient, but a query still succeeds.
    enum class Kind { kTransient, kFull, kFatal };
    StorageError(Kind kind, const std::string& message)
        : std::runtime_error(message), kind_(kind) {}
    Kind kind() const { return kind_; }

private:
    Kind kind_;
};

/// One message to store with the request it came from.
struct StoreItem {
    NormalizedMessage* message = nullptr;
    const std::string* raw_payload = nullptr;
    const std::string* content_type = nullptr;
};

/// What GET /api/messages asks for: every filter is optional (empty), results are ordered by
/// id and start after `after_id` (the cursor).
struct MessageQuery {
    std::string channel;
    /// RFC 3339 UTC as stored ("2026-11-24T04:05:06.123Z"): received_at >= since.
    std::string since;
    std::string priority;
    std::int64_t after_id = 0;
    int limit = 50;
    /// When not 0, text and html are read cut to this many characters, so that listing large
    /// messages does not read them whole.
    std::size_t max_text_chars = 0;
    /// Read the raw payload too (as find_message() does).
    bool with_raw_payload = false;
};

/// How many rows the messages table holds, and the oldest one's receipt.
struct MessagesSummary {
    std::int64_t count = 0;
    /// RFC 3339 UTC as stored; empty when there are none.
    std::string oldest_received_at;
};

/// One stored row as the read API shows it. Empty strings are SQL NULLs.
struct StoredMessage {
    std::int64_t id = 0;
    std::string channel, provider, external_id, sender, sender_masked, sender_name, recipient,
        subject, text, html, attachments_json, provider_timestamp, received_at, language, priority,
        dedup_key, request_id, metadata_json, raw_content_type, raw_encoding, raw_payload;
};

/// One quarantined request (the `quarantine` table). Empty strings are empty columns.
struct QuarantineEntry {
    std::int64_t id = 0;
    std::string channel;
    /// May be empty: parse refused the request before naming one.
    std::string provider;
    /// RFC 3339 UTC with milliseconds.
    std::string received_at;
    std::string request_id;
    /// invalid_payload, unsupported_media_type, plugin_error or message_refused.
    std::string reason;
    /// The field errors as a JSON array of {field, code, message}.
    std::string details_json = "[]";
    std::string content_type;
    /// The request's headers without the secret-bearing ones, as a JSON array of [name, value].
    std::string headers_json = "[]";
    /// The request body's bytes, as received.
    std::string raw_body;
    /// pending | reprocessed | discarded.
    std::string state = "pending";
    /// Hex SHA-256 of channel, content type and body: the same bytes are one entry.
    std::string dedup_key;
};

/// The key that makes a request's bytes one quarantine entry.
std::string quarantine_key(const std::string& channel, const std::string& content_type,
                           const std::string& body);

/// What insert_quarantine() did.
enum class QuarantineInsert {
    /// A new row (its id in the entry).
    kInserted,
    /// The same bytes were quarantined before: the entry has that row's id; nothing written.
    kExisting,
    /// The table's raw bytes would exceed the cap: nothing written.
    kFull,
};

/// What a list of quarantine entries asks for: every filter optional (empty), ordered by id,
/// starting after `after_id` (the cursor).
struct QuarantineQuery {
    std::string channel;
    std::string state;
    /// RFC 3339 UTC as stored: received_at >= since.
    std::string since;
    std::int64_t after_id = 0;
    int limit = 50;
};

/// One connection to the messages database (SQLite or PostgreSQL through SOCI).
/// Not thread-safe: the batch writer owns it on its own thread.
class Database {
public:
    /// Opens a connection; throws StorageError.
    static std::unique_ptr<Database> open(const StorageConfig& config);
    virtual ~Database() = default;

    /// Applies every pending migration in order; returns how many ran. Throws StorageError.
    virtual int migrate() = 0;
    /// The highest applied migration, 0 for none.
    virtual int schema_version() = 0;
    /// Inserts the items in one transaction. Each message ends kStored with its new id, or
    /// kDuplicate with the id of the row that holds its dedup key. Throws StorageError, in
    /// which case nothing was committed.
    virtual void insert_batch(std::vector<StoreItem>& items) = 0;
    /// True when a trivial query succeeds.
    virtual bool ping() = 0;
    /// Copies what the write-ahead log holds into the database file without blocking the
    /// writer (SQLite's passive checkpoint); PostgreSQL checkpoints by itself. Throws
    /// StorageError.
    virtual void checkpoint() {}
    /// Deletes the messages with these ids in one transaction (the spool's, once drained);
    /// returns how many there were. Throws StorageError.
    virtual std::int64_t delete_messages(const std::vector<std::int64_t>& ids) = 0;
    /// Throws StorageError.
    virtual MessagesSummary messages_summary() = 0;
    /// The bytes the database's live pages take (SQLite: its file less its free pages); 0
    /// where the server keeps its own files (PostgreSQL). Throws StorageError.
    virtual std::uint64_t used_bytes() { return 0; }
    /// The rows matching `query` (raw payload left empty unless it asks). Throws StorageError.
    virtual std::vector<StoredMessage> find_messages(const MessageQuery& query) = 0;
    /// The row with that id, raw payload included; nullopt when there is none. Throws
    /// StorageError.
    virtual std::optional<StoredMessage> find_message(std::int64_t id) = 0;
    /// Commits `entry` to the quarantine table in one transaction, unless its dedup key is
    /// there already (kExisting, entry.id set to that row's) or the raw bytes of every row plus
    /// its own would exceed `max_raw_bytes` (kFull). entry.dedup_key is filled when empty.
    /// Throws StorageError.
    virtual QuarantineInsert insert_quarantine(QuarantineEntry& entry,
                                               std::uint64_t max_raw_bytes) = 0;
    /// The entries matching `query`, raw body left empty. Throws StorageError.
    virtual std::vector<QuarantineEntry> find_quarantine(const QuarantineQuery& query) = 0;
    /// The entry with that id, raw body included; nullopt when there is none. Throws
    /// StorageError.
    virtual std::optional<QuarantineEntry> find_quarantine_entry(std::int64_t id) = 0;
    /// Moves the entry from state `from` to state `to`; false when it is not in `from` (or
    /// does not exist), so that two instances re-processing one entry cannot both win. Throws
    /// StorageError.
    virtual bool set_quarantine_state(std::int64_t id, const std::string& from,
                                      const std::string& to) = 0;
    /// Stores the messages a re-processed entry made and marks the entry reprocessed, in one
    /// transaction: each item ends kStored or kDuplicate as in insert_batch(). False, with
    /// nothing committed, when the entry is not pending (another re-processing won). Throws
    /// StorageError, in which case nothing was committed.
    virtual bool reprocess_quarantine(std::int64_t id, std::vector<StoreItem>& items) {
        (void)id;
        (void)items;
        throw StorageError(StorageError::Kind::kFatal, "re-processing is not supported here");
    }
    /// Deletes the entry (the spool's, once drained). Throws StorageError.
    virtual void delete_quarantine_entry(std::int64_t id) = 0;
    /// The number of pending entries per channel (channels with none left out). Throws
    /// StorageError.
    virtual std::vector<std::pair<std::string, std::int64_t>> quarantine_pending() = 0;
};

/// The SOCI backend name and connection string for a storage config ("sqlite3", "db=…").
std::pair<std::string, std::string> soci_connection(const StorageConfig& config);

/// The latest migration version this build knows.
int latest_schema_version();

}  // namespace memolib::core
