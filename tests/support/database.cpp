#include "support/database.hpp"

#include <cstdlib>
#include <stdexcept>

#include <libpq-fe.h>
#include <sqlite3.h>

#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace memolib::test {
namespace {

class SqliteDatabase : public Database {
public:
    explicit SqliteDatabase(const std::filesystem::path& file) {
        // Read-only: the gateway owns the file; a test only looks.
        if (sqlite3_open_v2(file.c_str(), &db_, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
            const std::string error = db_ ? sqlite3_errmsg(db_) : "out of memory";
            sqlite3_close(db_);
            throw std::runtime_error("sqlite3_open(" + file.string() + "): " + error);
        }
        sqlite3_busy_timeout(db_, 10000);
    }
    ~SqliteDatabase() override { sqlite3_close(db_); }
    SqliteDatabase(const SqliteDatabase&) = delete;
    SqliteDatabase& operator=(const SqliteDatabase&) = delete;

    std::vector<Row> query(const std::string& sql) override {
        sqlite3_stmt* statement = nullptr;
        if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &statement, nullptr) != SQLITE_OK) {
            throw std::runtime_error("sqlite: " + std::string(sqlite3_errmsg(db_)) + " in: " + sql);
        }
        std::vector<Row> rows;
        int rc = SQLITE_ROW;
        while ((rc = sqlite3_step(statement)) == SQLITE_ROW) {
            Row row;
            for (int i = 0; i < sqlite3_column_count(statement); ++i) {
                const char* name = sqlite3_column_name(statement, i);
                if (sqlite3_column_type(statement, i) == SQLITE_NULL) {
                    row[name] = std::nullopt;
                } else {
                    const auto* text = sqlite3_column_text(statement, i);
                    const int size = sqlite3_column_bytes(statement, i);
                    row[name] = std::string(reinterpret_cast<const char*>(text),
                                            static_cast<std::size_t>(size));
                }
            }
            rows.push_back(std::move(row));
        }
        const std::string error = sqlite3_errmsg(db_);
        sqlite3_finalize(statement);
        if (rc != SQLITE_DONE) {
            throw std::runtime_error("sqlite: " + error + " in: " + sql);
        }
        return rows;
    }

private:
    sqlite3* db_ = nullptr;
};

class PostgresDatabase : public Database {
public:
    explicit PostgresDatabase(const std::string& url) : connection_(PQconnectdb(url.c_str())) {
        if (PQstatus(connection_) != CONNECTION_OK) {
            const std::string error = PQerrorMessage(connection_);
            PQfinish(connection_);
            throw std::runtime_error("libpq: cannot connect to " + url + ": " + error);
        }
    }
    ~PostgresDatabase() override { PQfinish(connection_); }
    PostgresDatabase(const PostgresDatabase&) = delete;
    PostgresDatabase& operator=(const PostgresDatabase&) = delete;

    std::vector<Row> query(const std::string& sql) override {
        PGresult* result = PQexec(connection_, sql.c_str());
        const auto status = PQresultStatus(result);
        if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
            const std::string error = PQresultErrorMessage(result);
            PQclear(result);
            throw std::runtime_error("libpq: " + error + " in: " + sql);
        }
        std::vector<Row> rows;
        for (int r = 0; r < PQntuples(result); ++r) {
            Row row;
            for (int c = 0; c < PQnfields(result); ++c) {
                if (PQgetisnull(result, r, c) != 0) {
                    row[PQfname(result, c)] = std::nullopt;
                } else {
                    row[PQfname(result, c)] =
                        std::string(PQgetvalue(result, r, c),
                                    static_cast<std::size_t>(PQgetlength(result, r, c)));
                }
            }
            rows.push_back(std::move(row));
        }
        PQclear(result);
        return rows;
    }

private:
    PGconn* connection_;
};

std::string trim_newlines(std::string text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
        text.pop_back();
    }
    return text;
}

}  // namespace

long long Database::scalar(const std::string& sql) {
    const auto rows = query(sql);
    if (rows.empty() || rows.front().empty() || !rows.front().begin()->second) {
        throw std::runtime_error("no value from: " + sql);
    }
    return std::stoll(*rows.front().begin()->second);
}

std::unique_ptr<Database> open_sqlite(const std::filesystem::path& file) {
    return std::make_unique<SqliteDatabase>(file);
}

std::unique_ptr<Database> open_postgresql(const std::string& url) {
    return std::make_unique<PostgresDatabase>(url);
}

std::string sql_literal(std::string_view text) {
    std::string out = "'";
    for (const char c : text) {
        if (c == '\'') {
            out += '\'';
        }
        out += c;
    }
    out += '\'';
    return out;
}

std::string postgres_test_url() {
    if (const char* url = std::getenv("MEMOLIB_TEST_PG_URL"); url && *url) {
        return url;
    }
    const auto file = std::filesystem::path(MEMOLIB_BINARY_DIR) / "postgres" / "url";
    std::string url = trim_newlines(read_file(file));
    if (url.empty()) {
        throw std::runtime_error(
            "no PostgreSQL server for the tests: set MEMOLIB_TEST_PG_URL, or run the test "
            "through ctest so that the `postgres_start` fixture writes " +
            file.string());
    }
    return url;
}

std::string with_database(const std::string& url, const std::string& database) {
    if (url.rfind("postgresql://", 0) == 0 || url.rfind("postgres://", 0) == 0) {
        const auto scheme_end = url.find("://") + 3;
        const auto query = url.find('?', scheme_end);
        const auto authority_end = url.find('/', scheme_end);
        const std::string suffix = query == std::string::npos ? "" : url.substr(query);
        const std::string base =
            url.substr(0, std::min(authority_end, query == std::string::npos ? url.size() : query));
        return base + "/" + database + suffix;
    }
    // key=value form: a later keyword overrides an earlier one.
    return url + " dbname=" + database;
}

std::string e2e_backend(int argc, char** argv) {
    const std::string flag = "--backend=";
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg.rfind(flag, 0) == 0) {
            return arg.substr(flag.size());
        }
    }
    if (const char* env = std::getenv("MEMOLIB_E2E_BACKEND"); env && *env) {
        return env;
    }
    return "sqlite";
}

TestStorage::TestStorage(const std::string& backend, const std::filesystem::path& dir)
    : backend_(backend) {
    if (backend == "sqlite") {
        url_ = (dir / "memolib.db").string();
    } else if (backend == "postgresql") {
        server_url_ = postgres_test_url();
        database_ = "memolib_e2e_" + random_hex(12);
        open_postgresql(server_url_)->query("CREATE DATABASE " + database_);
        url_ = with_database(server_url_, database_);
    } else {
        throw std::runtime_error("unknown backend '" + backend + "' (sqlite | postgresql)");
    }
}

TestStorage::~TestStorage() {
    if (database_.empty() || std::getenv("MEMOLIB_KEEP_TEST_DIRS") != nullptr) {
        return;
    }
    try {
        open_postgresql(server_url_)
            ->query("DROP DATABASE IF EXISTS " + database_ + " WITH (FORCE)");
    } catch (const std::exception&) {
        // The server may already be gone; the fixture's cleanup deletes it all anyway.
    }
}

std::unique_ptr<Database> TestStorage::open() const {
    if (backend_ == "sqlite") {
        return open_sqlite(url_);
    }
    return open_postgresql(url_);
}

}  // namespace memolib::test
