#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "config/gateway_config.hpp"
#include "storage/database.hpp"

namespace memolib::core {

/// What the spool holds now, for /ready, the metrics and the dashboard.
struct SpoolStats {
    /// Messages waiting to be drained into the primary storage.
    std::int64_t depth = 0;
    /// When the oldest of them was received (ms since the epoch); 0 when there is none.
    std::int64_t oldest_received_ms = 0;
    /// Bytes the spool's rows take in its file, against `max_bytes`.
    std::uint64_t bytes = 0;
    std::uint64_t max_bytes = 0;
    /// Quarantine entries (authentic requests parse refused) waiting for the primary's table.
    std::int64_t quarantined = 0;
};

/// The local spool (DESIGN.md, "The promise"): an SQLite file with the messages table's own
/// schema and UNIQUE dedup key, where the messages of a batch PostgreSQL could not commit are
/// committed instead (fsync'd: WAL with synchronous=FULL) until the drainer moves them into
/// PostgreSQL. Thread-safe: one connection, used by one caller at a time.
class Spool {
public:
    /// Nothing is opened until the first call that needs the file.
    explicit Spool(const StorageConfig& storage);
    ~Spool();
    Spool(const Spool&) = delete;
    Spool& operator=(const Spool&) = delete;

    enum class Result {
        /// Every item committed (or already in the spool): each message's status kSpooled.
        kSpooled,
        /// The rows would pass `storage.spool.max_size`: nothing written.
        kFull,
    };
    /// Commits the items in one transaction. Throws StorageError (kFull when its file system is
    /// full), in which case nothing was committed.
    Result store(std::vector<StoreItem>& items);
    /// The oldest `limit` rows after `after_id`, raw payload included, oldest (lowest id)
    /// first. Throws StorageError.
    std::vector<StoredMessage> oldest(int limit, std::int64_t after_id = 0);
    /// Deletes these rows, once the primary holds them. Throws StorageError.
    void remove(const std::vector<std::int64_t>& ids);
    /// Commits a quarantine entry to the spool's quarantine table: kInserted (entry.id the
    /// spool's), kExisting (the same bytes are there), or kFull (the spool's cap; nothing
    /// written). Throws StorageError.
    QuarantineInsert store_quarantine(QuarantineEntry& entry);
    /// The oldest `limit` quarantine entries, raw body included. Throws StorageError.
    std::vector<QuarantineEntry> oldest_quarantine(int limit);
    /// Deletes a quarantine entry, once the primary holds it. Throws StorageError.
    void remove_quarantine(std::int64_t id);
    /// Reads the depth and oldest row from the file (at start, after a crash); later they are
    /// kept up to date by each call. Throws StorageError.
    void refresh();
    /// The last known state; never touches the file.
    SpoolStats stats() const;
    const std::string& path() const { return storage_.url; }

private:
    Database& db();
    /// Runs `work` on the connection under the lock; a StorageError drops the connection.
    template <typename Work>
    auto with_db(Work&& work);
    /// Reads the file's size after `written` bytes went into it, and publishes the figures.
    void note_bytes(Database& spool, std::uint64_t written);
    void publish() const;

    StorageConfig storage_;
    std::uint64_t max_bytes_;
    std::mutex mutex_;
    std::unique_ptr<Database> db_;
    std::atomic<std::int64_t> depth_{0};
    std::atomic<std::int64_t> oldest_ms_{0};
    std::atomic<std::uint64_t> bytes_{0};
    std::atomic<std::int64_t> quarantined_{0};
};

/// A spooled row as the message it was, so that the primary stores it as it would have:
/// same dedup key, same receipt time, same request id. `raw_payload` and `content_type`
/// receive the request's body and content type. False when the row's dedup key or receipt
/// time cannot be read back.
bool message_from_row(const StoredMessage& row, NormalizedMessage& m, std::string& raw_payload,
                      std::string& content_type);

}  // namespace memolib::core
