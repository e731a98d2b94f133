// Helpers shared by the tokenizer tests: reading committed fixtures (tests/fixtures/tokenizer/).
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "tokenizer/tokenizer.hpp"

namespace mamba::tok::test {

inline std::filesystem::path fixture(const std::string& name) {
  return std::filesystem::path(MAMBA_FIXTURES_DIR) / "tokenizer" / name;
}

inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + p.string());
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline nlohmann::json read_json(const std::string& name) {
  return nlohmann::json::parse(read_file(fixture(name)));
}

inline std::string from_hex(const std::string& hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

inline std::vector<int32_t> ids_of(const nlohmann::json& j) {
  return j.get<std::vector<int32_t>>();
}

// Shared GPT-NeoX tokenizer (loading it takes a while; every test reuses one).
inline const Tokenizer& neox() {
  static const std::unique_ptr<Tokenizer> t =
      load_hf_tokenizer_json(fixture("gpt-neox-20b.tokenizer.json"));
  return *t;
}

// True when s is valid UTF-8 and does not end inside a character.
bool complete_utf8(const std::string& s);

// Streams ids one by one through an IncrementalDecoder; checks that every piece is complete UTF-8
// and that the pieces concatenate to decode(ids).
inline void expect_streaming_matches_decode(const Tokenizer& t, const std::vector<int32_t>& ids,
                                            bool skip_special, const std::string& label) {
  IncrementalDecoder decoder(t, skip_special);
  std::string streamed;
  for (const int32_t id : ids) {
    const std::string piece = decoder.push(id);
    EXPECT_TRUE(complete_utf8(piece)) << label << ": partial UTF-8 in a streamed piece";
    streamed += piece;
  }
  const std::string tail = decoder.flush();
  EXPECT_TRUE(complete_utf8(tail)) << label;
  streamed += tail;
  EXPECT_EQ(streamed, t.decode(ids, skip_special)) << label;
}

}  // namespace mamba::tok::test
