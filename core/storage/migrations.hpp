#pragma once

#include <vector>

namespace soci {
class session;
}

namespace memolib::core {

/// One schema change, written once per backend, and what SQL alone cannot do (rewriting rows
/// with C++), run after the SQL in the same transaction.
struct Migration {
    int version;
    const char* name;
    const char* sqlite;
    const char* postgresql;
    void (*rewrite)(soci::session& sql) = nullptr;
};

/// Every migration, in order. Only ever append: applied ones never change.
const std::vector<Migration>& migrations();

}  // namespace memolib::core
