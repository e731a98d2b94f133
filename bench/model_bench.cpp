// Engine-core speed on a random-weight model of the real mamba-130m shape: prefill tokens/s and
// single-sequence step tokens/s, and peak memory against weight bytes.
//   mamba-model-bench [--dtype f32|bf16] [--arch mamba1|mamba2] [--prompt 512] [--steps 128]
// Run one dtype per process so peak memory is that dtype's alone.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "bench/peak_memory.hpp"
#include "bench/random_model.hpp"
#include "engine/model/model.hpp"

using namespace mamba;
using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) {
  DType dtype = DType::F32;
  Arch arch = Arch::Mamba1;
  int prompt_len = 512, steps = 128, repeats = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i], v = argv[i + 1];
    if (a == "--dtype")
      dtype = bench::parse_dtype(v);
    else if (a == "--arch")
      arch = bench::parse_arch(v);
    else if (a == "--prompt")
      prompt_len = std::stoi(v);
    else if (a == "--steps")
      steps = std::stoi(v);
    else if (a == "--repeats")
      repeats = std::stoi(v);
  }
  const ModelConfig cfg = bench::mamba_130m_config(arch);
  Model model(bench::random_weights(cfg, dtype));
  std::mt19937 rng(1);
  std::vector<int32_t> prompt(prompt_len);
  for (auto& t : prompt) t = std::uniform_int_distribution<int32_t>(0, 50276)(rng);
  std::vector<float> state(model.state_layout().floats());
  std::vector<float> logits(model.vocab_size());
  ForwardScratch scratch;

  double best_prefill = 1e30, best_step = 1e30;
  for (int r = 0; r < repeats; ++r) {
    std::fill(state.begin(), state.end(), 0.0f);
    SeqChunk pre{prompt, state.data(), prompt_len - 1};
    auto t0 = Clock::now();
    model.forward({&pre, 1}, logits.data(), scratch);
    best_prefill = std::min(best_prefill, std::chrono::duration<double>(Clock::now() - t0).count());
    int32_t tok =
        static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
    t0 = Clock::now();
    for (int s = 0; s < steps; ++s) {
      SeqChunk step{std::span<const int32_t>(&tok, 1), state.data(), 0};
      model.forward({&step, 1}, logits.data(), scratch);
      tok = static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
    }
    best_step = std::min(best_step, std::chrono::duration<double>(Clock::now() - t0).count());
  }
  const double wb = static_cast<double>(model.weight_bytes()) / (1 << 20);
  const double peak = static_cast<double>(bench::peak_rss_bytes()) / (1 << 20);
  std::printf("| %-6s | %-5s | %8.1f | %8.1f | %9.1f | %9.1f | %5.2f |\n",
              arch == Arch::Mamba1 ? "mamba" : "mamba2", dtype == DType::F32 ? "F32" : "BF16",
              prompt_len / best_prefill, steps / best_step, wb, peak, peak / wb);
  return 0;
}
