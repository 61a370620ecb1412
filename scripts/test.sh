#!/usr/bin/env bash
# Installs what is missing, then builds and runs every test under each preset:
#   release      the optimized build
#   asan-ubsan   AddressSanitizer (with leak detection) + UndefinedBehaviorSanitizer
# The PostgreSQL tests start their own throwaway server (CTest fixture, scripts/pg.sh).
#
#   ./scripts/test.sh                 both presets
#   ./scripts/test.sh release         only the named preset(s)
#   MEMOLIB_SKIP_FUZZ=1 ./scripts/test.sh   without the 30-second fuzz run of each plugin
#
# Exits non-zero when any configure, build or test fails; goes on with the next preset so
# that one run reports everything. MEMOLIB_JOBS=N overrides the presets' 2 parallel jobs
# (for builds and tests) on a machine that is busy with other work.
set -euo pipefail
cd "$(dirname "$0")/.."

presets=("$@")
if [[ ${#presets[@]} -eq 0 ]]; then
    presets=(release asan-ubsan)
fi

./scripts/deps.sh

jobs=()
if [[ -n "${MEMOLIB_JOBS:-}" ]]; then
    jobs=(-j "$MEMOLIB_JOBS")
fi

failed=()
# The fuzz smoke runs first, so that CTest's summary stays the last word of the run.
if [[ -z "${MEMOLIB_SKIP_FUZZ:-}" ]]; then
    echo "==== fuzz: 30 s per plugin"
    ./scripts/fuzz.sh 30 || failed+=("fuzz")
fi
for preset in "${presets[@]}"; do
    echo "==== $preset: configure"
    if ! cmake --preset "$preset"; then
        failed+=("$preset (configure)")
        continue
    fi
    echo "==== $preset: build"
    start=$SECONDS
    if ! cmake --build --preset "$preset" "${jobs[@]}"; then
        failed+=("$preset (build)")
        continue
    fi
    echo "==== $preset: built in $((SECONDS - start)) s"
    echo "==== $preset: test"
    if ! ctest --preset "$preset" "${jobs[@]}"; then
        failed+=("$preset (tests)")
    fi
done

if [[ ${#failed[@]} -gt 0 ]]; then
    echo "==== FAILED: ${failed[*]}" >&2
    exit 1
fi
# Nothing printed after this point: CTest's own summary stays the last word of the run.
