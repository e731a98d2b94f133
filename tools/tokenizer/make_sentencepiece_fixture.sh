#!/usr/bin/env bash
# Trains the small SentencePiece model used by tests/tokenizer/sentencepiece_test.cpp with Debian's
# spm_train, and records the ids Debian's spm_encode gives for a set of one-line texts.
# Usage (from this folder, after `npm install`): ./make_sentencepiece_fixture.sh [path/to/shared]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
shared="$(cd "${1:-$here/../../../shared}" && pwd)"
out="$here/../../tests/fixtures/tokenizer"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Training text: the start of the training split plus the parity texts (so that accents, CJK and
# emoji are seen; rarer characters still fall back to bytes).
{ zcat "$shared/corpus/train.txt.gz" || true; } | head -c 400000 > "$work/train.txt"
node -e '
  import("./texts.mjs").then(({ categories }) => {
    const lines = Object.values(categories).flat().filter((t) => t.length > 0 && !/[\r\n]/.test(t));
    process.stdout.write(lines.join("\n") + "\n");
  });' > "$work/texts.txt"
cat "$work/texts.txt" >> "$work/train.txt"

spm_train --input="$work/train.txt" --model_prefix="$work/sp_demo" --vocab_size=1000 \
  --model_type=unigram --byte_fallback=true --character_coverage=0.995 --num_threads=1 \
  --bos_id=1 --eos_id=2 --unk_id=0 --pad_id=-1 --minloglevel=2
cp "$work/sp_demo.model" "$out/sp_demo.model"

# Expected ids: the parity texts (no newlines) and every non-empty line of valid.txt; texts with
# characters the model never saw exercise byte fallback.
{ cat "$work/texts.txt"; printf 'Ω≈ç√∫ ☃ 𝄞 ൠ\n'; awk 'NF && n++ < 300' "$out/valid.txt"; } > "$out/sp_texts.txt"
spm_encode --model="$out/sp_demo.model" --output_format=id < "$out/sp_texts.txt" > "$out/sp_ids.txt"
echo "sp_demo.model: $(stat -c %s "$out/sp_demo.model") bytes; $(wc -l < "$out/sp_texts.txt") texts"
