#!/usr/bin/env bash
# Installs what is missing, builds the release preset, and serves the default configuration
# (config/gateway.yaml: SQLite under data/, http://127.0.0.1:8080). Extra arguments go to
# the gateway, e.g. `./scripts/run.sh -c config/gateway.postgres.yaml`.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/deps.sh
cmake --preset release
jobs=()
if [[ -n "${MEMOLIB_JOBS:-}" ]]; then
    jobs=(-j "$MEMOLIB_JOBS")
fi
cmake --build --preset release "${jobs[@]}"
mkdir -p data
if [[ $# -eq 0 ]]; then
    set -- -c config/gateway.yaml
fi
exec build/release/bin/memolib-gateway "$@"
