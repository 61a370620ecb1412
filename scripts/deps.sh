#!/usr/bin/env bash
# Installs every Debian 12 package the gateway needs to build, run and test.
# Idempotent: when everything is already installed, it returns at once without apt.
# Runs as root, or through sudo otherwise; never reads stdin (CI runs it with none).
set -euo pipefail

packages=(
    # toolchain
    build-essential cmake ninja-build pkg-config
    # libraries the gateway and its plugins link
    libboost-dev libboost-test-dev libyaml-cpp-dev rapidjson-dev libcli11-dev
    libsoci-dev libsqlite3-dev libpq-dev libssl-dev zlib1g-dev
    libphonenumber-dev libcld2-dev libgmime-3.0-dev libhiredis-dev libicu-dev
    # the tests: throwaway PostgreSQL and Redis servers, the sqlite3 CLI, curl for the README
    # example; python3 also generates the config-key tables of the docs
    postgresql redis-server sqlite3 curl ca-certificates python3 python3-prometheus-client
    # the dashboard's browser test: headless Chromium driven through ChromeDriver
    chromium chromium-driver
    # the fuzz targets: clang with its libFuzzer and sanitizer runtimes
    clang libclang-rt-14-dev
    # the ABI test builds a plugin with clang and libc++, loaded by the g++/libstdc++ host
    libc++-dev libc++abi-dev
)

# One dpkg-query for all: it prints "name status" for each package it knows.
installed=$(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "${packages[@]}" 2>/dev/null |
    awk '$2 == "installed" { print $1 }' || true)
missing=()
for package in "${packages[@]}"; do
    if ! grep -qxF "$package" <<<"$installed"; then
        missing+=("$package")
    fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
    echo "deps.sh: all ${#packages[@]} packages are installed"
    exit 0
fi

if [[ $(id -u) -eq 0 ]]; then
    as_root=()
elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo -n)
else
    echo "deps.sh: missing packages (${missing[*]}) and neither root nor sudo to install them" >&2
    exit 1
fi

echo "deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o Dpkg::Use-Pty=0 \
    --no-install-recommends "${missing[@]}" </dev/null
