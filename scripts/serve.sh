#!/usr/bin/env bash
# Installs the dependencies, builds the server and starts it on a bundled demo model.
#   scripts/serve.sh [extra mamba-server options]      (default model: models/mamba-demo)
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DMAMBA_BUILD_TESTS=OFF >/dev/null
cmake --build build -j"$(nproc)" --target mamba-server mamba-cli mamba-bench
model=models/mamba-demo
for arg in "$@"; do [ "$arg" = "--model" ] && model=""; done
exec build/mamba-server ${model:+--model "$model"} --host 127.0.0.1 --port 8080 "$@"
