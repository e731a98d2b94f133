#include "engine/model/model.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "engine/kernels/conv.hpp"
#include "engine/kernels/math.hpp"
#include "engine/kernels/matmul.hpp"
#include "engine/kernels/norm.hpp"
#include "engine/kernels/scan.hpp"
#include "engine/model/errors.hpp"

namespace mamba {

// A weight matrix (out, in) in a dtype a kernel reads directly: F32 and BF16 stay as stored
// (usually memory-mapped); F16 is widened once at load.
struct Model::Linear {
  int out = 0, in = 0;
  Tensor weight;
  std::vector<float> bias;  // empty when the layer has none

  Linear() = default;
  explicit Linear(const Tensor& w, const Tensor& b = {}) : weight(w) {
    out = static_cast<int>(w.shape.at(0));
    in = static_cast<int>(w.shape.at(1));
    if (weight.dtype == DType::F16) weight = make_f32_tensor(w.shape, w.to_f32());
    if (!b.empty()) bias = b.to_f32();
  }
  // Y (T, out) = X (T, in) W^T + b
  void apply(const float* X, size_t ld_x, int T, float* Y, size_t ld_y) const {
    if (weight.dtype == DType::BF16) {
      kernels::matmul_bf16(X, ld_x, T, in, static_cast<const uint16_t*>(weight.data), out, Y, ld_y);
    } else {
      kernels::matmul_f32(X, ld_x, T, in, static_cast<const float*>(weight.data), out, Y, ld_y);
    }
    if (!bias.empty()) {
      for (int t = 0; t < T; ++t) {
        for (int o = 0; o < out; ++o) Y[t * ld_y + o] += bias[o];
      }
    }
  }
  size_t bytes() const { return weight.nbytes() + bias.size() * sizeof(float); }
};

struct Model::Layer {
  std::vector<float> norm;    // (d_model)
  Linear in_proj;             // (in_proj_rows, d_model)
  std::vector<float> conv_w;  // (d_conv, conv_channels): stored (C, K) transposed
  std::vector<float> conv_b;  // (conv_channels) or empty
  std::vector<float> A;       // -exp(A_log): Mamba-1 (d_inner, d_state); Mamba-2 (n_heads)
  std::vector<float> D;       // Mamba-1 (d_inner); Mamba-2 (d_inner), per head spread over P
  Linear out_proj;            // (d_model, d_inner)
  // Mamba-1
  Linear x_proj;   // (dt_rank + 2 d_state, d_inner)
  Linear dt_proj;  // (d_inner, dt_rank) with the dt bias
  // Mamba-2
  std::vector<float> dt_bias;     // (n_heads)
  std::vector<float> gated_norm;  // (d_inner)
};

namespace {

std::vector<float> neg_exp(const Tensor& a_log) {
  std::vector<float> a = a_log.to_f32();
  for (float& v : a) v = -std::exp(v);
  return a;
}

std::vector<float> transpose_conv(const Tensor& w, int C, int K) {
  const std::vector<float> ck = w.to_f32();  // (C, K)
  std::vector<float> kc(static_cast<size_t>(K) * C);
  for (int c = 0; c < C; ++c) {
    for (int k = 0; k < K; ++k)
      kc[static_cast<size_t>(k) * C + c] = ck[static_cast<size_t>(c) * K + k];
  }
  return kc;
}

void ensure(std::vector<float>& v, size_t n) {
  if (v.size() < n) v.resize(n);
}

// Runs fn(chunk, first row of the chunk in the step) for every chunk; chunks are independent
// sequences, so they run in parallel (a lone long chunk parallelises inside its kernels instead).
template <class Fn>
void for_each_chunk(std::span<const SeqChunk> chunks, const std::vector<size_t>& offsets, Fn fn) {
  const int n = static_cast<int>(chunks.size());
  if (n == 1) {
    // No enclosing region: an inactive one would make the kernel's own parallel loop a nested
    // region, which libgomp runs on a fresh team each time (measured 7x slower per Mamba-2 step).
    fn(chunks[0], offsets[0]);
    return;
  }
#pragma omp parallel for schedule(dynamic)
  for (int i = 0; i < n; ++i) fn(chunks[i], offsets[i]);
}

void embed_rows(const Tensor& emb, std::span<const SeqChunk> chunks, int d_model, float* out) {
  const size_t row_bytes = static_cast<size_t>(d_model) * dtype_size(emb.dtype);
  const auto* base = static_cast<const uint8_t*>(emb.data);
  for (const SeqChunk& c : chunks) {
    for (int32_t id : c.tokens) {
      const uint8_t* row = base + static_cast<size_t>(id) * row_bytes;
      if (emb.dtype == DType::F32) {
        std::memcpy(out, row, row_bytes);
      } else {
        const auto* h = reinterpret_cast<const uint16_t*>(row);
        for (int i = 0; i < d_model; ++i) {
          out[i] = emb.dtype == DType::BF16 ? bf16_to_f32(h[i]) : f16_to_f32(h[i]);
        }
      }
      out += d_model;
    }
  }
}

}  // namespace

std::unique_ptr<Model> Model::load(const std::filesystem::path& dir, const LoadProgress& progress) {
  return std::make_unique<Model>(load_weights(dir, progress));
}

Model::Model(ModelWeights w) : config_(w.config), layout_(StateLayout::for_config(w.config)) {
  const ModelConfig& c = config_;
  const int K = c.d_conv, Cc = c.conv_channels();
  auto count = [this](const Tensor& t) {
    if (!t.empty()) parameter_count_ += static_cast<size_t>(t.numel());
  };
  embedding_ = w.embedding;
  if (embedding_.dtype == DType::F16)
    embedding_ = make_f32_tensor(w.embedding.shape, w.embedding.to_f32());
  norm_f_ = w.norm_f.to_f32();
  lm_head_ = std::make_unique<Linear>(w.lm_head);
  count(w.embedding);
  count(w.norm_f);
  if (w.lm_head.data != w.embedding.data) count(w.lm_head);
  layers_.resize(c.n_layer);
  for (int l = 0; l < c.n_layer; ++l) {
    const LayerWeights& s = w.layers[l];
    Layer& L = layers_[l];
    for (const Tensor* t : {&s.norm, &s.in_proj, &s.in_proj_bias, &s.conv_weight, &s.conv_bias,
                            &s.A_log, &s.D, &s.out_proj, &s.out_proj_bias, &s.x_proj, &s.dt_proj,
                            &s.dt_proj_bias, &s.dt_bias, &s.gated_norm}) {
      count(*t);
    }
    L.norm = s.norm.to_f32();
    L.in_proj = Linear(s.in_proj, s.in_proj_bias);
    L.conv_w = transpose_conv(s.conv_weight, Cc, K);
    if (!s.conv_bias.empty()) L.conv_b = s.conv_bias.to_f32();
    L.A = neg_exp(s.A_log);
    L.out_proj = Linear(s.out_proj, s.out_proj_bias);
    if (c.arch == Arch::Mamba1) {
      L.D = s.D.to_f32();
      L.x_proj = Linear(s.x_proj);
      L.dt_proj = Linear(s.dt_proj, s.dt_proj_bias);
    } else {
      const std::vector<float> d = s.D.to_f32();
      if (static_cast<int>(d.size()) == c.d_inner) {
        L.D = d;
      } else {
        L.D.resize(c.d_inner);
        for (int i = 0; i < c.d_inner; ++i) L.D[i] = d[i / c.head_dim];
      }
      L.dt_bias = s.dt_bias.to_f32();
      L.gated_norm = s.gated_norm.to_f32();
    }
  }
}

Model::~Model() = default;

size_t Model::parameter_count() const {
  return parameter_count_;
}

size_t Model::weight_bytes() const {
  size_t b = embedding_.nbytes() + norm_f_.size() * sizeof(float);
  if (lm_head_->weight.data != embedding_.data) b += lm_head_->bytes();
  for (const Layer& L : layers_) {
    b += (L.norm.size() + L.conv_w.size() + L.conv_b.size() + L.A.size() + L.D.size() +
          L.dt_bias.size() + L.gated_norm.size()) *
         sizeof(float);
    b += L.in_proj.bytes() + L.out_proj.bytes() + L.x_proj.bytes() + L.dt_proj.bytes();
  }
  return b;
}

size_t Model::logits_rows(std::span<const SeqChunk> chunks) {
  size_t n = 0;
  for (const SeqChunk& c : chunks) {
    n += c.tokens.size() - std::min<size_t>(c.tokens.size(), std::max(0, c.logits_from));
  }
  return n;
}

void Model::forward(std::span<const SeqChunk> chunks, float* logits, ForwardScratch& s) const {
  const ModelConfig& c = config_;
  int T = 0;
  for (const SeqChunk& ch : chunks) T += static_cast<int>(ch.tokens.size());
  if (T == 0) return;
  for (const SeqChunk& ch : chunks) {
    for (int32_t id : ch.tokens) {
      if (id < 0 || id >= c.vocab_size)
        throw std::out_of_range("token id out of the model's vocabulary");
    }
  }
  s.offsets.clear();
  for (size_t i = 0, p = 0; i < chunks.size(); p += chunks[i].tokens.size(), ++i)
    s.offsets.push_back(p);
  const int Dm = c.d_model;
  ensure(s.resid, static_cast<size_t>(T) * Dm);
  ensure(s.normed, static_cast<size_t>(T) * Dm);
  embed_rows(embedding_, chunks, Dm, s.resid.data());

  for (int l = 0; l < c.n_layer; ++l) {
    const Layer& L = layers_[l];
    kernels::rmsnorm(s.resid.data(), Dm, L.norm.data(), T, Dm, c.norm_eps, s.normed.data(), Dm);
    if (c.arch == Arch::Mamba1) {
      mixer_mamba1(L, chunks, l, T, s);
    } else {
      mixer_mamba2(L, chunks, l, T, s);
    }
    // s.out holds the mixer output (T, Dm): the residual add of the pre-norm block.
    for (size_t i = 0; i < static_cast<size_t>(T) * Dm; ++i) s.resid[i] += s.out[i];
  }

  // Final norm and head only on the rows whose logits were asked for.
  const size_t rows = logits_rows(chunks);
  if (rows == 0) return;
  ensure(s.head_in, rows * Dm);
  size_t r = 0, pos = 0;
  for (const SeqChunk& ch : chunks) {
    const size_t n = ch.tokens.size();
    for (size_t i = std::min<size_t>(n, std::max(0, ch.logits_from)); i < n; ++i) {
      kernels::rmsnorm(s.resid.data() + (pos + i) * Dm, Dm, norm_f_.data(), 1, Dm, c.norm_eps,
                       s.head_in.data() + r * Dm, Dm);
      ++r;
    }
    pos += n;
  }
  lm_head_->apply(s.head_in.data(), Dm, static_cast<int>(rows), logits, c.vocab_size);
}

void Model::mixer_mamba1(const Layer& L, std::span<const SeqChunk> chunks, int layer, int T,
                         ForwardScratch& s) const {
  const ModelConfig& c = config_;
  const int Di = c.d_inner, N = c.d_state, R = c.dt_rank, K = c.d_conv;
  const int rows = 2 * Di, dbc_w = R + 2 * N;
  ensure(s.proj, static_cast<size_t>(T) * rows);
  ensure(s.conv, static_cast<size_t>(T) * Di);
  ensure(s.dbc, static_cast<size_t>(T) * dbc_w);
  ensure(s.dt, static_cast<size_t>(T) * Di);
  ensure(s.y, static_cast<size_t>(T) * Di);
  ensure(s.out, static_cast<size_t>(T) * c.d_model);

  // [x ; z] = W_in n for every token of the step at once.
  L.in_proj.apply(s.normed.data(), c.d_model, T, s.proj.data(), rows);
  for_each_chunk(chunks, s.offsets, [&](const SeqChunk& ch, size_t p) {
    kernels::causal_conv_silu(s.proj.data() + p * rows, rows, static_cast<int>(ch.tokens.size()),
                              Di, K, L.conv_w.data(), L.conv_b.empty() ? nullptr : L.conv_b.data(),
                              layout_.conv(ch.state, layer), s.conv.data() + p * Di, Di);
  });
  // [delta ; B ; C] = W_x u, then dt = softplus(W_dt delta + b_dt).
  L.x_proj.apply(s.conv.data(), Di, T, s.dbc.data(), dbc_w);
  L.dt_proj.apply(s.dbc.data(), dbc_w, T, s.dt.data(), Di);
  for (size_t i = 0; i < static_cast<size_t>(T) * Di; ++i) s.dt[i] = kernels::softplus(s.dt[i]);
  for_each_chunk(chunks, s.offsets, [&](const SeqChunk& ch, size_t p) {
    kernels::selective_scan(static_cast<int>(ch.tokens.size()), Di, N, s.conv.data() + p * Di, Di,
                            s.dt.data() + p * Di, Di, L.A.data(), s.dbc.data() + p * dbc_w + R,
                            dbc_w, s.dbc.data() + p * dbc_w + R + N, dbc_w, L.D.data(),
                            s.proj.data() + p * rows + Di, rows, layout_.ssm(ch.state, layer),
                            s.y.data() + p * Di, Di);
  });
  L.out_proj.apply(s.y.data(), Di, T, s.out.data(), c.d_model);
}

void Model::mixer_mamba2(const Layer& L, std::span<const SeqChunk> chunks, int layer, int T,
                         ForwardScratch& s) const {
  const ModelConfig& c = config_;
  const int Di = c.d_inner, N = c.d_state, G = c.n_groups, H = c.n_heads, P = c.head_dim;
  const int K = c.d_conv, Cc = c.conv_channels(), rows = c.in_proj_rows();
  ensure(s.proj, static_cast<size_t>(T) * rows);
  ensure(s.conv, static_cast<size_t>(T) * Cc);
  ensure(s.dt, static_cast<size_t>(T) * H);
  ensure(s.y, static_cast<size_t>(T) * Di);
  ensure(s.out, static_cast<size_t>(T) * c.d_model);

  // [z | xBC | dt] = W_in n
  L.in_proj.apply(s.normed.data(), c.d_model, T, s.proj.data(), rows);
  for (int t = 0; t < T; ++t) {
    const float* raw = s.proj.data() + static_cast<size_t>(t) * rows + Di + Cc;
    float* dt = s.dt.data() + static_cast<size_t>(t) * H;
    for (int h = 0; h < H; ++h) {
      dt[h] = std::clamp(kernels::softplus(raw[h] + L.dt_bias[h]), c.dt_min, c.dt_max);
    }
  }
  for_each_chunk(chunks, s.offsets, [&](const SeqChunk& ch, size_t p) {
    const int n = static_cast<int>(ch.tokens.size());
    kernels::causal_conv_silu(s.proj.data() + p * rows + Di, rows, n, Cc, K, L.conv_w.data(),
                              L.conv_b.empty() ? nullptr : L.conv_b.data(),
                              layout_.conv(ch.state, layer), s.conv.data() + p * Cc, Cc);
    const float* x = s.conv.data() + p * Cc;
    kernels::ssd_scan(n, H, P, N, G, x, Cc, s.dt.data() + p * H, H, L.A.data(), x + Di, Cc,
                      x + Di + G * N, Cc, L.D.data(), layout_.ssm(ch.state, layer),
                      s.y.data() + p * Di, Di);
  });
  kernels::gated_rmsnorm(s.y.data(), Di, s.proj.data(), rows, L.gated_norm.data(), T, Di, G,
                         c.norm_eps);
  L.out_proj.apply(s.y.data(), Di, T, s.out.data(), c.d_model);
}

}  // namespace mamba
