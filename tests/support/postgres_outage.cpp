#include "support/postgres_outage.hpp"

#include <chrono>
#include <stdexcept>
#include <string>

#include "support/process.hpp"

namespace memolib::test {
namespace {

void pg_script(const char* verb) {
    const std::string state = (plugins_build_directory().parent_path() / "postgres").string();
    const std::string script = (source_directory() / "scripts" / "pg.sh").string();
    const ProcessResult result = run_process({"/bin/bash", script, verb, state}, source_directory(),
                                             std::chrono::seconds(90));
    if (!result.status.clean()) {
        throw std::runtime_error("scripts/pg.sh " + std::string(verb) + " " +
                                 result.status.describe() + ": " + result.err);
    }
}

}  // namespace

void pause_test_postgresql() { pg_script("pause"); }
void resume_test_postgresql() { pg_script("resume"); }
void freeze_test_postgresql() { pg_script("freeze"); }
void thaw_test_postgresql() { pg_script("thaw"); }

}  // namespace memolib::test
