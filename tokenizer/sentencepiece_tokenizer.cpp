#include "tokenizer/sentencepiece_tokenizer.hpp"

#include <sentencepiece_processor.h>

#include <cstdio>

#include "tokenizer/utf8.hpp"

namespace mamba::tok {
namespace {

constexpr std::string_view kSpaceSymbol = "\xE2\x96\x81";  // U+2581

std::string replace_space_symbol(std::string_view piece) {
  std::string out;
  out.reserve(piece.size());
  std::size_t i = 0;
  while (i < piece.size()) {
    if (piece.substr(i, kSpaceSymbol.size()) == kSpaceSymbol) {
      out.push_back(' ');
      i += kSpaceSymbol.size();
    } else {
      out.push_back(piece[i++]);
    }
  }
  return out;
}

}  // namespace

SentencePieceTokenizer::SentencePieceTokenizer(const std::filesystem::path& file)
    : sp_(std::make_unique<sentencepiece::SentencePieceProcessor>()), source_(file.string()) {
  if (!std::filesystem::is_regular_file(file)) throw TokenizerError(source_ + ": no such file");
  const auto status = sp_->Load(source_);
  if (!status.ok()) {
    throw TokenizerError(source_ + ": not a SentencePiece model: " + status.ToString());
  }
  const int n = sp_->GetPieceSize();
  pieces_.reserve(n);
  std::vector<AddedToken> controls;
  for (int id = 0; id < n; ++id) {
    const std::string& p = sp_->IdToPiece(id);
    Piece piece{{}, Kind::kNormal, false};
    if (sp_->IsControl(id)) {
      piece.kind = Kind::kControl;
      if (!p.empty()) controls.push_back({id, p, true, false, false, false, false});
    } else if (sp_->IsUnknown(id)) {
      piece.kind = Kind::kUnknown;
      // The unknown piece decodes to the model's unk surface (" \u2047 " by default).
      std::string surface;
      if (!sp_->Decode(std::vector<int>{id}, &surface).ok()) {
        throw TokenizerError(source_ + ": cannot decode the unknown piece");
      }
      piece.bytes = surface;
    } else if (sp_->IsByte(id)) {
      piece.kind = Kind::kByte;
      unsigned value = 0;
      if (p.size() != 6 || std::sscanf(p.c_str(), "<0x%2X>", &value) != 1) {
        throw TokenizerError(source_ + ": byte piece \"" + p + "\" is not of the form <0xNN>");
      }
      piece.bytes.assign(1, static_cast<char>(value));
    } else {
      piece.bytes = replace_space_symbol(p);
      piece.leading_space = std::string_view(p).substr(0, kSpaceSymbol.size()) == kSpaceSymbol;
    }
    pieces_.push_back(std::move(piece));
  }
  // Whether the library drops the first piece's leading space depends on its version and the
  // model's normalizer settings; ask it with one piece that has one.
  for (int id = 0; id < n; ++id) {
    if (pieces_[id].kind == Kind::kNormal && pieces_[id].leading_space) {
      std::string text;
      if (sp_->Decode(std::vector<int>{id}, &text).ok()) {
        strip_first_space_ = text.size() < pieces_[id].bytes.size();
      }
      break;
    }
  }
  std::vector<std::string> patterns;
  for (const AddedToken& t : controls) patterns.push_back(t.content);
  controls_ = std::make_unique<AddedTokenMatcher>(std::move(controls), patterns);
  if (sp_->bos_id() >= 0) bos_ = sp_->bos_id();
  if (sp_->eos_id() >= 0) eos_ = sp_->eos_id();
}

SentencePieceTokenizer::~SentencePieceTokenizer() = default;

void SentencePieceTokenizer::encode_plain(std::string_view text,
                                          std::vector<std::int32_t>& out) const {
  std::vector<int> ids;
  const auto status = sp_->Encode(text, &ids);
  if (!status.ok()) throw TokenizerError(source_ + ": encode failed: " + status.ToString());
  out.insert(out.end(), ids.begin(), ids.end());
}

std::vector<std::int32_t> SentencePieceTokenizer::encode(std::string_view text,
                                                         const EncodeOptions& options) const {
  std::string repaired;
  if (!utf8::is_valid(text)) {
    repaired = utf8::repair(text, Utf8Repair::kMaximalSubpart);
    text = repaired;
  }
  std::vector<std::int32_t> ids;
  if (options.add_special_tokens && add_bos_ && bos_) ids.push_back(*bos_);
  std::vector<Split> splits;
  controls_->split(text, !options.parse_special, splits);
  for (const Split& s : splits) {
    if (s.id >= 0) {
      ids.push_back(s.id);
    } else {
      encode_plain(text.substr(s.begin, s.end - s.begin), ids);
    }
  }
  if (options.add_special_tokens && add_eos_ && eos_) ids.push_back(*eos_);
  return ids;
}

std::string SentencePieceTokenizer::token_bytes(std::int32_t id) const {
  if (id < 0 || id >= vocab_size()) return {};
  return pieces_[id].bytes;
}

bool SentencePieceTokenizer::is_special(std::int32_t id) const {
  if (id < 0 || id >= vocab_size()) return false;
  return pieces_[id].kind == Kind::kControl || pieces_[id].kind == Kind::kUnknown;
}

std::optional<std::int32_t> SentencePieceTokenizer::token_to_id(std::string_view token) const {
  const int id = sp_->PieceToId(token);
  // PieceToId answers unk for unknown strings; only the unk piece itself maps to unk.
  if (id < 0 || (sp_->IsUnknown(id) && sp_->IdToPiece(id) != token)) return std::nullopt;
  return id;
}

void SentencePieceTokenizer::append_token_bytes(std::int32_t id, bool skip_special_tokens,
                                                DecodeState& state, std::string& out) const {
  if (id < 0 || id >= vocab_size()) return;
  if (skip_special_tokens && is_special(id)) return;
  const Piece& p = pieces_[id];
  // Any other piece ends a run of byte pieces, and SentencePiece decodes each run on its own: an
  // unfinished character left at the end of the run is invalid even if later bytes would finish
  // it. (Only control pieces need this; other pieces start with a complete character.)
  if (p.kind == Kind::kControl) {
    const std::size_t unfinished = utf8::incomplete_tail(out);
    out.resize(out.size() - unfinished);
    for (std::size_t i = 0; i < unfinished; ++i) out.append(utf8::kReplacement);
    if (unfinished > 0) state.at_start = false;
    return;
  }
  std::string_view bytes = p.bytes;
  // SentencePiece drops the leading space of a piece only while its output is still empty.
  if (state.at_start && strip_first_space_ && p.kind == Kind::kNormal && p.leading_space) {
    bytes.remove_prefix(1);
  }
  out.append(bytes);
  if (!bytes.empty()) state.at_start = false;
}

}  // namespace mamba::tok
