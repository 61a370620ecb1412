// The Boost.Test fixture of the end-to-end tests: one temp dir, one fresh storage, one
// gateway process per test case. At the end of the test it stops the gateway and checks that
// it shut down cleanly on SIGTERM with no sanitizer report; when the test failed, it prints
// the gateway's log so the failure can be read from CTest's output alone.
#pragma once

#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/test/results_collector.hpp>
#include <boost/test/unit_test.hpp>

#include "support/database.hpp"
#include "support/gateway_config.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace memolib::test {

inline std::string current_backend() {
    const auto& suite = boost::unit_test::framework::master_test_suite();
    return e2e_backend(suite.argc, suite.argv);
}

inline bool current_test_passed() {
    const auto id = boost::unit_test::framework::current_test_case().p_id;
    return boost::unit_test::results_collector.results(id).passed();
}

struct GatewayFixture {
    TempDir dir{"memolib-e2e"};
    TestStorage storage{current_backend(), dir.path()};
    GatewayConfig config;
    std::unique_ptr<GatewayProcess> gateway;
    std::uint16_t port = 0;
    /// Set by a test that stops the gateway itself, or expects it not to start.
    bool expect_clean_exit = true;
    /// The gateway's open-file limit (soft and hard), when a test sets one.
    std::optional<unsigned long> fd_limit;

    GatewayFixture() {
        config.backend = storage.backend();
        config.storage_url = storage.url();
        // A file of the test's own rather than the default data/spool.db, which is relative to
        // whatever directory the gateway runs in.
        if (config.backend == "postgresql") config.spool_path = (dir / "spool.db").string();
    }

    std::filesystem::path config_file() const { return dir / "gateway.yaml"; }

    /// Writes the config and starts the gateway with `args` + the config file (by default
    /// `serve -c FILE`), without waiting.
    GatewayProcess& launch(std::vector<std::string> args = {"serve", "-c"}) {
        write_file(config_file(), config.to_yaml());
        args.push_back(config_file().string());
        GatewayProcess::Options options;
        options.args = std::move(args);
        options.log_file = dir / "gateway.log";
        options.work_dir = dir.path();
        options.fd_limit = fd_limit;
        gateway = std::make_unique<GatewayProcess>(std::move(options));
        return *gateway;
    }

    /// Starts the gateway and waits until it listens.
    void start(std::vector<std::string> args = {"serve", "-c"}) {
        launch(std::move(args));
        port = gateway->wait_until_listening();
    }

    /// Starts another instance of the same configuration (on PostgreSQL, with a spool file of
    /// its own: `NAME.spool.db`), its config in NAME.yaml and its log in NAME.log, and waits
    /// until it listens. The caller stops it.
    std::unique_ptr<GatewayProcess> start_another(const std::string& name) const {
        GatewayConfig other = config;
        if (other.spool_path && !other.spool_path->empty()) {
            other.spool_path = (dir / (name + ".spool.db")).string();
        }
        const std::filesystem::path file = dir / (name + ".yaml");
        write_file(file, other.to_yaml());
        GatewayProcess::Options options;
        options.args = {"serve", "-c", file.string()};
        options.log_file = dir / (name + ".log");
        options.work_dir = dir.path();
        options.fd_limit = fd_limit;
        auto process = std::make_unique<GatewayProcess>(std::move(options));
        process->wait_until_listening();
        return process;
    }

    std::unique_ptr<Database> database() const { return storage.open(); }

    ~GatewayFixture() {
        if (gateway) {
            const bool was_running = gateway->running();
            const ExitStatus status = gateway->stop();
            const std::string log = gateway->log();
            if (expect_clean_exit) {
                BOOST_CHECK_MESSAGE(
                    status.clean(),
                    (was_running ? "on SIGTERM, the gateway " : "the gateway ended by itself: it ")
                        << status.describe());
            }
            BOOST_CHECK_MESSAGE(log.find("Sanitizer") == std::string::npos,
                                "the gateway's log holds a sanitizer report");
            if (!current_test_passed()) {
                std::cerr << "---- gateway log (" << gateway->log_file().string() << ") ----\n"
                          << log << "---- end of gateway log ----\n";
            }
        }
    }
};

}  // namespace memolib::test
