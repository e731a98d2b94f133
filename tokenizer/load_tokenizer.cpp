// Picking the tokenizer file of a model directory and reading bos/eos from its config files.
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tokenizer/hf_tokenizer.hpp"
#include "tokenizer/sentencepiece_tokenizer.hpp"
#include "tokenizer/tokenizer.hpp"

namespace mamba::tok {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string read_file(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw TokenizerError(file.string() + ": cannot open");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) throw TokenizerError(file.string() + ": read error");
  return buffer.str();
}

std::optional<json> read_json_if_present(const fs::path& file) {
  if (!fs::exists(file)) return std::nullopt;
  try {
    json doc = json::parse(read_file(file));
    if (!doc.is_object()) throw TokenizerError(file.string() + ": top level is not a JSON object");
    return doc;
  } catch (const json::parse_error& e) {
    throw TokenizerError(file.string() + ": not valid JSON: " + e.what());
  }
}

// "bos_token": "<s>" or {"content": "<s>", ...} (tokenizer_config.json, special_tokens_map.json).
void apply_token_names(const json& doc, const fs::path& file, Tokenizer& tokenizer) {
  for (const char* key : {"bos_token", "eos_token"}) {
    const auto it = doc.find(key);
    if (it == doc.end() || it->is_null()) continue;
    std::string name;
    if (it->is_string()) {
      name = it->get<std::string>();
    } else if (it->is_object() && it->contains("content") && (*it)["content"].is_string()) {
      name = (*it)["content"].get<std::string>();
    } else {
      throw TokenizerError(file.string() + ": \"" + key +
                           "\" is neither a string nor {\"content\": ...}");
    }
    const auto id = tokenizer.token_to_id(name);
    if (!id) throw TokenizerError(file.string() + ": " + key + " \"" + name + "\" is not a token");
    if (std::string_view(key) == "bos_token")
      tokenizer.set_bos_id(id);
    else
      tokenizer.set_eos_id(id);
  }
}

std::optional<std::int32_t> config_id(const json& value, const fs::path& file, const char* key,
                                      const Tokenizer& tokenizer) {
  // eos_token_id may be a list (several stop ids); the first is the canonical one.
  const json& v = value.is_array() && !value.empty() ? value[0] : value;
  if (!v.is_number_integer())
    throw TokenizerError(file.string() + ": " + key + " is not an integer");
  const auto id = v.get<std::int64_t>();
  if (id < 0 || id >= tokenizer.vocab_size()) {
    throw TokenizerError(file.string() + ": " + key + " " + std::to_string(id) +
                         " is outside the tokenizer's ids (" +
                         std::to_string(tokenizer.vocab_size()) + ")");
  }
  return static_cast<std::int32_t>(id);
}

void apply_model_config(const json& doc, const fs::path& file, Tokenizer& tokenizer) {
  for (const char* key : {"bos_token_id", "eos_token_id"}) {
    const auto it = doc.find(key);
    if (it == doc.end() || it->is_null()) continue;
    const auto id = config_id(*it, file, key, tokenizer);
    if (std::string_view(key) == "bos_token_id")
      tokenizer.set_bos_id(id);
    else
      tokenizer.set_eos_id(id);
  }
  // Ids at or past the model's vocab_size would index past its embedding.
  if (const auto it = doc.find("vocab_size"); it != doc.end() && it->is_number_integer()) {
    const auto model_vocab = it->get<std::int64_t>();
    if (tokenizer.vocab_size() > model_vocab) {
      throw TokenizerError(file.string() + ": the model's vocab_size is " +
                           std::to_string(model_vocab) + " but its tokenizer has ids up to " +
                           std::to_string(tokenizer.vocab_size() - 1));
    }
  }
}

}  // namespace

std::unique_ptr<Tokenizer> load_hf_tokenizer_json_string(std::string_view json_text,
                                                         std::string_view source_name) {
  return std::make_unique<HfTokenizer>(parse_hf_tokenizer_json(json_text, source_name));
}

std::unique_ptr<Tokenizer> load_hf_tokenizer_json(const fs::path& file) {
  if (!fs::is_regular_file(file)) throw TokenizerError(file.string() + ": no such file");
  return load_hf_tokenizer_json_string(read_file(file), file.string());
}

std::unique_ptr<Tokenizer> load_sentencepiece_model(const fs::path& file) {
  return std::make_unique<SentencePieceTokenizer>(file);
}

std::unique_ptr<Tokenizer> load_tokenizer(const fs::path& path) {
  if (fs::is_regular_file(path)) {
    return path.extension() == ".json" ? load_hf_tokenizer_json(path)
                                       : load_sentencepiece_model(path);
  }
  if (!fs::is_directory(path)) throw TokenizerError(path.string() + ": no such file or directory");
  std::unique_ptr<Tokenizer> tokenizer;
  SentencePieceTokenizer* sentencepiece = nullptr;
  if (fs::exists(path / "tokenizer.json")) {
    tokenizer = load_hf_tokenizer_json(path / "tokenizer.json");
  } else if (fs::exists(path / "tokenizer.model")) {
    auto sp = std::make_unique<SentencePieceTokenizer>(path / "tokenizer.model");
    sentencepiece = sp.get();
    tokenizer = std::move(sp);
  } else {
    throw TokenizerError(path.string() + ": has neither tokenizer.json nor tokenizer.model");
  }
  // Later sources win: special_tokens_map.json, then tokenizer_config.json, then config.json.
  const fs::path special_map = path / "special_tokens_map.json";
  if (const auto doc = read_json_if_present(special_map))
    apply_token_names(*doc, special_map, *tokenizer);
  const fs::path tokenizer_config = path / "tokenizer_config.json";
  if (const auto doc = read_json_if_present(tokenizer_config)) {
    apply_token_names(*doc, tokenizer_config, *tokenizer);
    if (sentencepiece) {
      if (const auto it = doc->find("add_bos_token"); it != doc->end() && it->is_boolean()) {
        sentencepiece->set_add_bos(it->get<bool>());
      }
      if (const auto it = doc->find("add_eos_token"); it != doc->end() && it->is_boolean()) {
        sentencepiece->set_add_eos(it->get<bool>());
      }
    }
  }
  const fs::path config = path / "config.json";
  if (const auto doc = read_json_if_present(config)) apply_model_config(*doc, config, *tokenizer);
  return tokenizer;
}

}  // namespace mamba::tok
