#!/usr/bin/env bash
# Installs the Debian 12 packages mamba-serve builds, runs and tests with.
# Idempotent and non-interactive; run as root, or as a user with sudo.
set -euo pipefail

packages=(
  build-essential cmake pkg-config git ca-certificates curl jq
  libcpp-httplib-dev nlohmann-json3-dev libspdlog-dev libfmt-dev
  libsentencepiece-dev sentencepiece
  libutf8proc-dev libpcre2-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  clang-format
)
# Node (for the official openai/tokenizers npm clients in tests) may come from elsewhere.
command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
