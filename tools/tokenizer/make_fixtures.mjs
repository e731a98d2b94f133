// Regenerates tests/fixtures/tokenizer/ from the official Hugging Face tokenizers (npm package
// `tokenizers`, the Rust library with Node bindings). Usage, from this folder:
//   npm install && node make_fixtures.mjs [path/to/shared]
// shared defaults to ../../../shared (the checkout's sibling). Every expected id and decoded string
// in the fixtures comes from the npm package; nothing is computed by our own code.
import { Tokenizer } from 'tokenizers';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { categories, invalidHex } from './texts.mjs';
import { byteChar, flagTokenizers, flagTexts } from './flag_tokenizers.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const shared = path.resolve(process.argv[2] ?? path.join(here, '../../../shared'));
const out = path.join(here, '../../tests/fixtures/tokenizer');
fs.mkdirSync(out, { recursive: true });

const neoxJson = fs.readFileSync(path.join(shared, 'tokenizers/gpt-neox-20b.tokenizer.json'), 'utf8');
fs.writeFileSync(path.join(out, 'gpt-neox-20b.tokenizer.json'), neoxJson);
const validText = zlib.gunzipSync(fs.readFileSync(path.join(shared, 'corpus/valid.txt.gz'))).toString('utf8');
fs.writeFileSync(path.join(out, 'valid.txt'), validText);

// HF's encode_special_tokens (special-token text encoded as plain text) is not exposed by the Node
// bindings; a copy of the tokenizer whose special added tokens cannot match behaves the same way.
// HF numbers added tokens itself (vocabulary id, else the next free id in list order), so to keep
// every id: a special token that is in the model vocabulary is dropped from added_tokens, any
// other is renamed to text that never occurs.
function withoutSpecialAddedTokens(jsonText) {
  const doc = JSON.parse(jsonText);
  doc.added_tokens = doc.added_tokens
    .filter((t) => !(t.special && t.content in doc.model.vocab))
    .map((t) => (t.special ? { ...t, content: `\u0000unmatchable ${t.id}\u0000` } : t));
  return JSON.stringify(doc);
}

async function ids(tokenizer, text, addSpecialTokens = true) {
  return (await tokenizer.encode(text, null, { addSpecialTokens })).getIds();
}

const check = (cond, what) => {
  if (!cond) throw new Error(`fixture self-check failed: ${what}`);
};

// ---- GPT-NeoX-20B: texts by category, with variants ----
const neox = Tokenizer.fromString(neoxJson);
const neoxPlain = Tokenizer.fromString(withoutSpecialAddedTokens(neoxJson));
const variants = (t) => [t, ' ' + t, t + '\n', t.toUpperCase(), t + ' ' + t];
const cases = [];
const seen = new Set();
for (const [category, texts] of Object.entries(categories)) {
  for (const base of texts) {
    for (const text of variants(base)) {
      if (seen.has(text)) continue;
      seen.add(text);
      cases.push({ category, text });
    }
  }
}
for (const hex of invalidHex) {
  const text = new TextDecoder('utf-8').decode(Buffer.from(hex, 'hex'));
  cases.push({ category: 'invalid_utf8', hex, text });
}
const neoxCases = [];
for (const c of cases) {
  const e = await ids(neox, c.text);
  const decoded = await neox.decode(e, false);
  const nfc = c.text.normalize('NFC');
  check(decoded === nfc, `decode(encode(x)) != NFC(x) for ${JSON.stringify(c.text)}`);
  const entry = { category: c.category };
  if (c.hex !== undefined) entry.hex = c.hex;
  else entry.text = c.text;
  entry.nfc = nfc;
  entry.ids = e;
  entry.ids_parse_special_off = await ids(neoxPlain, c.text);
  entry.decoded_skip_special = await neox.decode(e, true);
  neoxCases.push(entry);
}
fs.writeFileSync(path.join(out, 'neox_cases.json'), JSON.stringify(neoxCases) + '\n');

// ---- the whole of valid.txt, as one text and line by line ----
const lines = validText.split('\n');
const lineIds = [];
for (const line of lines) lineIds.push(await ids(neox, line));
const wholeIds = await ids(neox, validText);
check((await neox.decode(wholeIds, false)) === validText.normalize('NFC'), 'valid.txt round trip');
fs.writeFileSync(path.join(out, 'neox_valid.json'),
  JSON.stringify({ whole: wholeIds, lines: lineIds }) + '\n');

// ---- decoding: random id sequences (partial UTF-8 across tokens, specials) and single pieces ----
let seed = 12345;
const rand = (n) => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed % n;
};
const vocabSize = neox.getVocabSize(true);
// Tokens that are lone bytes >= 0x80 split characters; draw them often.
const byteTokens = [];
// (C0, C1 and F5..FF never occur in UTF-8 and have no token.)
for (let b = 0x80; b < 0x100; ++b) {
  const id = neox.tokenToId(byteChar(b));
  if (typeof id === 'number') byteTokens.push(id);
}
check(byteTokens.length === 128 - 13, 'lone-byte tokens');
const decodeCases = [];
for (let i = 0; i < 400; ++i) {
  const len = 1 + rand(12);
  const seq = [];
  for (let k = 0; k < len; ++k) {
    const r = rand(10);
    if (r < 5) seq.push(byteTokens[rand(byteTokens.length)]);
    else if (r === 5) seq.push(rand(2));
    else seq.push(rand(vocabSize));
  }
  decodeCases.push({ ids: seq, text: await neox.decode(seq, false), skip_special: await neox.decode(seq, true) });
}
const pieces = [];
for (let id = 0; id < vocabSize; id += id < 300 || id > 50240 ? 1 : 7) pieces.push([id, await neox.decode([id], false)]);
fs.writeFileSync(path.join(out, 'neox_decode.json'),
  JSON.stringify({ vocab_size: vocabSize, sequences: decodeCases, pieces }) + '\n');

// ---- small hand-made tokenizers for added-token flags, templates, merge forms ----
const flagCases = [];
for (const [name, doc] of Object.entries(flagTokenizers())) {
  const jsonText = JSON.stringify(doc, null, 1);
  fs.writeFileSync(path.join(out, `${name}.tokenizer.json`), jsonText + '\n');
  const t = Tokenizer.fromString(jsonText);
  const plain = Tokenizer.fromString(withoutSpecialAddedTokens(jsonText));
  for (const text of flagTexts) {
    const e = await ids(t, text);
    flagCases.push({
      tokenizer: name,
      text,
      ids: e,
      ids_no_special_tokens: await ids(t, text, false),
      ids_parse_special_off: await ids(plain, text),
      decoded: await t.decode(e, false),
      decoded_skip_special: await t.decode(e, true),
    });
  }
}
fs.writeFileSync(path.join(out, 'flag_cases.json'), JSON.stringify(flagCases, null, 0) + '\n');

console.log(`neox cases: ${neoxCases.length}, valid.txt lines: ${lines.length}, ` +
  `whole ids: ${wholeIds.length}, decode sequences: ${decodeCases.length}, pieces: ${pieces.length}, ` +
  `flag cases: ${flagCases.length}`);
