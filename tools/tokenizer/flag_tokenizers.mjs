// Small hand-made byte-level BPE tokenizer.json documents that exercise added-token flags
// (lstrip, rstrip, single_word, normalized, special), leftmost-longest matching, templates,
// add_prefix_space, use_regex and both merge forms. Their expected ids come from the npm package.

// GPT-2's byte -> character map, only to spell vocabulary strings here.
export function byteChar(b) {
  const self = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  if (self) return String.fromCodePoint(b);
  let n = 0;
  for (let k = 0; k < b; ++k) {
    const s = (k >= 0x21 && k <= 0x7e) || (k >= 0xa1 && k <= 0xac) || (k >= 0xae && k <= 0xff);
    if (!s) ++n;
  }
  return String.fromCodePoint(0x100 + n);
}

const toChars = (s) => Array.from(Buffer.from(s, 'utf8')).map(byteChar).join('');

function bpeModel(pairForm) {
  const vocab = {};
  let next = 0;
  for (let b = 0; b < 256; ++b) vocab[byteChar(b)] = next++;
  const merges = [];
  // Each word is built left to right, one merge per character.
  for (const word of [' hello', 'hello', ' world', 'world', ' the', 'ing', ' a', 'wor', 'é', ' word', 'ab']) {
    const chars = Array.from(toChars(word));
    let acc = chars[0];
    for (let i = 1; i < chars.length; ++i) {
      const merged = acc + chars[i];
      if (!(merged in vocab)) {
        vocab[merged] = next++;
        merges.push(pairForm ? [acc, chars[i]] : `${acc} ${chars[i]}`);
      }
      acc = merged;
    }
  }
  return { vocab, merges, size: next };
}

function addedTokens(first, withTemplateTokens) {
  const list = [
    { content: '<special>', special: true, normalized: false },
    { content: '[LS]', lstrip: true, normalized: false },
    { content: '[RS]', rstrip: true, normalized: false },
    { content: '[LRS]', lstrip: true, rstrip: true, special: true, normalized: false },
    { content: '[SW]', single_word: true, normalized: false },
    { content: 'word', single_word: true, normalized: true },
    { content: 'N\u0303a', normalized: true },
    { content: 'n\u0303o', normalized: false },
    { content: '  ', normalized: true },
    { content: '<a>', special: true, normalized: false },
    { content: '<a><b>', special: true, normalized: false },
    { content: '\u00e9\u00e9', normalized: true },
    { content: '[SWL]', single_word: true, lstrip: true, normalized: false },
    { content: '[NS]', rstrip: true, lstrip: true, normalized: true },
  ];
  if (withTemplateTokens) {
    list.push({ content: '<s>', special: true, normalized: false });
    list.push({ content: '</s>', special: true, normalized: false });
  }
  return list.map((t, i) => ({
    id: first + i,
    content: t.content,
    single_word: t.single_word ?? false,
    lstrip: t.lstrip ?? false,
    rstrip: t.rstrip ?? false,
    normalized: t.normalized,
    special: t.special ?? false,
  }));
}

function document({ pairForm, prefixSpace, useRegex, nfc, template }) {
  const model = bpeModel(pairForm);
  const added = addedTokens(model.size, template);
  const byteLevel = { type: 'ByteLevel', add_prefix_space: prefixSpace, trim_offsets: true, use_regex: useRegex };
  const idOf = (content) => added.find((t) => t.content === content).id;
  const postProcessor = template
    ? {
        type: 'TemplateProcessing',
        single: [
          { SpecialToken: { id: '<s>', type_id: 0 } },
          { Sequence: { id: 'A', type_id: 0 } },
          { SpecialToken: { id: '</s>', type_id: 0 } },
        ],
        pair: [
          { SpecialToken: { id: '<s>', type_id: 0 } },
          { Sequence: { id: 'A', type_id: 0 } },
          { Sequence: { id: 'B', type_id: 1 } },
        ],
        special_tokens: {
          '<s>': { id: '<s>', ids: [idOf('<s>')], tokens: ['<s>'] },
          '</s>': { id: '</s>', ids: [idOf('</s>')], tokens: ['</s>'] },
        },
      }
    : { type: 'ByteLevel', add_prefix_space: prefixSpace, trim_offsets: true, use_regex: useRegex };
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: nfc ? { type: 'NFC' } : null,
    pre_tokenizer: byteLevel,
    post_processor: postProcessor,
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      vocab: model.vocab,
      merges: model.merges,
    },
  };
}

export function flagTokenizers() {
  return {
    flags: document({ pairForm: false, prefixSpace: false, useRegex: true, nfc: true, template: false }),
    flags_template: document({ pairForm: true, prefixSpace: true, useRegex: true, nfc: true, template: true }),
    flags_noregex: document({ pairForm: true, prefixSpace: false, useRegex: false, nfc: false, template: false }),
  };
}

export const flagTexts = [
  '',
  'hello world',
  ' hello  world ',
  '[LS]',
  'a   [LS] b',
  'a\t\n [LS]',
  '\u3000[LS]x',
  'x [RS]   y',
  'x[RS]\n\n',
  '[RS][RS]  [RS]',
  '[LRS]',
  '  [LRS]  z',
  'a [LRS] [LRS] b',
  'a[SW]b',
  'a [SW] b',
  '[SW]b',
  'b[SW]',
  '_[SW]',
  '[SW]_',
  'é[SW]',
  '1[SW]',
  '.[SW].',
  '[SW]',
  'word',
  'sword',
  'words',
  'a word.',
  'wordword',
  'word word',
  '_word',
  'word1',
  'Ña and N\u0303a',
  'Ñandu N\u0303andu',
  'ño and n\u0303o',
  'a  b',
  'a   b',
  '    ',
  '<a><b>',
  '<a><a>',
  '<a> <b>',
  '<a><b><a>',
  '<special>x',
  'x<special>',
  '<spec<special>ial>',
  '<s>hello</s>',
  'é',
  'éé',
  'e\u0301e\u0301',
  'the thing',
  'abab',
  'x [SWL] y',
  'x[SWL] y',
  '  [SWL]',
  'a  [NS]  b',
  'wor[NS]d',
  '[LS][RS][LRS][SW][SWL]',
];
