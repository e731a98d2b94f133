#include "server/model_loader.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>

namespace mamba::server {
namespace {

// The in-memory weight type, from bytes per parameter (the Model keeps its stored dtype).
const char* dtype_label(size_t bytes, size_t params) {
  if (params == 0) return "unknown";
  const double per = static_cast<double>(bytes) / static_cast<double>(params);
  if (per > 3.0) return "float32";
  if (per > 1.5) return "bfloat16/float16";
  return "mixed";
}

double mib(size_t bytes) {
  return static_cast<double>(bytes) / (1024.0 * 1024.0);
}

std::string human_bytes(double bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB"};
  int u = 0;
  while (bytes >= 1024.0 && u < 3) {
    bytes /= 1024.0;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f %s", bytes, units[u]);
  return buf;
}

}  // namespace

EngineConfig engine_config(const ServerOptions& o) {
  EngineConfig c;
  c.slots = o.slots;
  c.max_waiting = o.max_waiting;
  c.max_prompt_tokens = o.max_prompt_tokens;
  c.max_total_tokens = o.max_model_len;
  c.prefill_budget = o.prefill_budget;
  c.state_cache_bytes = static_cast<size_t>(o.state_cache_mb) << 20;
  c.threads = o.threads;
  return c;
}

LoadedModel load_model(const ServerOptions& options) {
  namespace fs = std::filesystem;
  const auto t0 = std::chrono::steady_clock::now();
  const fs::path dir = options.model;
  spdlog::info("loading model from {}", dir.string());
  int last_logged = -1;
  auto progress = [&](int done, int total) {
    const int pct = total > 0 ? done * 100 / total : 100;
    if (pct / 10 != last_logged / 10 || done == total) {
      last_logged = pct;
      spdlog::info("loading weights: {}/{} layers ({}%)", done, total, pct);
    }
  };
  LoadedModel out;
  out.model = Model::load(dir, progress);
  const ModelConfig& c = out.model->config();
  spdlog::info("architecture: {} ({} format), {} layers, d_model {}, d_state {}, vocab {}",
               c.arch == Arch::Mamba1 ? "Mamba-1" : "Mamba-2", c.format, c.n_layer, c.d_model,
               c.d_state, c.vocab_size);
  spdlog::info("dtype: {}; parameters: {:.2f} M; weights in memory: {:.1f} MiB",
               dtype_label(out.model->weight_bytes(), out.model->parameter_count()),
               out.model->parameter_count() / 1e6, mib(out.model->weight_bytes()));

  out.tokenizer = tok::load_tokenizer(dir);
  const char* tok_file = fs::exists(dir / "tokenizer.json") ? "tokenizer.json" : "tokenizer.model";
  spdlog::info("tokenizer: {} ({} tokens; bos {}, eos {})", tok_file, out.tokenizer->vocab_size(),
               out.tokenizer->bos_id() ? std::to_string(*out.tokenizer->bos_id()) : "none",
               out.tokenizer->eos_id() ? std::to_string(*out.tokenizer->eos_id()) : "none");

  out.engine = std::make_unique<Engine>(out.model, out.tokenizer, engine_config(options));
  const size_t pool = out.engine->slot_pool_bytes();
  spdlog::info("slot pool: {} slots, {} of state ({} per sequence)", options.slots,
               human_bytes(static_cast<double>(pool)),
               human_bytes(static_cast<double>(pool) / options.slots));
  spdlog::info("model ready in {:.2f} s",
               std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  return out;
}

}  // namespace mamba::server
