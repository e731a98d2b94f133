// The one tokenizer interface the engine and the server use: Hugging Face tokenizer.json
// (byte-level BPE, e.g. GPT-NeoX-20B) and SentencePiece tokenizer.model behind the same abstract
// class, plus an incremental detokenizer for streaming that only ever emits complete UTF-8.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace mamba::tok {

// Every load or use error; the message names the file (when there is one) and the problem.
class TokenizerError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct EncodeOptions {
  // Add what the tokenizer's post-processor adds (BOS for SentencePiece/Llama-style; nothing for
  // GPT-NeoX, whose ByteLevel post-processor adds no token).
  bool add_special_tokens = true;
  // HF default: special-token text inside the input ("<|endoftext|>") becomes the special id. When
  // false, special tokens are encoded as ordinary text (HF's encode_special_tokens); non-special
  // added tokens are still matched.
  bool parse_special = true;
};

// How decode() repairs invalid UTF-8 in the concatenated token bytes.
enum class Utf8Repair {
  kMaximalSubpart,  // one U+FFFD per maximal invalid subpart (Rust from_utf8_lossy, HF tokenizers)
  kPerByte,         // one U+FFFD per invalid byte (SentencePiece byte-fallback decoding)
};

// What decode() carries from one token to the next (SentencePiece drops the leading space of the
// first piece only while nothing has been output yet).
struct DecodeState {
  bool at_start = true;
};

// All const methods are safe to call from several threads at once.
class Tokenizer {
 public:
  virtual ~Tokenizer() = default;

  // Text that is not valid UTF-8 is first repaired (invalid bytes -> U+FFFD, maximal subparts),
  // the way a client's bytes become a string before HF sees them.
  virtual std::vector<int32_t> encode(std::string_view text,
                                      const EncodeOptions& options = {}) const = 0;

  // Ids outside [0, vocab_size()) are dropped, as HF does.
  std::string decode(std::span<const int32_t> ids, bool skip_special_tokens = false) const;

  // Raw bytes a token contributes to the decoded byte stream, before UTF-8 repair (and, for
  // SentencePiece, before the first piece's leading space is dropped). Empty for unknown ids.
  virtual std::string token_bytes(int32_t id) const = 0;

  // The token's text as HF decode([id]) gives it, for logprob responses.
  std::string piece(int32_t id) const;

  // Number of ids the tokenizer can produce (model vocabulary plus added tokens).
  virtual int32_t vocab_size() const = 0;
  virtual bool is_special(int32_t id) const = 0;
  virtual std::optional<int32_t> bos_id() const = 0;
  virtual std::optional<int32_t> eos_id() const = 0;
  // Looks up a token by its vocabulary string (byte-level form for BPE, e.g. "Ġthe"; "▁the" for
  // SentencePiece) or an added token's content.
  virtual std::optional<int32_t> token_to_id(std::string_view token) const = 0;

  // Set the ids that the model's config.json (or tokenizer_config.json) names; they win over what
  // the tokenizer file says.
  virtual void set_bos_id(std::optional<int32_t> id) = 0;
  virtual void set_eos_id(std::optional<int32_t> id) = 0;

  // Streaming support: decode() is append_token_bytes over all ids, then repair_utf8. The
  // IncrementalDecoder uses the same two steps, so its output equals decode() by construction.
  virtual void append_token_bytes(int32_t id, bool skip_special_tokens, DecodeState& state,
                                  std::string& out) const = 0;
  virtual Utf8Repair utf8_repair() const = 0;
};

// Loads <model_dir>/tokenizer.json, else <model_dir>/tokenizer.model, and takes bos/eos from
// tokenizer_config.json / special_tokens_map.json / config.json there (config.json's
// bos_token_id/eos_token_id win). When config.json gives vocab_size, a tokenizer that can produce
// ids at or past it is an error (those ids would index past the embedding).
std::unique_ptr<Tokenizer> load_tokenizer(const std::filesystem::path& model_dir);

// Single-file loaders (no config files consulted; bos/eos come from the file itself).
std::unique_ptr<Tokenizer> load_hf_tokenizer_json(const std::filesystem::path& file);
std::unique_ptr<Tokenizer> load_hf_tokenizer_json_string(std::string_view json,
                                                         std::string_view source_name = "<string>");
std::unique_ptr<Tokenizer> load_sentencepiece_model(const std::filesystem::path& file);

// Streaming detokenizer. push() returns only complete UTF-8 (possibly empty); a character split
// across tokens is held until complete. flush() emits what is held, invalid bytes as U+FFFD. The
// concatenation of all push() results and flush() equals tokenizer.decode(all ids). O(1) amortized
// per push: only the at most 3 held bytes are ever looked at again.
class IncrementalDecoder {
 public:
  // `continues_text`: the ids follow text already shown (a completion after its prompt), so a
  // SentencePiece word-start space on the first piece is kept rather than dropped as at the start
  // of a text; "The jury said" + "▁that" reads "The jury said that".
  explicit IncrementalDecoder(const Tokenizer& tokenizer, bool skip_special_tokens = false,
                              bool continues_text = false);
  std::string push(int32_t id);
  std::string flush();

 private:
  const Tokenizer& tokenizer_;
  bool skip_special_tokens_;
  DecodeState state_;
  std::string pending_;  // bytes of an unfinished UTF-8 sequence, at most 3
};

}  // namespace mamba::tok
