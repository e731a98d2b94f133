// Parses tokenizer.json. Anything that would change the ids and is not implemented here (another
// model type, normalizer, pre-tokenizer, decoder, post-processor, dropout, truncation, padding) is
// refused with a message naming it, never ignored.
#include <nlohmann/json.hpp>

#include "tokenizer/hf_tokenizer.hpp"

namespace mamba::tok {
namespace {

using nlohmann::json;

class Parser {
 public:
  explicit Parser(std::string_view source) : source_(source) {}

  [[noreturn]] void fail(const std::string& what) const {
    throw TokenizerError(std::string(source_) + ": " + what);
  }

  const json& member(const json& obj, const char* key, const std::string& where) const {
    if (!obj.is_object()) fail(where + " is not a JSON object");
    const auto it = obj.find(key);
    if (it == obj.end()) fail(where + " has no \"" + key + "\"");
    return *it;
  }

  bool flag(const json& obj, const char* key, bool fallback, const std::string& where) const {
    const auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return fallback;
    if (!it->is_boolean()) fail(where + "." + key + " is not a boolean");
    return it->get<bool>();
  }

  std::string type_of(const json& obj, const std::string& where) const {
    const json& t = member(obj, "type", where);
    if (!t.is_string()) fail(where + ".type is not a string");
    return t.get<std::string>();
  }

  void parse_model(const json& model, HfTokenizerSpec& spec) const {
    if (!model.is_object()) fail("\"model\" is not a JSON object");
    const std::string type = model.contains("type") ? type_of(model, "model") : "BPE";
    if (type != "BPE") fail("model type \"" + type + "\" is not supported (only BPE)");
    if (const auto it = model.find("dropout"); it != model.end() && !it->is_null()) {
      if (!it->is_number()) fail("model.dropout is not a number");
      if (it->get<double>() != 0.0) fail("BPE dropout is not supported (encoding would be random)");
    }
    for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"}) {
      if (const auto it = model.find(key); it != model.end() && !it->is_null()) {
        if (!it->is_string()) fail(std::string("model.") + key + " is not a string");
        if (!it->get<std::string>().empty()) fail(std::string("BPE ") + key + " is not supported");
      }
    }
    if (flag(model, "byte_fallback", false, "model")) fail("BPE byte_fallback is not supported");
    spec.fuse_unk = flag(model, "fuse_unk", false, "model");
    spec.ignore_merges = flag(model, "ignore_merges", false, "model");

    const json& vocab = member(model, "vocab", "model");
    if (!vocab.is_object()) fail("model.vocab is not a JSON object");
    if (vocab.empty()) fail("model.vocab is empty");
    std::unordered_map<std::string, std::int32_t> ids;
    ids.reserve(vocab.size());
    for (const auto& [token, id] : vocab.items()) {
      if (!id.is_number_integer() || id.get<std::int64_t>() < 0 ||
          id.get<std::int64_t>() > (1 << 30)) {
        fail("model.vocab[\"" + token + "\"] is not a valid id");
      }
      const auto i = static_cast<std::size_t>(id.get<std::int64_t>());
      if (i >= spec.vocab.size()) spec.vocab.resize(i + 1);
      if (spec.vocab[i]) fail("model.vocab gives id " + std::to_string(i) + " to two tokens");
      spec.vocab[i] = token;
      ids.emplace(token, static_cast<std::int32_t>(i));
    }

    const json& merges = member(model, "merges", "model");
    if (!merges.is_array()) fail("model.merges is not an array");
    spec.merges.reserve(merges.size());
    const auto lookup = [&](const std::string& token, std::size_t index) {
      const auto it = ids.find(token);
      if (it == ids.end()) {
        fail("merge " + std::to_string(index) + " uses \"" + token +
             "\", which is not in the vocab");
      }
      return it->second;
    };
    for (std::size_t i = 0; i < merges.size(); ++i) {
      const json& m = merges[i];
      std::string left, right;
      if (m.is_string()) {  // legacy "left right"
        const std::string s = m.get<std::string>();
        const auto space = s.find(' ');
        if (space == std::string::npos || s.find(' ', space + 1) != std::string::npos) {
          fail("merge " + std::to_string(i) + " (\"" + s +
               "\") is not two tokens separated by a space");
        }
        left = s.substr(0, space);
        right = s.substr(space + 1);
      } else if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) {
        left = m[0].get<std::string>();
        right = m[1].get<std::string>();
      } else {
        fail("merge " + std::to_string(i) + " is neither \"a b\" nor [\"a\", \"b\"]");
      }
      const std::int32_t a = lookup(left, i);
      const std::int32_t b = lookup(right, i);
      lookup(left + right, i);
      spec.merges.push_back({a, b});
    }

