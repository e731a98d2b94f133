// A SentencePiece tokenizer.model through libsentencepiece. Decoding is reimplemented over
// token_bytes (the same rules as SentencePieceProcessor::Decode: control pieces vanish, byte
// pieces <0xNN> are raw bytes repaired one U+FFFD per invalid byte, U+2581 is a space, and the
// first piece loses its leading space) so that streaming reproduces it exactly.
#pragma once

#include <filesystem>
#include <memory>
#include <vector>

#include "tokenizer/added_vocabulary.hpp"
#include "tokenizer/tokenizer.hpp"

namespace sentencepiece {
class SentencePieceProcessor;
}

namespace mamba::tok {

class SentencePieceTokenizer final : public Tokenizer {
 public:
  explicit SentencePieceTokenizer(const std::filesystem::path& file);
  ~SentencePieceTokenizer() override;

  std::vector<std::int32_t> encode(std::string_view text,
                                   const EncodeOptions& options) const override;
  std::string token_bytes(std::int32_t id) const override;
  std::int32_t vocab_size() const override { return static_cast<std::int32_t>(pieces_.size()); }
  bool is_special(std::int32_t id) const override;
  std::optional<std::int32_t> bos_id() const override { return bos_; }
  std::optional<std::int32_t> eos_id() const override { return eos_; }
  std::optional<std::int32_t> token_to_id(std::string_view token) const override;
  void set_bos_id(std::optional<std::int32_t> id) override { bos_ = id; }
  void set_eos_id(std::optional<std::int32_t> id) override { eos_ = id; }
  void append_token_bytes(std::int32_t id, bool skip_special_tokens, DecodeState& state,
                          std::string& out) const override;
  Utf8Repair utf8_repair() const override { return Utf8Repair::kPerByte; }

  // What add_special_tokens adds (HF LlamaTokenizer defaults: BOS yes, EOS no).
  void set_add_bos(bool add) { add_bos_ = add; }
  void set_add_eos(bool add) { add_eos_ = add; }

 private:
  enum class Kind : unsigned char { kNormal, kControl, kUnknown, kByte };
  struct Piece {
    std::string bytes;  // U+2581 replaced by a space; the raw byte for <0xNN>
    Kind kind;
    bool leading_space;
  };
  void encode_plain(std::string_view text, std::vector<std::int32_t>& out) const;

  std::unique_ptr<sentencepiece::SentencePieceProcessor> sp_;
  std::vector<Piece> pieces_;
  std::unique_ptr<AddedTokenMatcher> controls_;  // control pieces, matched when parse_special is on
  bool strip_first_space_ = true;
  bool add_bos_ = true;
  bool add_eos_ = false;
  std::optional<std::int32_t> bos_;
  std::optional<std::int32_t> eos_;
  std::string source_;
};

}  // namespace mamba::tok
