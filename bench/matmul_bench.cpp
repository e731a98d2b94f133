// GFLOP/s of the linear-layer kernels at the token counts a step sees, on the mamba-130m matrices:
//   mamba-matmul-bench [--tokens 1,4,16,64]

#include <chrono>
#include <cstdio>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "engine/kernels/matmul.hpp"
#include "engine/model/tensor.hpp"

using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) {
  std::vector<int> tokens = {1, 4, 16, 32, 64};
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::string(argv[i]) == "--tokens") {
      tokens.clear();
      std::stringstream ss(argv[i + 1]);
      for (std::string t; std::getline(ss, t, ',');) tokens.push_back(std::stoi(t));
    }
  }
  struct Shape {
    const char* name;
    int out, in;
  };
  const Shape shapes[] = {{"in_proj", 3072, 768}, {"out_proj", 768, 1536}, {"lm_head", 50280, 768}};
  std::mt19937 rng(1);
  std::normal_distribution<float> d;
  std::printf("| matrix   |  out x in   |    T | F32 GFLOP/s | BF16 GFLOP/s |\n");
  std::printf("|----------|-------------|------|-------------|--------------|\n");
  for (const Shape& s : shapes) {
    std::vector<float> w(static_cast<size_t>(s.out) * s.in);
    std::vector<uint16_t> wb(w.size());
    for (size_t i = 0; i < w.size(); ++i) {
      w[i] = d(rng);
      wb[i] = mamba::f32_to_bf16(w[i]);
    }
    for (int T : tokens) {
      std::vector<float> x(static_cast<size_t>(T) * s.in), y(static_cast<size_t>(T) * s.out);
      for (auto& v : x) v = d(rng);
      auto time = [&](auto&& fn) {
        fn();  // warm up
        const int reps = std::max(3, static_cast<int>(2e9 / (2.0 * T * s.out * s.in)));
        const auto t0 = Clock::now();
        for (int r = 0; r < reps; ++r) fn();
        const double sec = std::chrono::duration<double>(Clock::now() - t0).count() / reps;
        return 2.0 * T * s.out * s.in / sec / 1e9;
      };
      const double f = time([&] {
        mamba::kernels::matmul_f32(x.data(), s.in, T, s.in, w.data(), s.out, y.data(), s.out);
      });
      const double b = time([&] {
        mamba::kernels::matmul_bf16(x.data(), s.in, T, s.in, wb.data(), s.out, y.data(), s.out);
      });
      std::printf("| %-8s | %5d x %4d | %4d | %11.1f | %12.1f |\n", s.name, s.out, s.in, T, f, b);
    }
  }
  return 0;
}