    if (const auto it = model.find("unk_token"); it != model.end() && !it->is_null()) {
      if (!it->is_string()) fail("model.unk_token is not a string");
      const auto unk = ids.find(it->get<std::string>());
      if (unk == ids.end())
        fail("model.unk_token \"" + it->get<std::string>() + "\" is not in the vocab");
      spec.unk_id = unk->second;
    }
  }

  void parse_added_tokens(const json& doc, HfTokenizerSpec& spec) const {
    const auto it = doc.find("added_tokens");
    if (it == doc.end() || it->is_null()) return;
    if (!it->is_array()) fail("\"added_tokens\" is not an array");
    for (std::size_t i = 0; i < it->size(); ++i) {
      const json& t = (*it)[i];
      const std::string where = "added_tokens[" + std::to_string(i) + "]";
      const json& id = member(t, "id", where);
      const json& content = member(t, "content", where);
      if (!id.is_number_integer() || id.get<std::int64_t>() < 0 ||
          id.get<std::int64_t>() > (1 << 30)) {
        fail(where + ".id is not a valid id");
      }
      if (!content.is_string()) fail(where + ".content is not a string");
      AddedToken token;
      token.id = static_cast<std::int32_t>(id.get<std::int64_t>());
      token.content = content.get<std::string>();
      token.special = flag(t, "special", false, where);
      // HF: normalized defaults to !special.
      token.normalized = flag(t, "normalized", !token.special, where);
      token.lstrip = flag(t, "lstrip", false, where);
      token.rstrip = flag(t, "rstrip", false, where);
      token.single_word = flag(t, "single_word", false, where);
      spec.added_tokens.push_back(std::move(token));
    }
  }

  void parse_normalizer(const json& n, HfTokenizerSpec& spec) const {
    if (n.is_null()) return;
    const std::string type = type_of(n, "normalizer");
    if (type == "NFC") {
      spec.nfc = true;
    } else if (type == "Sequence") {
      const json& list = member(n, "normalizers", "normalizer");
      if (!list.is_array()) fail("normalizer.normalizers is not an array");
      for (const json& inner : list) parse_normalizer(inner, spec);
    } else {
      fail("normalizer \"" + type + "\" is not supported (only NFC)");
    }
  }

  void parse_pre_tokenizer(const json& p, HfTokenizerSpec& spec) const {
    if (p.is_null()) fail("a tokenizer without pre_tokenizer is not supported (needs ByteLevel)");
    const std::string type = type_of(p, "pre_tokenizer");
    if (type == "Sequence") {
      const json& list = member(p, "pretokenizers", "pre_tokenizer");
      if (!list.is_array() || list.size() != 1) {
        fail("pre_tokenizer Sequence other than a single ByteLevel is not supported");
      }
      parse_pre_tokenizer(list[0], spec);
      return;
    }
    if (type != "ByteLevel")
      fail("pre_tokenizer \"" + type + "\" is not supported (only ByteLevel)");
    spec.add_prefix_space = flag(p, "add_prefix_space", true, "pre_tokenizer");
    spec.use_regex = flag(p, "use_regex", true, "pre_tokenizer");
  }

  void parse_decoder(const json& d) const {
    if (d.is_null()) fail("a tokenizer without decoder is not supported (needs ByteLevel)");
    const std::string type = type_of(d, "decoder");
    if (type != "ByteLevel") fail("decoder \"" + type + "\" is not supported (only ByteLevel)");
  }

  std::vector<std::int32_t> special_ids(const json& p, const std::string& name) const {
    const json& specials = member(p, "special_tokens", "post_processor");
    const json& entry = member(specials, name.c_str(), "post_processor.special_tokens");
    const json& ids = member(entry, "ids", "post_processor.special_tokens[\"" + name + "\"]");
    if (!ids.is_array()) fail("post_processor special token \"" + name + "\" ids is not an array");
    std::vector<std::int32_t> out;
    for (const json& id : ids) {
      if (!id.is_number_integer())
        fail("post_processor special token \"" + name + "\" has a bad id");
      out.push_back(id.get<std::int32_t>());
    }
    return out;
  }

  void parse_post_processor(const json& p, HfTokenizerSpec& spec) const {
    if (p.is_null()) return;
    const std::string type = type_of(p, "post_processor");
    if (type == "ByteLevel") return;  // only adjusts offsets
    if (type == "Sequence") {
      const json& list = member(p, "processors", "post_processor");
      if (!list.is_array()) fail("post_processor.processors is not an array");
      for (const json& inner : list) parse_post_processor(inner, spec);
      return;
    }
    if (type != "TemplateProcessing") {
      fail("post_processor \"" + type + "\" is not supported (ByteLevel, TemplateProcessing)");
    }
    const json& single = member(p, "single", "post_processor");
    if (!single.is_array()) fail("post_processor.single is not an array");
    bool seen_sequence = false;
    for (const json& piece : single) {
      if (piece.contains("Sequence")) {
        if (seen_sequence) fail("post_processor.single holds the sequence twice");
        seen_sequence = true;
      } else if (piece.contains("SpecialToken")) {
        const json& id = member(piece["SpecialToken"], "id", "post_processor SpecialToken");
        if (!id.is_string()) fail("post_processor SpecialToken id is not a string");
        auto ids = special_ids(p, id.get<std::string>());
        auto& target = seen_sequence ? spec.suffix_ids : spec.prefix_ids;
        target.insert(target.end(), ids.begin(), ids.end());
      } else {
        fail("post_processor.single has an entry that is neither Sequence nor SpecialToken");
      }
    }
    if (!seen_sequence) fail("post_processor.single has no Sequence");
  }

