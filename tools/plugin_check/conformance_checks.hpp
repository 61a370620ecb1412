#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "fixture_cases.hpp"
#include "plugins/plugin_registry.hpp"

namespace memolib::tools {

/// What every check runs on.
struct CheckContext {
    std::shared_ptr<const core::LoadedPlugin> plugin;
    std::vector<FixtureCase> cases;
    /// received_at_ms of a case that does not pin it: the time the tool started.
    std::int64_t now_ms = 0;
    /// Seeds the random inputs, so that a failure can be replayed with --seed.
    std::uint64_t seed = 1;
    /// Mutated bodies per fixture in the robustness check.
    int mutations = 200;
    /// Threads of the thread-safety check, and rounds each runs over every input.
    int threads = 4;
    int rounds = 20;
    /// Where a body that failed a check is written, so that it can be replayed.
    std::string artifact_dir;
};

/// Each check prints `[PASS] name: …` or `[FAIL] name: …` with indented details, and returns
/// whether it passed. They run in a forked child (see isolated_run.hpp), so each creates its
/// own plugin instances.

/// Every fixture case: expected status, messages (count and listed fields) and errors.
bool check_fixtures(const CheckContext& ctx);
/// Truncated, mutated and random bodies through verify and parse: only OK, UNAUTHORIZED,
/// INVALID or UNSUPPORTED_MEDIA_TYPE (a 2xx or 4xx answer), never a crash or a 500.
bool check_robustness(const CheckContext& ctx);
/// The same input twice, and on a second instance: identical outcome, messages, dedup keys.
bool check_determinism(const CheckContext& ctx);
/// The same inputs from several threads at once on one instance: the sequential outcomes.
bool check_thread_safety(const CheckContext& ctx);

}  // namespace memolib::tools
