#pragma once
// Drives an Engine in tests: a fixture model with the GPT-NeoX tokenizer (ids below the model's
// small vocabulary are mostly single bytes, so pieces are often incomplete UTF-8) and helpers
// that collect a request's events.

#include <chrono>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "engine/engine.hpp"
#include "tests/engine/model_fixture.hpp"
#include "tokenizer/tokenizer.hpp"

namespace mamba::test {

inline std::shared_ptr<const tok::Tokenizer> neox_tokenizer() {
  static std::shared_ptr<const tok::Tokenizer> t = tok::load_hf_tokenizer_json(
      std::filesystem::path(MAMBA_FIXTURES_DIR) / "tokenizer" / "gpt-neox-20b.tokenizer.json");
  return t;
}

inline std::shared_ptr<const Model> fixture_model(const std::string& name) {
  return Model::load(model_fixture_dir(name));
}

struct Completion {
  std::vector<int32_t> tokens;
  std::vector<float> logprobs;
  std::vector<TokenLogprob> token_logprobs;
  std::string text;
  std::vector<std::string> pieces;
  FinishReason finish = FinishReason::Error;
  std::string matched_stop;
  int completion_tokens = 0;
  int prompt_tokens = 0;
};

struct Result {
  std::vector<Completion> completions;
  std::vector<TokenLogprob> prompt_logprobs;
  bool got_prompt_logprobs = false;
};

inline Result collect(RequestHandle& h, int n = 1) {
  Result r;
  r.completions.resize(n);
  Event e;
  while (h.next(e, std::chrono::seconds(60))) {
    if (e.kind == Event::Kind::PromptLogprobs) {
      r.prompt_logprobs = e.prompt_logprobs;
      r.got_prompt_logprobs = true;
      continue;
    }
    Completion& c = r.completions.at(e.index);
    if (e.kind == Event::Kind::Token) {
      c.tokens.push_back(e.token);
      c.text += e.text;
      c.pieces.push_back(e.text);
      if (e.logprob) {
        c.logprobs.push_back(e.logprob->logprob);
        c.token_logprobs.push_back(*e.logprob);
      }
    } else {
      c.finish = e.finish;
      c.matched_stop = e.matched_stop;
      c.completion_tokens = e.completion_tokens;
      c.prompt_tokens = e.prompt_tokens;
    }
  }
  return r;
}

// Greedy decoding that runs to max_tokens, with the chosen token's logprob and `top` alternatives.
inline SamplingParams greedy_params(int max_tokens, int top = 0) {
  SamplingParams p;
  p.temperature = 0.0f;
  p.max_tokens = max_tokens;
  p.ignore_eos = true;
  p.logprobs = top;
  return p;
}

inline std::vector<int32_t> random_prompt(std::mt19937& rng, int len, int vocab) {
  std::uniform_int_distribution<int32_t> d(1, vocab - 1);
  std::vector<int32_t> p(len);
  for (auto& t : p) t = d(rng);
  return p;
}

template <class Pred>
bool wait_until(Pred pred, std::chrono::milliseconds limit = std::chrono::seconds(20)) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return pred();
}

}  // namespace mamba::test