  // Every id below the largest one must name a token; otherwise added tokens point past the
  // model's vocabulary, leaving ids that decode to nothing.
  void check_ids(HfTokenizerSpec& spec) const {
    const std::size_t model_size = spec.vocab.size();
    std::size_t size = model_size;
    for (const AddedToken& t : spec.added_tokens)
      size = std::max(size, static_cast<std::size_t>(t.id) + 1);
    std::vector<bool> named(size, false);
    for (std::size_t i = 0; i < model_size; ++i) named[i] = spec.vocab[i].has_value();
    for (const AddedToken& t : spec.added_tokens) named[t.id] = true;
    for (std::size_t i = 0; i < size; ++i) {
      if (named[i]) continue;
      if (i < model_size) fail("model.vocab has no token with id " + std::to_string(i));
      const AddedToken* past = nullptr;
      for (const AddedToken& t : spec.added_tokens) {
        if (static_cast<std::size_t>(t.id) > i) {
          past = &t;
          break;
        }
      }
      fail("added token \"" + past->content + "\" has id " + std::to_string(past->id) +
           ", past the model's vocabulary (" + std::to_string(model_size) +
           " entries; no token has id " + std::to_string(i) + ")");
    }
    // HF ignores the ids written in added_tokens: a token already in the model vocabulary gets
    // that id, any other the next free one after the vocabulary, in list order. A file that says
    // otherwise would give different ids here and in HF, so it is refused.
    std::unordered_map<std::string, std::int32_t> model_ids;
    for (std::size_t i = 0; i < model_size; ++i) {
      if (spec.vocab[i]) model_ids.emplace(*spec.vocab[i], static_cast<std::int32_t>(i));
    }
    std::unordered_map<std::string, std::int32_t> added_ids;
    auto next = static_cast<std::int32_t>(model_size);
    for (const AddedToken& t : spec.added_tokens) {
      std::int32_t expected;
      if (const auto it = model_ids.find(t.content); it != model_ids.end()) {
        expected = it->second;
      } else if (const auto seen = added_ids.find(t.content); seen != added_ids.end()) {
        expected = seen->second;
      } else {
        expected = next++;
      }
      added_ids.emplace(t.content, expected);
      if (t.id != expected) {
        fail("added token \"" + t.content + "\" has id " + std::to_string(t.id) +
             ", but HF tokenizers would give it id " + std::to_string(expected) +
             " (added ids follow the model vocabulary in list order)");
      }
    }
    for (const std::int32_t id : spec.prefix_ids) {
      if (id < 0 || static_cast<std::size_t>(id) >= size)
        fail("post_processor uses unknown id " + std::to_string(id));
    }
    for (const std::int32_t id : spec.suffix_ids) {
      if (id < 0 || static_cast<std::size_t>(id) >= size)
        fail("post_processor uses unknown id " + std::to_string(id));
    }
  }

  HfTokenizerSpec parse(std::string_view text) const {
    json doc;
    try {
      doc = json::parse(text.begin(), text.end());
    } catch (const json::parse_error& e) {
      fail(std::string("not valid JSON: ") + e.what());
    }
    if (!doc.is_object()) fail("top level is not a JSON object");
    HfTokenizerSpec spec;
    try {
      parse_model(member(doc, "model", "tokenizer.json"), spec);
      parse_added_tokens(doc, spec);
      parse_normalizer(doc.value("normalizer", json()), spec);
      parse_pre_tokenizer(doc.value("pre_tokenizer", json()), spec);
      parse_decoder(doc.value("decoder", json()));
      parse_post_processor(doc.value("post_processor", json()), spec);
      for (const char* key : {"truncation", "padding"}) {
        if (const auto it = doc.find(key); it != doc.end() && !it->is_null()) {
          fail(std::string("\"") + key + "\" is set; it is not supported (set it to null)");
        }
      }
      check_ids(spec);
    } catch (const json::exception& e) {
      fail(std::string("unexpected JSON structure: ") + e.what());
    }
    return spec;
  }

 private:
  std::string_view source_;
};

}  // namespace

HfTokenizerSpec parse_hf_tokenizer_json(std::string_view json_text, std::string_view source_name) {
  return Parser(source_name).parse(json_text);
}

}  // namespace mamba::tok
