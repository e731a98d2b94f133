#include "tokenizer/added_vocabulary.hpp"

#include "tokenizer/unicode.hpp"
#include "tokenizer/utf8.hpp"

namespace mamba::tok {
namespace {

// Text here is valid UTF-8; these read one character before or after a byte offset.
char32_t char_before(std::string_view s, std::size_t i) {
  std::size_t j = i - 1;
  while (j > 0 && (static_cast<unsigned char>(s[j]) & 0xC0) == 0x80) --j;
  return utf8::decode(s, j).cp;
}

char32_t char_at(std::string_view s, std::size_t i) {
  return utf8::decode(s, i).cp;
}

}  // namespace

AddedTokenMatcher::AddedTokenMatcher(std::vector<AddedToken> tokens,
                                     const std::vector<std::string>& patterns)
    : tokens_(std::move(tokens)) {
  nodes_.emplace_back();
  for (std::size_t t = 0; t < tokens_.size(); ++t) {
    const std::string& p = patterns[t];
    if (p.empty()) continue;  // an empty pattern can never match
    std::int32_t node = 0;
    for (const char ch : p) {
      const auto b = static_cast<unsigned char>(ch);
      std::int32_t next = child(node, b);
      if (next < 0) {
        next = static_cast<std::int32_t>(nodes_.size());
        nodes_[node].children.emplace_back(b, next);
        nodes_.emplace_back();
      }
      node = next;
    }
    // Two tokens with the same pattern: the first one added wins, as in HF's trie.
    if (nodes_[node].token < 0) nodes_[node].token = static_cast<std::int32_t>(t);
    starts_[static_cast<unsigned char>(p[0])] = true;
  }
}

std::int32_t AddedTokenMatcher::child(std::int32_t node, unsigned char b) const {
  for (const auto& [byte, index] : nodes_[node].children) {
    if (byte == b) return index;
  }
  return -1;
}

void AddedTokenMatcher::split(std::string_view s, bool skip_special,
                              std::vector<Split>& out) const {
  std::size_t start_offset = 0;
  std::size_t pos = 0;
  while (pos < s.size()) {
    if (!starts_[static_cast<unsigned char>(s[pos])]) {
      ++pos;
      continue;
    }
    // Longest pattern starting at pos.
    std::int32_t node = 0;
    std::int32_t found = -1;
    std::size_t found_end = 0;
    for (std::size_t i = pos; i < s.size(); ++i) {
      node = child(node, static_cast<unsigned char>(s[i]));
      if (node < 0) break;
      if (nodes_[node].token >= 0) {
        found = nodes_[node].token;
        found_end = i + 1;
      }
    }
    if (found < 0) {
      ++pos;
      continue;
    }
    std::size_t start = pos;
    std::size_t stop = found_end;
    pos = found_end;  // a rejected match is still consumed, as in HF's non-overlapping iteration
    const AddedToken& token = tokens_[found];
    if (skip_special && token.special) continue;
    if (token.single_word) {
      const bool start_space = start == 0 || !unicode::is_word_character(char_before(s, start));
      const bool stop_space = stop == s.size() || !unicode::is_word_character(char_at(s, stop));
      if (!start_space || !stop_space) continue;
    }
    if (token.lstrip) {
      std::size_t new_start = start;
      while (new_start > 0 && unicode::is_whitespace(char_before(s, new_start))) {
        std::size_t j = new_start - 1;
        while (j > 0 && (static_cast<unsigned char>(s[j]) & 0xC0) == 0x80) --j;
        new_start = j;
      }
      start = std::max(new_start, start_offset);
    }
    if (token.rstrip) {
      while (stop < s.size()) {
        const utf8::Step step = utf8::decode(s, stop);
        if (!unicode::is_whitespace(step.cp)) break;
        stop += step.len;
      }
      // The search still resumes at the match's end, as HF's does: a token found inside the
      // stripped whitespace is emitted too (HF then has overlapping pieces; so do we).
    }
    if (start_offset < start) out.push_back({-1, start_offset, start});
    out.push_back({token.id, start, stop});
    start_offset = stop;
  }
  if (start_offset < s.size()) out.push_back({-1, start_offset, s.size()});
}

}  // namespace mamba::tok
