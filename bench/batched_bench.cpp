// A batched-bench table in the style of llama.cpp's llama-batched-bench, through the engine (no
// HTTP): B sequences with PP-token prompts each generate TG tokens; prompt, generation and total
// tokens/s. Random-weight model of the mamba-130m shape.
//   mamba-batched-bench [--dtype f32|bf16] [--arch mamba1|mamba2] [--batches 1,4,16,64]
//                       [--pp 128] [--tg 128]

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench/random_model.hpp"
#include "engine/engine.hpp"
#include "tokenizer/tokenizer.hpp"

using namespace mamba;
using Clock = std::chrono::steady_clock;

namespace {

// The engine needs a tokenizer for its text pipeline; these ids decode to bytes, which is all the
// benchmark needs (it never reads the text).
class ByteTokenizer : public tok::Tokenizer {
 public:
  explicit ByteTokenizer(int vocab) : vocab_(vocab) {}
  std::vector<int32_t> encode(std::string_view text, const tok::EncodeOptions&) const override {
    return std::vector<int32_t>(text.begin(), text.end());
  }
  std::string token_bytes(int32_t id) const override {
    return std::string(1, static_cast<char>(id & 0x7f));
  }
  int32_t vocab_size() const override { return vocab_; }
  bool is_special(int32_t) const override { return false; }
  std::optional<int32_t> bos_id() const override { return std::nullopt; }
  std::optional<int32_t> eos_id() const override { return std::nullopt; }
  std::optional<int32_t> token_to_id(std::string_view) const override { return std::nullopt; }
  void set_bos_id(std::optional<int32_t>) override {}
  void set_eos_id(std::optional<int32_t>) override {}
  void append_token_bytes(int32_t id, bool, tok::DecodeState&, std::string& out) const override {
    out += token_bytes(id);
  }
  tok::Utf8Repair utf8_repair() const override { return tok::Utf8Repair::kMaximalSubpart; }

 private:
  int vocab_;
};

}  // namespace

int main(int argc, char** argv) {
  DType dtype = DType::F32;
  Arch arch = Arch::Mamba1;
  std::vector<int> batches = {1, 4, 16, 64};
  int pp = 128, tg = 128;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i], v = argv[i + 1];
    if (a == "--dtype")
      dtype = bench::parse_dtype(v);
    else if (a == "--arch")
      arch = bench::parse_arch(v);
    else if (a == "--pp")
      pp = std::stoi(v);
    else if (a == "--tg")
      tg = std::stoi(v);
    else if (a == "--batches") {
      batches.clear();
      std::stringstream ss(v);
      for (std::string b; std::getline(ss, b, ',');) batches.push_back(std::stoi(b));
    }
  }
  const ModelConfig cfg = bench::mamba_130m_config(arch);
  auto model = std::make_shared<const Model>(bench::random_weights(cfg, dtype));
  auto tokenizer = std::make_shared<ByteTokenizer>(50277);
  std::printf("model: random %s-130m shape, %s weights, PP = %d, TG = %d\n\n",
              arch == Arch::Mamba1 ? "mamba" : "mamba2", dtype == DType::F32 ? "F32" : "BF16", pp,
              tg);
  std::printf(
      "|    B |   PP |   TG |  T_PP s | S_PP t/s |  T_TG s | S_TG t/s |     T s |    S t/s |\n");
  std::printf(
      "|------|------|------|---------|----------|---------|----------|---------|----------|\n");
  std::mt19937 rng(1);
  for (int B : batches) {
    Engine engine(model, tokenizer,
                  EngineConfig{.slots = B, .max_waiting = B, .prefill_budget = B * pp});
    std::vector<GenerationRequest> reqs(B);
    for (auto& r : reqs) {
      r.prompt.resize(pp);
      for (auto& t : r.prompt) t = std::uniform_int_distribution<int32_t>(0, 50276)(rng);
      r.params.temperature = 0.0f;
      r.params.max_tokens = tg;
      r.params.ignore_eos = true;
    }
    const auto t0 = Clock::now();
    std::vector<std::shared_ptr<RequestHandle>> handles;
    for (auto& r : reqs) handles.push_back(engine.submit(r));
    // One reader per sequence, so each first token is timed when it arrives.
    std::vector<Clock::time_point> first(B, t0);
    std::vector<std::thread> readers;
    for (int i = 0; i < B; ++i) {
      readers.emplace_back([&, i] {
        Event e;
        bool seen = false;
        while (handles[i]->next(e)) {
          if (!seen && e.kind == Event::Kind::Token) {
            first[i] = Clock::now();
            seen = true;
          }
        }
      });
    }
    for (auto& r : readers) r.join();
    const Clock::time_point last_first = *std::max_element(first.begin(), first.end());
    const auto t1 = Clock::now();
    // The first token of every sequence comes out of its prefill step.
    const double t_pp = std::chrono::duration<double>(last_first - t0).count();
    const double t_all = std::chrono::duration<double>(t1 - t0).count();
    const double t_tg = t_all - t_pp;
    std::printf("| %4d | %4d | %4d | %7.3f | %8.1f | %7.3f | %8.1f | %7.3f | %8.1f |\n", B, pp, tg,
                t_pp, B * pp / t_pp, t_tg, B * (tg - 1) / t_tg, t_all, B * (pp + tg) / t_all);
    std::fflush(stdout);
  }
  return 0;
}
