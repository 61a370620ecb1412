#!/usr/bin/env bash
# Builds every plugin's libFuzzer target (preset `fuzz`: clang, ASan) and runs each for
# SECONDS (default 30), seeded with a copy of the plugin's test fixtures.
#
#   ./scripts/fuzz.sh            30 s each (what CI runs)
#   ./scripts/fuzz.sh 300        the 5-minute runs quoted in the channels' notes
#
# Exits non-zero when a target crashes, leaks, hangs or trips a sanitizer; the input that did
# it is kept under build/fuzz/crashes/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}

cmake --preset fuzz >/dev/null
targets=()
for dir in plugins/*/fuzz; do
    name=$(basename "$(dirname "$dir")")
    [[ -n $(ls "$dir"/*.cpp 2>/dev/null) ]] && targets+=("${name}_parse_fuzz")
done
cmake --build --preset fuzz --target "${targets[@]}"

failed=()
mkdir -p build/fuzz/crashes
for target in "${targets[@]}"; do
    plugin=${target%_parse_fuzz}
    corpus=$(mktemp -d "${TMPDIR:-/tmp}/memolib-fuzz-$plugin.XXXXXX")
    # Every fixture, whatever its folder, is a seed; libFuzzer adds what it finds to the copy.
    find "plugins/$plugin/tests/fixtures" -type f ! -name '*.md' -exec cp -t "$corpus" {} + 2>/dev/null || true
    log=build/fuzz/$target.log
    if build/fuzz/bin/"$target" "$corpus" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -max_len=65536 -print_final_stats=1 -artifact_prefix=build/fuzz/crashes/"$target"- \
        >"$log" 2>&1; then
        echo "fuzz $target: $(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$') executions in ${seconds} s, clean"
    else
        echo "fuzz $target: FAILED (log: $log)"
        tail -n 40 "$log"
        failed+=("$target")
    fi
    rm -rf "$corpus"
done
[[ ${#failed[@]} -eq 0 ]] || { echo "fuzz: failed: ${failed[*]}" >&2; exit 1; }
