// A storage outage for the tests: the throwaway PostgreSQL server of the `postgres` CTest
// fixture stopped and started again on the same port with the same data (scripts/pg.sh).
// Only tests that CTest runs RUN_SERIAL may use it: every PostgreSQL test shares that server.
#pragma once

#include <exception>

#include <boost/test/unit_test.hpp>

namespace memolib::test {

/// `scripts/pg.sh pause <build>/postgres`; throws std::runtime_error when it fails (an
/// external server named by MEMOLIB_TEST_PG_URL is never stopped).
void pause_test_postgresql();
/// `scripts/pg.sh resume <build>/postgres`; throws std::runtime_error when it fails.
void resume_test_postgresql();
/// `scripts/pg.sh freeze <build>/postgres`: the server and its backends SIGSTOPped, a server
/// that hangs (connections are accepted by the kernel, nothing is answered).
void freeze_test_postgresql();
/// `scripts/pg.sh thaw <build>/postgres`: SIGCONT.
void thaw_test_postgresql();

/// The test PostgreSQL stopped (kStopped) or hung (kFrozen) for the guard's lifetime, or until
/// end(): started again at the latest when the guard ends, whatever failed, since every later
/// test needs it.
class PostgresOutage {
public:
    enum class Kind { kStopped, kFrozen };
    explicit PostgresOutage(Kind kind = Kind::kStopped) : kind_(kind) {
        if (kind_ == Kind::kStopped)
            pause_test_postgresql();
        else
            freeze_test_postgresql();
    }
    ~PostgresOutage() {
        try {
            end();
        } catch (const std::exception& e) {
            BOOST_ERROR("PostgreSQL could not be started again: " << e.what());
        }
    }
    PostgresOutage(const PostgresOutage&) = delete;
    PostgresOutage& operator=(const PostgresOutage&) = delete;

    void end() {
        if (over_) return;
        over_ = true;
        if (kind_ == Kind::kStopped)
            resume_test_postgresql();
        else
            thaw_test_postgresql();
    }

private:
    Kind kind_;
    bool over_ = false;
};

}  // namespace memolib::test
