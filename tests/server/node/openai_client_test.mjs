// Drives the real mamba-server with the official `openai` npm client: completions and chat
// completions, streamed and not, usage, and errors mapped to the client's error classes.
// Usage: node openai_client_test.mjs <path to mamba-server>   (or MAMBA_SERVER_BINARY)
// Installs the client from npm (npm ci) when node_modules is missing.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const binary = process.argv[2] || process.env.MAMBA_SERVER_BINARY;
if (!binary || !fs.existsSync(binary)) {
  console.error(`mamba-server binary not found: ${binary}`);
  process.exit(2);
}
if (!fs.existsSync(path.join(here, 'node_modules', 'openai'))) {
  execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: here, stdio: 'inherit' });
}
const { default: OpenAI } = await import('openai');

// A random Mamba-1 model over the GPT-NeoX tokenizer (as tests/server/test_model.hpp writes).
function writeRandomModel(dir) {
  const V = 50280, d = 16, di = 32, ds = 4, L = 2, k = 4;
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({
    architectures: ['MambaForCausalLM'], model_type: 'mamba', hidden_size: d,
    intermediate_size: di, state_size: ds, num_hidden_layers: L, conv_kernel: k, expand: 2,
    time_step_rank: 1, vocab_size: V, layer_norm_epsilon: 1e-5, use_bias: false,
    use_conv_bias: true, tie_word_embeddings: true, bos_token_id: 0, eos_token_id: 0,
    pad_token_id: 1,
  }));
  let seed = 12345;
  const uniform = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) + 0.5) / 2147483648;
  const randn = (n, scale) => Float32Array.from({ length: n },
    () => scale * Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform()));
  const filled = (n, v) => new Float32Array(n).fill(v);
  const tensors = [['backbone.embeddings.weight', [V, d], randn(V * d, 1.0)]];
  for (let l = 0; l < L; ++l) {
    const p = `backbone.layers.${l}.`;
    const aLog = new Float32Array(di * ds).map((_, i) => Math.log((i % ds) + 1));
    tensors.push([p + 'mixer.A_log', [di, ds], aLog], [p + 'mixer.D', [di], filled(di, 1)],
      [p + 'mixer.conv1d.bias', [di], randn(di, 0.1)],
      [p + 'mixer.conv1d.weight', [di, 1, k], randn(di * k, 0.5)],
      [p + 'mixer.dt_proj.bias', [di], filled(di, -4)],
      [p + 'mixer.dt_proj.weight', [di, 1], randn(di, 0.5)],
      [p + 'mixer.in_proj.weight', [2 * di, d], randn(2 * di * d, 0.25)],
      [p + 'mixer.out_proj.weight', [d, di], randn(d * di, 0.2)],
      [p + 'mixer.x_proj.weight', [1 + 2 * ds, di], randn((1 + 2 * ds) * di, 0.2)],
      [p + 'norm.weight', [d], filled(d, 1)]);
  }
  tensors.push(['backbone.norm_f.weight', [d], filled(d, 1)]);
  const header = {};
  let offset = 0;
  for (const [name, shape, data] of tensors) {
    header[name] = { dtype: 'F32', shape, data_offsets: [offset, offset + data.byteLength] };
    offset += data.byteLength;
  }
  let text = JSON.stringify(header);
  while ((8 + text.length) % 8 !== 0) text += ' ';
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(text.length));
  fs.writeFileSync(path.join(dir, 'model.safetensors'), Buffer.concat(
    [len, Buffer.from(text), ...tensors.map(([, , data]) => Buffer.from(data.buffer))]));
  fs.copyFileSync(path.join(here, '..', '..', 'fixtures', 'tokenizer', 'gpt-neox-20b.tokenizer.json'),
    path.join(dir, 'tokenizer.json'));
}

const freePort = () => new Promise((resolve) => {
  const s = net.createServer();
  s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
});

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mamba-openai-'));
const modelDir = path.join(tmp, 'model');
writeRandomModel(modelDir);
const port = await freePort();
const apiKey = 'node-test-key';
const server = spawn(binary, ['--model', modelDir, '--host', '127.0.0.1', '--port', String(port),
  '--api-key', apiKey, '--served-model-name', 'mamba-test', '--threads', '1'],
  { stdio: ['ignore', 'pipe', 'pipe'] });
let log = '';
server.stdout.on('data', (d) => { log += d; });
server.stderr.on('data', (d) => { log += d; });
const exited = new Promise((resolve) => server.on('exit', (code, signal) => resolve({ code, signal })));

const base = `http://127.0.0.1:${port}`;
for (let i = 0; ; ++i) {
  try {
    if ((await fetch(`${base}/health`)).status === 200) break;
  } catch { /* not listening yet */ }
  if (i > 600) throw new Error(`server did not become healthy:\n${log}`);
  await new Promise((r) => setTimeout(r, 50));
}

const client = new OpenAI({ apiKey, baseURL: `${base}/v1`, maxRetries: 0 });
let passed = 0;
async function check(name, fn) {
  await fn();
  ++passed;
  console.log(`ok - ${name}`);
}

