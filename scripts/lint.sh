#!/usr/bin/env bash
# Style checks: clang-format (.clang-format) on every C/C++ file, and optionally clang-tidy
# (.clang-tidy) on every translation unit of a configured build.
#
#   ./scripts/lint.sh                    check formatting; exit 1 when a file would change
#   ./scripts/lint.sh --fix              reformat the files in place
#   ./scripts/lint.sh --tidy [BUILD]     also run clang-tidy, with BUILD's compile_commands.json
#                                        (default build/release; configure it first)
set -euo pipefail
cd "$(dirname "$0")/.."

fix=0
tidy=0
build=build/release
while [[ $# -gt 0 ]]; do
    case "$1" in
    --fix) fix=1 ;;
    --tidy)
        tidy=1
        if [[ $# -gt 1 && "$2" != --* ]]; then
            build=$2
            shift
        fi
        ;;
    *)
        echo "usage: $0 [--fix] [--tidy [BUILD_DIR]]" >&2
        exit 2
        ;;
    esac
    shift
done

# The linters are not build dependencies: install them only here.
tools=(clang-format)
[[ $tidy -eq 1 ]] && tools+=(clang-tidy)
missing=()
for tool in "${tools[@]}"; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if [[ ${#missing[@]} -gt 0 ]]; then
    as_root=()
    [[ $(id -u) -ne 0 ]] && as_root=(sudo -n)
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o Dpkg::Use-Pty=0 \
        --no-install-recommends "${missing[@]}" </dev/null
fi

mapfile -t files < <(git ls-files --cached --others --exclude-standard -- \
    '*.c' '*.h' '*.cpp' '*.hpp' | grep -v '^build' |
    while read -r file; do [[ -f "$file" ]] && echo "$file"; done || true)
status=0

if [[ $fix -eq 1 ]]; then
    clang-format -i --style=file "${files[@]}"
    echo "lint.sh: formatted ${#files[@]} files"
else
    unformatted=()
    for file in "${files[@]}"; do
        if ! clang-format --style=file --dry-run --Werror "$file" >/dev/null 2>&1; then
            unformatted+=("$file")
        fi
    done
    if [[ ${#unformatted[@]} -gt 0 ]]; then
        echo "lint.sh: not clang-formatted (run ./scripts/lint.sh --fix):" >&2
        printf '  %s\n' "${unformatted[@]}" >&2
        status=1
    else
        echo "lint.sh: ${#files[@]} files are clang-formatted"
    fi
fi

if [[ $tidy -eq 1 ]]; then
    [[ -f "$build/compile_commands.json" ]] ||
        { echo "lint.sh: no $build/compile_commands.json (cmake --preset release first)" >&2; exit 2; }
    mapfile -t units < <(printf '%s\n' "${files[@]}" | grep -E '\.(c|cpp)$')
    # Two at a time: the machines have two cores.
    if ! printf '%s\n' "${units[@]}" |
        xargs -P 2 -n 4 clang-tidy -p "$build" --quiet --warnings-as-errors='*' 2>/dev/null; then
        echo "lint.sh: clang-tidy found problems (above)" >&2
        status=1
    else
        echo "lint.sh: clang-tidy is clean on ${#units[@]} files"
    fi
fi
exit $status
