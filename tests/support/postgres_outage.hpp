// A storage outage for the tests: the throwaway PostgreSQL server of the `postgres` CTest
// fixture stopped and started again on the same port with the same data (scripts/pg.sh).
// Only tests that CTest runs RUN_SERIAL may use it: every PostgreSQL test shares that server.
#pragma once

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

}  // namespace memolib::test
