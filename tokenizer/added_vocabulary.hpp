// HF added tokens: matched in the input before normalization (normalized=false) or after it
// (normalized=true), leftmost-longest, honouring single_word, lstrip and rstrip exactly as HF
// tokenizers' AddedVocabulary does.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mamba::tok {

struct AddedToken {
  std::int32_t id = 0;
  std::string content;
  bool special = false;
  bool normalized = true;
  bool lstrip = false;
  bool rstrip = false;
  bool single_word = false;
};

// One piece of a split: an added token (id >= 0) or a run of ordinary text (id == -1).
struct Split {
  std::int32_t id;
  std::size_t begin;
  std::size_t end;
};

// A set of patterns matched leftmost-longest with a byte trie.
class AddedTokenMatcher {
 public:
  // patterns[i] is what token i looks like in the text it is matched against.
  AddedTokenMatcher(std::vector<AddedToken> tokens, const std::vector<std::string>& patterns);

  // Splits `text`; with skip_special, special tokens are not matched (left as ordinary text).
  void split(std::string_view text, bool skip_special, std::vector<Split>& out) const;
  bool empty() const { return tokens_.empty(); }

 private:
  struct Node {
    std::vector<std::pair<unsigned char, std::int32_t>> children;  // byte -> node index
    std::int32_t token = -1;                                       // index into tokens_
  };
  std::int32_t child(std::int32_t node, unsigned char b) const;

  std::vector<AddedToken> tokens_;
  std::vector<Node> nodes_;
  bool starts_[256] = {};
};

}  // namespace mamba::tok
