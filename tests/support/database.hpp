// Direct access to the gateway's database from a test, to check what it really stored:
// SQLite through libsqlite3, PostgreSQL through libpq. Also the storage a test runs on
// (a fresh SQLite file, or a fresh PostgreSQL database on the test server).
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace memolib::test {

/// One result row: column name → text value (nullopt for SQL NULL).
using Row = std::map<std::string, std::optional<std::string>>;

class Database {
public:
    virtual ~Database() = default;
    /// Runs one statement and returns its rows. Throws std::runtime_error on error.
    virtual std::vector<Row> query(const std::string& sql) = 0;
    /// The first column of the first row as an integer.
    long long scalar(const std::string& sql);
};

std::unique_ptr<Database> open_sqlite(const std::filesystem::path& file);
std::unique_ptr<Database> open_postgresql(const std::string& url);

/// A single-quoted SQL string literal.
std::string sql_literal(std::string_view text);

/// The PostgreSQL server the tests use: $MEMOLIB_TEST_PG_URL, else the URL that the CTest
/// fixture `postgres_start` (scripts/pg.sh) wrote to <build>/postgres/url. Throws when
/// there is none.
std::string postgres_test_url();

/// `url` with its database name replaced by `database` (URI or key=value form).
std::string with_database(const std::string& url, const std::string& database);

/// The backend the end-to-end tests run on: `--backend=NAME` after `--` on the test's command
/// line, else $MEMOLIB_E2E_BACKEND, else sqlite.
std::string e2e_backend(int argc, char** argv);

/// The storage of one test: a fresh SQLite file in `dir`, or a fresh PostgreSQL database
/// (created on the test server, dropped at the end).
class TestStorage {
public:
    TestStorage(const std::string& backend, const std::filesystem::path& dir);
    ~TestStorage();
    TestStorage(const TestStorage&) = delete;
    TestStorage& operator=(const TestStorage&) = delete;

    const std::string& backend() const { return backend_; }
    /// What goes into storage.url.
    const std::string& url() const { return url_; }
    std::unique_ptr<Database> open() const;

private:
    std::string backend_;
    std::string url_;
    std::string server_url_;  // PostgreSQL: the server's maintenance database
    std::string database_;    // PostgreSQL: the database created for this test
};

}  // namespace memolib::test
