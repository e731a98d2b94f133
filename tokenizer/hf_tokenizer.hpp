// A Hugging Face tokenizer.json with a byte-level BPE model (GPT-2, GPT-NeoX, Llama-3 style).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "tokenizer/added_vocabulary.hpp"
#include "tokenizer/bpe_model.hpp"
#include "tokenizer/tokenizer.hpp"

namespace mamba::tok {

// Everything parsed out of tokenizer.json (see hf_tokenizer_json.cpp for what is accepted).
struct HfTokenizerSpec {
  std::vector<std::optional<std::string>> vocab;  // id -> vocabulary string; holes are nullopt
  std::vector<BpeModel::Merge> merges;
  std::optional<std::int32_t> unk_id;
  bool fuse_unk = false;
  bool ignore_merges = false;
  std::vector<AddedToken> added_tokens;
  bool nfc = false;
  bool add_prefix_space = false;
  bool use_regex = true;
  std::vector<std::int32_t> prefix_ids;  // TemplateProcessing (single): ids before / after $A
  std::vector<std::int32_t> suffix_ids;
};

HfTokenizerSpec parse_hf_tokenizer_json(std::string_view json, std::string_view source_name);

class HfTokenizer final : public Tokenizer {
 public:
  explicit HfTokenizer(HfTokenizerSpec spec);

  std::vector<std::int32_t> encode(std::string_view text,
                                   const EncodeOptions& options) const override;
  std::string token_bytes(std::int32_t id) const override;
  std::int32_t vocab_size() const override { return static_cast<std::int32_t>(tokens_.size()); }
  bool is_special(std::int32_t id) const override;
  std::optional<std::int32_t> bos_id() const override { return bos_; }
  std::optional<std::int32_t> eos_id() const override { return eos_; }
  std::optional<std::int32_t> token_to_id(std::string_view token) const override;
  void set_bos_id(std::optional<std::int32_t> id) override { bos_ = id; }
  void set_eos_id(std::optional<std::int32_t> id) override { eos_ = id; }
  void append_token_bytes(std::int32_t id, bool skip_special_tokens, DecodeState& state,
                          std::string& out) const override;
  Utf8Repair utf8_repair() const override { return Utf8Repair::kMaximalSubpart; }

 private:
  struct TokenInfo {
    std::string bytes;  // what the ByteLevel decoder turns the token into
    bool exists = false;
    bool special = false;
  };
  void encode_words(std::string_view text, std::vector<std::int32_t>& out) const;

  std::vector<TokenInfo> tokens_;
  std::unordered_map<std::string, std::int32_t> token_ids_;
  BpeModel bpe_;
  AddedTokenMatcher raw_matcher_;         // added tokens with normalized = false
  AddedTokenMatcher normalized_matcher_;  // added tokens with normalized = true
  bool nfc_;
  bool add_prefix_space_;
  bool use_regex_;
  std::vector<std::int32_t> prefix_ids_;
  std::vector<std::int32_t> suffix_ids_;
  std::optional<std::int32_t> bos_;
  std::optional<std::int32_t> eos_;
};

}  // namespace mamba::tok
