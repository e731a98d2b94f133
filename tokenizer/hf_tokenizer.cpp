#include "tokenizer/hf_tokenizer.hpp"

#include "tokenizer/byte_level.hpp"
#include "tokenizer/gpt2_split.hpp"
#include "tokenizer/unicode.hpp"
#include "tokenizer/utf8.hpp"

namespace mamba::tok {
namespace {

std::vector<AddedToken> select(const std::vector<AddedToken>& tokens, bool normalized) {
  std::vector<AddedToken> out;
  for (const AddedToken& t : tokens) {
    if (t.normalized == normalized) out.push_back(t);
  }
  return out;
}

// Normalized tokens are matched against normalized text, so their patterns are normalized too.
std::vector<std::string> patterns(const std::vector<AddedToken>& tokens, bool nfc) {
  std::vector<std::string> out;
  for (const AddedToken& t : tokens) out.push_back(nfc ? unicode::nfc(t.content) : t.content);
  return out;
}

// The bytes each vocabulary string stands for under the ByteLevel map (what BPE works on).
std::vector<std::optional<std::string>> vocab_bytes(const HfTokenizerSpec& spec) {
  std::vector<std::optional<std::string>> out(spec.vocab.size());
  for (std::size_t id = 0; id < spec.vocab.size(); ++id) {
    if (spec.vocab[id]) out[id] = byte_level::chars_to_bytes(*spec.vocab[id]);
  }
  return out;
}

}  // namespace

HfTokenizer::HfTokenizer(HfTokenizerSpec spec)
    : bpe_(vocab_bytes(spec), spec.merges, spec.unk_id, spec.fuse_unk, spec.ignore_merges),
      raw_matcher_(select(spec.added_tokens, false),
                   patterns(select(spec.added_tokens, false), false)),
      normalized_matcher_(select(spec.added_tokens, true),
                          patterns(select(spec.added_tokens, true), spec.nfc)),
      nfc_(spec.nfc),
      add_prefix_space_(spec.add_prefix_space),
      use_regex_(spec.use_regex),
      prefix_ids_(std::move(spec.prefix_ids)),
      suffix_ids_(std::move(spec.suffix_ids)) {
  std::size_t size = spec.vocab.size();
  for (const AddedToken& t : spec.added_tokens)
    size = std::max(size, static_cast<std::size_t>(t.id) + 1);
  tokens_.resize(size);
  // The ByteLevel decoder maps a token's characters back to bytes, or keeps the token's own UTF-8
  // when a character is outside the byte map.
  const auto decoded = [](const std::string& s) {
    auto bytes = byte_level::chars_to_bytes(s);
    return bytes ? *bytes : s;
  };
  for (std::size_t id = 0; id < spec.vocab.size(); ++id) {
    if (!spec.vocab[id]) continue;
    tokens_[id] = {decoded(*spec.vocab[id]), true, false};
    token_ids_.emplace(*spec.vocab[id], static_cast<std::int32_t>(id));
  }
  // Added tokens take precedence for decoding and lookup, as in HF.
  // HF stores a normalized token in its normalized form, and decodes that form (so a token
  // written decomposed decodes composed, through the byte map).
  for (const AddedToken& t : spec.added_tokens) {
    const std::string content = t.normalized && nfc_ ? unicode::nfc(t.content) : t.content;
    tokens_[t.id] = {decoded(content), true, t.special};
    token_ids_[t.content] = t.id;
    token_ids_[content] = t.id;
  }
  // tokenizer.json has no bos/eos fields: take the template's tokens, else the usual names
  // (GPT-2 and GPT-NeoX use <|endoftext|> for both). Model configs override these.
  const auto named = [&](std::initializer_list<const char*> names) -> std::optional<std::int32_t> {
    for (const char* name : names) {
      if (const auto id = token_to_id(name)) return id;
    }
    return std::nullopt;
  };
  bos_ = !prefix_ids_.empty() ? std::optional(prefix_ids_.front())
                              : named({"<s>", "<|begin_of_text|>", "<|endoftext|>"});
  eos_ = !suffix_ids_.empty() ? std::optional(suffix_ids_.back())
                              : named({"</s>", "<|end_of_text|>", "<|endoftext|>"});
}

std::vector<std::int32_t> HfTokenizer::encode(std::string_view text,
                                              const EncodeOptions& options) const {
  std::string repaired;
  if (!utf8::is_valid(text)) {
    repaired = utf8::repair(text, Utf8Repair::kMaximalSubpart);
    text = repaired;
  }
  std::vector<std::int32_t> ids;
  ids.reserve(text.size() / 3 + 4);
  if (options.add_special_tokens) ids = prefix_ids_;
  std::vector<Split> splits;
  raw_matcher_.split(text, !options.parse_special, splits);
  for (const Split& s : splits) {
    if (s.id >= 0) {
      ids.push_back(s.id);
      continue;
    }
    const std::string_view piece = text.substr(s.begin, s.end - s.begin);
    const std::string normalized = nfc_ ? unicode::nfc(piece) : std::string(piece);
    std::vector<Split> inner;
    normalized_matcher_.split(normalized, !options.parse_special, inner);
    for (const Split& n : inner) {
      if (n.id >= 0) {
        ids.push_back(n.id);
      } else {
        encode_words(std::string_view(normalized).substr(n.begin, n.end - n.begin), ids);
      }
    }
  }
  if (options.add_special_tokens) ids.insert(ids.end(), suffix_ids_.begin(), suffix_ids_.end());
  return ids;
}

void HfTokenizer::encode_words(std::string_view text, std::vector<std::int32_t>& out) const {
  std::string prefixed;
  if (add_prefix_space_ && !text.empty() && text[0] != ' ') {
    prefixed.reserve(text.size() + 1);
    prefixed.push_back(' ');
    prefixed.append(text);
    text = prefixed;
  }
  if (!use_regex_) {
    bpe_.encode_word(text, out);
    return;
  }
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t end = gpt2_match_end(text, pos);
    bpe_.encode_word(text.substr(pos, end - pos), out);
    pos = end;
  }
}

std::string HfTokenizer::token_bytes(std::int32_t id) const {
  if (id < 0 || id >= vocab_size() || !tokens_[id].exists) return {};
  return tokens_[id].bytes;
}

bool HfTokenizer::is_special(std::int32_t id) const {
  return id >= 0 && id < vocab_size() && tokens_[id].special;
}

std::optional<std::int32_t> HfTokenizer::token_to_id(std::string_view token) const {
  const auto it = token_ids_.find(std::string(token));
  if (it == token_ids_.end()) return std::nullopt;
  return it->second;
}

void HfTokenizer::append_token_bytes(std::int32_t id, bool skip_special_tokens, DecodeState& state,
                                     std::string& out) const {
  if (id < 0 || id >= vocab_size() || !tokens_[id].exists) return;
  if (skip_special_tokens && tokens_[id].special) return;
  out += tokens_[id].bytes;
  state.at_start = false;
}

}  // namespace mamba::tok