try {
  await check('models.list', async () => {
    const models = await client.models.list();
    assert.deepEqual(models.data.map((m) => m.id), ['mamba-test']);
  });

  await check('completions.create, whole and streamed, agree', async () => {
    const params = { model: 'mamba-test', prompt: 'Once upon a time', max_tokens: 20, seed: 42,
      temperature: 0.8 };
    const whole = await client.completions.create(params);
    assert.equal(whole.object, 'text_completion');
    assert.equal(whole.model, 'mamba-test');
    assert.equal(whole.choices.length, 1);
    assert.equal(typeof whole.choices[0].text, 'string');
    assert.ok(['length', 'stop'].includes(whole.choices[0].finish_reason));
    assert.equal(whole.usage.total_tokens, whole.usage.prompt_tokens + whole.usage.completion_tokens);
    const again = await client.completions.create(params);
    assert.equal(again.choices[0].text, whole.choices[0].text, 'same seed, same text');

    const stream = await client.completions.create({ ...params, stream: true,
      stream_options: { include_usage: true } });
    let text = '';
    let finish = null;
    let usage = null;
    let chunks = 0;
    for await (const chunk of stream) {
      ++chunks;
      for (const c of chunk.choices) {
        text += c.text;
        if (c.finish_reason) finish = c.finish_reason;
      }
      if (chunk.usage) usage = chunk.usage;
    }
    assert.ok(chunks > 2);
    assert.equal(text, whole.choices[0].text);
    assert.equal(finish, whole.choices[0].finish_reason);
    // The same prompt a second time is served from the prefix state cache.
    const { prompt_tokens_details: details, ...counts } = usage;
    const { prompt_tokens_details: _, ...wholeCounts } = whole.usage;
    assert.deepEqual(counts, wholeCounts);
    assert.equal(details.cached_tokens, usage.prompt_tokens);
  });

  await check('completions.create with echo and logprobs (log-likelihood)', async () => {
    const r = await client.completions.create({ model: 'mamba-test', prompt: 'Paris is in France',
      max_tokens: 0, echo: true, logprobs: 1 });
    const lp = r.choices[0].logprobs;
    assert.equal(r.choices[0].text, 'Paris is in France');
    assert.equal(lp.token_logprobs[0], null);
    assert.equal(lp.tokens.length, r.usage.prompt_tokens);
    assert.ok(lp.token_logprobs.slice(1).every((x) => typeof x === 'number' && x <= 0));
  });

  await check('chat.completions.create, whole and streamed, agree', async () => {
    const params = { model: 'mamba-test', messages: [{ role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Say something.' }], max_tokens: 12, seed: 7 };
    const whole = await client.chat.completions.create(params);
    assert.equal(whole.object, 'chat.completion');
    assert.equal(whole.choices[0].message.role, 'assistant');
    assert.equal(typeof whole.choices[0].message.content, 'string');

    const stream = await client.chat.completions.create({ ...params, stream: true,
      stream_options: { include_usage: true } });
    let content = '';
    let role = null;
    let finish = null;
    let usage = null;
    for await (const chunk of stream) {
      assert.equal(chunk.object, 'chat.completion.chunk');
      for (const c of chunk.choices) {
        if (c.delta.role) role = c.delta.role;
        if (c.delta.content) content += c.delta.content;
        if (c.finish_reason) finish = c.finish_reason;
      }
      if (chunk.usage) usage = chunk.usage;
    }
    assert.equal(role, 'assistant');
    assert.equal(content, whole.choices[0].message.content);
    assert.equal(finish, whole.choices[0].finish_reason);
    // The same prompt a second time is served from the prefix state cache.
    const { prompt_tokens_details: details, ...counts } = usage;
    const { prompt_tokens_details: _, ...wholeCounts } = whole.usage;
    assert.deepEqual(counts, wholeCounts);
    assert.equal(details.cached_tokens, usage.prompt_tokens);
  });

  await check('errors become the client\'s error classes', async () => {
    await assert.rejects(client.completions.create({ model: 'mamba-test', prompt: 'x', temperature: 5 }),
      (e) => e instanceof OpenAI.BadRequestError && e.status === 400 && e.param === 'temperature');
    await assert.rejects(client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }),
      (e) => e instanceof OpenAI.NotFoundError && e.code === 'model_not_found');
    const noKey = new OpenAI({ apiKey: 'wrong', baseURL: `${base}/v1`, maxRetries: 0 });
    await assert.rejects(noKey.models.list(), (e) => e instanceof OpenAI.AuthenticationError);
  });
} catch (e) {
  console.error(e);
  console.error(`server log:\n${log}`);
  server.kill('SIGKILL');
  process.exit(1);
}

server.kill('SIGTERM');
const { code, signal } = await exited;
fs.rmSync(tmp, { recursive: true, force: true });
assert.equal(signal, null, `server died of ${signal}`);
assert.equal(code, 0, `server exit code ${code}\n${log}`);
console.log(`${passed} checks passed`);
