// Child processes for end-to-end tests: the gateway binary as a server (started, waited for
// until it logs `listening`, stopped with SIGTERM then SIGKILL), and one-shot commands
// (`validate`, `migrate`) whose exit code and output the tests check.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace memolib::test {

/// <build>/bin/memolib-gateway, or $MEMOLIB_GATEWAY_BINARY when set.
std::filesystem::path gateway_binary();
/// <build>/plugins.
std::filesystem::path plugins_build_directory();
/// <build>/tests/loader (the loader fixtures built by the tests).
std::filesystem::path loader_fixtures_directory();
/// The source tree's root.
std::filesystem::path source_directory();

/// How a child ended.
struct ExitStatus {
    bool exited = false;  ///< it called exit(); `code` holds its status
    int code = -1;
    int signal = 0;          ///< the signal that ended it, when it did not exit
    bool timed_out = false;  ///< we had to kill it (SIGKILL) after the timeout

    bool clean() const { return exited && code == 0; }
    std::string describe() const;
};

struct ProcessResult {
    ExitStatus status;
    std::string out;  ///< its stdout
    std::string err;  ///< its stderr
};

/// Runs `argv` (argv[0] a path) to completion in `work_dir`, capturing stdout and stderr.
/// Killed with SIGKILL after `timeout`. `env` is added to (or overrides) the test's own.
/// Throws std::runtime_error when it cannot start.
ProcessResult run_process(const std::vector<std::string>& argv,
                          const std::filesystem::path& work_dir,
                          std::chrono::milliseconds timeout = std::chrono::seconds(60),
                          const std::vector<std::pair<std::string, std::string>>& env = {});

/// One line of the gateway's JSON log: its top-level scalar fields as text (strings as they
/// are, numbers and booleans as written). `json` is false for a line that is not a JSON
/// object, whose text is only in `raw`.
struct LogEvent {
    std::string raw;
    bool json = false;
    std::map<std::string, std::string> fields;

    /// The field's text, or "" when absent.
    std::string get(const std::string& key) const;
};

/// Splits a log into events (complete lines only).
std::vector<LogEvent> parse_log(const std::string& text);

class GatewayProcess {
public:
    struct Options {
        std::filesystem::path binary = gateway_binary();
        /// Arguments after the binary, e.g. {"serve", "-c", "/tmp/x/gateway.yaml"}.
        std::vector<std::string> args;
        /// stdout and stderr both go here.
        std::filesystem::path log_file;
        /// The child's working directory.
        std::filesystem::path work_dir;
        /// Extra environment variables, on top of the test's own.
        std::vector<std::pair<std::string, std::string>> env;
        /// How long to wait for the `listening` line (sanitizer builds start slowly).
        std::chrono::milliseconds start_timeout = std::chrono::seconds(60);
        /// When set, the child's open-file limit (soft and hard, so that it cannot raise it).
        std::optional<unsigned long> fd_limit;
    };

    /// Starts the child. Does not wait for it to listen: see wait_until_listening().
    explicit GatewayProcess(Options options);
    /// Stops it if it still runs (SIGTERM, then SIGKILL).
    ~GatewayProcess();
    GatewayProcess(const GatewayProcess&) = delete;
    GatewayProcess& operator=(const GatewayProcess&) = delete;

    /// Waits for the `listening` log line and returns its port. Throws std::runtime_error,
    /// quoting the log, when the child exits first or the timeout passes.
    std::uint16_t wait_until_listening();
    /// Waits for the child to exit by itself (a start-up that must fail).
    ExitStatus wait_for_exit(std::chrono::milliseconds timeout);
    /// SIGTERM, then SIGKILL after `grace`. Returns how it ended (also when already ended).
    ExitStatus stop(std::chrono::milliseconds grace = std::chrono::seconds(15));

    bool running();
    pid_t pid() const { return pid_; }
    std::uint16_t port() const { return port_; }
    std::string log() const;
    std::vector<LogEvent> events() const { return parse_log(log()); }
    const std::filesystem::path& log_file() const { return options_.log_file; }

private:
    /// Reaps the child if it ended; true when it has.
    bool reap(bool block);

    Options options_;
    pid_t pid_ = -1;
    std::uint16_t port_ = 0;
    std::optional<ExitStatus> exit_;
};

}  // namespace memolib::test
