#!/usr/bin/env bash
# Install what tools/train/device_run.sh returned (FILES_DIR holds <arch>-shard1.safetensors and
# <arch>-rest.tar) into models/, tests/fixtures/demo/ and tools/train/results/.
#   bash tools/train/install.sh FILES_DIR        (from anywhere; needs python3 and tar)
set -euo pipefail
files=$(cd "$1" && pwd)
cd "$(dirname "$0")/../.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for arch in mamba mamba2; do
  name=$([ "$arch" = mamba ] && echo mamba-demo || echo mamba2-demo)
  tar -C "$tmp" -xf "$files/$arch-rest.tar"
  cp "$files/$arch-shard1.safetensors" "$tmp/$arch/model-00001-of-00002.safetensors"
  mkdir -p "models/$name" "tests/fixtures/demo/$name" tools/train/results
  python3 tools/train/merge_shards.py "models/$name/model.safetensors" "$tmp/$arch"/model-0000*-of-00002.safetensors
  cp "$tmp/$arch/config.json" "models/$name/config.json"
  cp .device/train/tokenizer.model "models/$name/tokenizer.model"
  cp "$tmp/$arch/reference.safetensors" "$tmp/$arch/reference.json" "tests/fixtures/demo/$name/"
  chmod 644 "tests/fixtures/demo/$name"/*
  cp "$tmp/$arch/results.json" "tools/train/results/$name.results.json"
  cp "$tmp/$arch/train_log.txt" "tools/train/results/$name.train_log.txt"
  du -sb "models/$name"
done
