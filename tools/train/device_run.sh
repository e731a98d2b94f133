#!/usr/bin/env bash
# The command run on the device machine (repository root, .device/train carried) to train and measure both
# demo models in one call of about 6.5 minutes on an H100. The device returns at most 8 files of at most
# 16 MiB, so each model comes back as its first weight shard plus a tar of everything else.
#   device: bash tools/train/device_run.sh        here: bash tools/train/install.sh FILES_DIR
set -uo pipefail
export PYTHONUNBUFFERED=1
work=/tmp/demo-train
mkdir -p "$work"
for arch in mamba mamba2; do
  python3 tools/train/train_demo.py --arch "$arch" --data .device/train --out "$work/$arch" \
    > "$work/$arch.stdout" 2>&1
  echo "$arch rc=$?"
  grep -E "dev loss|perplexity|fixture|done in" "$work/$arch.stdout" | cut -c1-300
  cp "$work/$arch/model-00001-of-00002.safetensors" "$OUT/$arch-shard1.safetensors"
  tar -C "$work" -cf "$OUT/$arch-rest.tar" --exclude=model-00001-of-00002.safetensors "$arch" "$arch.stdout"
done
