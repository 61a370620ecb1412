#pragma once

#include <memory>
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
    enum class Kind { kTransient, kFatal };
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
};

/// The SOCI backend name and connection string for a storage config ("sqlite3", "db=…").
std::pair<std::string, std::string> soci_connection(const StorageConfig& config);

/// The latest migration version this build knows.
int latest_schema_version();

}  // namespace memolib::core
