#pragma once

#include <vector>

namespace memolib::core {

/// One schema change, written once per backend.
struct Migration {
    int version;
    const char* name;
    const char* sqlite;
    const char* postgresql;
};

/// Every migration, in order. Only ever append: applied ones never change.
const std::vector<Migration>& migrations();

}  // namespace memolib::core
