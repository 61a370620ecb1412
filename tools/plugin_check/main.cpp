// memolib-plugin-check PLUGIN.so [FIXTURES_DIR]: the conformance tool a plugin author runs
// before shipping. It loads the plugin as the gateway does, then runs each check in a child
// process so that a crash is a failed check with a report. Exit 0 when every check passes.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "conformance_checks.hpp"
#include "descriptor_report.hpp"
#include "fixture_cases.hpp"
#include "isolated_run.hpp"
#include "observability/logger.hpp"
#include "plugins/plugin_registry.hpp"

namespace {

using memolib::tools::CheckContext;

struct Check {
    const char* name;
    bool (*run)(const CheckContext&);
};

int run(int argc, char** argv) {
    CLI::App app{
        "Checks a MemoLib Gateway channel plugin: descriptor, config schema, fixtures, "
        "truncated and random bodies, determinism and thread safety (see docs/sdk.md)"};
    std::string plugin_path;
    std::string fixtures_dir;
    CheckContext ctx;
    int timeout_s = 300;
    app.add_option("plugin", plugin_path, "The plugin's .so file")->required();
    app.add_option("fixtures", fixtures_dir, "Directory of <case>.case.json fixture cases");
    app.add_option("--seed", ctx.seed, "Seed of the random bodies")->capture_default_str();
    app.add_option("--mutations", ctx.mutations, "Mutated bodies per fixture")
        ->capture_default_str();
    app.add_option("--threads", ctx.threads, "Threads of the thread-safety check")
        ->capture_default_str();
    app.add_option("--rounds", ctx.rounds, "Rounds each thread runs over the inputs")
        ->capture_default_str();
    app.add_option("--timeout", timeout_s, "Seconds each check may take before it fails")
        ->capture_default_str();
    app.add_option("--artifacts", ctx.artifact_dir,
                   "Where to save a body that fails a check (default: $TMPDIR or /tmp)");
    CLI11_PARSE(app, argc, argv);

    if (ctx.artifact_dir.empty()) {
        const char* tmp = std::getenv("TMPDIR");
        ctx.artifact_dir = tmp != nullptr && *tmp != '\0' ? tmp : "/tmp";
    }
    ctx.now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::system_clock::now().time_since_epoch())
                     .count();
    // The loader's and the plugin's info and warning lines would bury the report.
    memolib::core::log().set_level(memolib::core::LogLevel::kError);

    memolib::core::PluginRegistry registry;
    if (auto refused = registry.load_file(plugin_path)) {
        std::printf("[FAIL] load: the gateway would refuse %s: %s\n", plugin_path.c_str(),
                    refused->c_str());
        std::printf("result: FAIL\n");
        return 1;
    }
    ctx.plugin = registry.plugins().begin()->second;
    std::printf("[PASS] load: %s loads as the gateway loads it (Boost.DLL, RTLD_NOW)\n",
                plugin_path.c_str());
    memolib::tools::print_descriptor(*ctx.plugin);

    int failed = 0;
    int total = 1;
    ++total;
    const auto problems = memolib::tools::descriptor_problems(*ctx.plugin);
    if (problems.empty()) {
        std::printf("[PASS] descriptor and config schema\n");
    } else {
        ++failed;
        std::printf("[FAIL] descriptor and config schema\n");
        for (const std::string& p : problems) std::printf("       - %s\n", p.c_str());
    }
    for (const std::string& w : memolib::tools::descriptor_warnings(*ctx.plugin)) {
        std::printf("       warning: %s\n", w.c_str());
    }

    if (!fixtures_dir.empty()) {
        try {
            ctx.cases = memolib::tools::read_fixture_cases(fixtures_dir);
        } catch (const std::exception& e) {
            std::printf("[FAIL] fixtures: %s\n", e.what());
            std::printf("result: FAIL\n");
            return 1;
        }
    }

    const Check checks[] = {{"fixtures", &memolib::tools::check_fixtures},
                            {"robustness", &memolib::tools::check_robustness},
                            {"determinism", &memolib::tools::check_determinism},
                            {"thread safety", &memolib::tools::check_thread_safety}};
    for (const Check& check : checks) {
        ++total;
        const auto result = memolib::tools::run_isolated([&] { return check.run(ctx); },
                                                         std::chrono::seconds(timeout_s));
        if (!result.crash.empty()) {
            std::printf("[FAIL] %s: the plugin %s\n", check.name, result.crash.c_str());
            const std::string body = memolib::tools::CrashContext::body();
            const std::string path =
                ctx.artifact_dir + "/memolib-plugin-check-" + ctx.plugin->name + "-crash.bin";
            std::FILE* f = body.empty() ? nullptr : std::fopen(path.c_str(), "wb");
            if (f != nullptr) {
                std::fwrite(body.data(), 1, body.size(), f);
                std::fclose(f);
                std::printf("       - its input (%zu bytes) is saved to %s\n", body.size(),
                            path.c_str());
            }
        }
        if (!result.passed) ++failed;
    }
    if (failed == 0) {
        std::printf("result: PASS (%d checks)\n", total);
        return 0;
    }
    std::printf("result: FAIL (%d of %d checks failed)\n", failed, total);
    return 1;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "memolib-plugin-check: %s\n", e.what());
        return 1;
    }
}
