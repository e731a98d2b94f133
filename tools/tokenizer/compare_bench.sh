#!/usr/bin/env bash
# Encode throughput, one thread, on the same text: our tokenizer (mamba-tokenizer-bench) and the
# official HF tokenizers (npm `tokenizers`, Rust). Prints both figures and the ratio.
# Usage: tools/tokenizer/compare_bench.sh [BUILD_DIR] [SECONDS]
#   BUILD_DIR defaults to build/ (needs the mamba-tokenizer-bench target built there);
#   npm install must have been run in tools/tokenizer once.
# The text is valid.txt (the corpus's held-out split, also committed under tests/fixtures).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="${1:-$root/build}"
seconds="${2:-3}"
tokenizer="$root/tests/fixtures/tokenizer/gpt-neox-20b.tokenizer.json"
text="$root/tests/fixtures/tokenizer/valid.txt"
bench="$build/mamba-tokenizer-bench"
[[ -x "$bench" ]] || { echo "missing $bench: cmake --build $build --target mamba-tokenizer-bench" >&2; exit 1; }
[[ -d "$here/node_modules/tokenizers" ]] || { echo "run 'npm install' in $here first" >&2; exit 1; }

ours="$(taskset -c 0 "$bench" --tokenizer "$tokenizer" --text "$text" --seconds "$seconds" --json)"
# One thread for the Rust side too (rayon and libuv pools), pinned to the same core.
theirs="$(cd "$here" && RAYON_NUM_THREADS=1 UV_THREADPOOL_SIZE=1 taskset -c 0 \
  node bench_npm.mjs "$tokenizer" "$text" "$seconds" --json)"

node -e '
  const ours = JSON.parse(process.argv[1]);
  const theirs = JSON.parse(process.argv[2]);
  if (ours.tokens !== theirs.tokens) {
    console.error(`token counts differ: ours ${ours.tokens}, HF ${theirs.tokens}`);
    process.exit(1);
  }
  const row = (name, key) => console.log(
    `${name.padEnd(26)} ${ours[key].toFixed(2).padStart(9)} MB/s ${theirs[key].toFixed(2).padStart(9)} MB/s ` +
    `${(ours[key] / theirs[key]).toFixed(1).padStart(7)}x`);
  console.log(`GPT-NeoX-20B encode, one thread: ${ours.bytes} bytes of valid.txt -> ${ours.tokens} tokens (same count; ids are checked by tokenizer_tests)`);
  console.log(`${"".padEnd(26)} ${"mamba-serve".padStart(14)} ${"HF npm".padStart(14)} ${"ratio".padStart(8)}`);
  row("whole text, one call", "whole_mb_s");
  row("whole text, first call", "whole_cold_mb_s");
  row(`${ours.lines} lines, one call each`, "per_line_mb_s");
' "$ours" "$theirs"
