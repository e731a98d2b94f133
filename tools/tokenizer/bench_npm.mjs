// Encode throughput of the official HF tokenizers (npm `tokenizers`, Rust) on the same text and in
// the same two shapes as bench/tokenizer_bench.cpp: whole text in one call, one call per line.
// Usage: node bench_npm.mjs TOKENIZER_JSON TEXT_FILE [SECONDS] [--json]
// Run it with RAYON_NUM_THREADS=1 (compare_bench.sh does) so the Rust side uses one thread.
import { Tokenizer } from 'tokenizers';
import fs from 'node:fs';

const [tokenizerPath, textPath, secondsArg] = process.argv.slice(2).filter((a) => a !== '--json');
const json = process.argv.includes('--json');
const seconds = Number(secondsArg ?? 3);
const tokenizer = Tokenizer.fromFile(tokenizerPath);
const text = fs.readFileSync(textPath, 'utf8');
const bytes = Buffer.byteLength(text, 'utf8');
const lines = text.split('\n');
if (lines[lines.length - 1] === '') lines.pop();
const lineBytes = lines.reduce((n, l) => n + Buffer.byteLength(l, 'utf8'), 0);

async function measure(run, nbytes) {
  let best = 0;
  let cold = 0;
  let tokens = 0;
  const start = performance.now();
  for (let rep = 0; ; ++rep) {
    const t0 = performance.now();
    tokens = await run();
    const mbps = nbytes / 1e6 / ((performance.now() - t0) / 1000);
    if (rep === 0) cold = mbps;
    best = Math.max(best, mbps);
    if (rep >= 2 && (performance.now() - start) / 1000 > seconds) break;
  }
  return { best, cold, tokens };
}

const whole = await measure(async () => (await tokenizer.encode(text)).getIds().length, bytes);
const perLine = await measure(async () => {
  let n = 0;
  for (const l of lines) n += (await tokenizer.encode(l)).getIds().length;
  return n;
}, lineBytes);
if (json) {
  console.log(JSON.stringify({ impl: 'hf-tokenizers-npm', bytes, tokens: whole.tokens, whole_mb_s: whole.best,
    whole_cold_mb_s: whole.cold, lines: lines.length, per_line_mb_s: perLine.best }));
} else {
  console.log(`HF tokenizers (npm): ${bytes} bytes -> ${whole.tokens} tokens`);
  console.log(`  whole text, one call : ${whole.best.toFixed(2)} MB/s (first call: ${whole.cold.toFixed(2)} MB/s)`);
  console.log(`  ${lines.length} lines, one call each: ${perLine.best.toFixed(2)} MB/s`);
}
