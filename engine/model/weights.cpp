#include "engine/model/weights.hpp"

#include <cstdlib>
#include <set>
#include <sstream>

#include "engine/model/checkpoint.hpp"
#include "engine/model/errors.hpp"

namespace mamba {
namespace {

namespace fs = std::filesystem;

std::string shape_str(const std::vector<int64_t>& shape) {
  std::ostringstream s;
  s << '[';
  for (size_t i = 0; i < shape.size(); ++i) s << (i ? ", " : "") << shape[i];
  s << ']';
  return s.str();
}

bool starts_with(const std::string& s, const std::string& p) {
  return s.rfind(p, 0) == 0;
}

// Looks tensors up under the checkpoint's naming scheme and remembers which ones were used.
class Names {
 public:
  Names(const Checkpoint& ck, fs::path dir) : ck_(ck), dir_(std::move(dir)) {
    // Some exports (Codestral) put everything under "model."; HF strips it when converting.
    bool plain = false, prefixed = false;
    for (const auto& n : ck.names()) {
      plain |= starts_with(n, "backbone.");
      prefixed |= starts_with(n, "model.backbone.");
    }
    prefix_ = (!plain && prefixed) ? "model." : "";
  }

  const std::string& prefix() const { return prefix_; }

  const Tensor* find(const std::string& key) {
    const Tensor* t = ck_.find(prefix_ + key);
    if (t) used_.insert(prefix_ + key);
    return t;
  }

  Tensor require(const std::string& key) {
    if (const Tensor* t = find(key)) return *t;
    throw ModelError("missing tensor " + prefix_ + key + " in " + dir_.string());
  }

  bool has(const std::string& key) const { return ck_.find(prefix_ + key) != nullptr; }

  std::vector<std::string> unused() const {
    std::vector<std::string> out;
    for (const auto& n : ck_.names())
      if (!used_.count(n)) out.push_back(n);
    return out;
  }

 private:
  const Checkpoint& ck_;
  fs::path dir_;
  std::string prefix_;
  std::set<std::string> used_;
};

void expect_shape(const Tensor& t, const std::string& name, const std::vector<int64_t>& want) {
  if (t.shape != want) {
    throw ModelError(t.source + ": tensor " + name + " has shape " + shape_str(t.shape) +
                     ", expected " + shape_str(want) + " from config.json");
  }
}

// conv1d.weight is stored (C, 1, K) by PyTorch's depthwise Conv1d; the kernels want (C, K). The
// squeeze only relabels the shape, the bytes are shared.
Tensor conv_weight(Names& names, const std::string& key, int64_t channels, int64_t k) {
  Tensor t = names.require(key);
  if (t.shape == std::vector<int64_t>{channels, 1, k}) {
    t.shape = {channels, k};
  } else if (t.shape != std::vector<int64_t>{channels, k}) {
    expect_shape(t, names.prefix() + key, {channels, 1, k});
  }
  return t;
}

Tensor shaped(Names& names, const std::string& key, const std::vector<int64_t>& want) {
  Tensor t = names.require(key);
  expect_shape(t, names.prefix() + key, want);
  return t;
}

// Refuses a config/checkpoint pair of different Mamba versions with one clear message, instead
// of a "missing tensor" for the first name that differs.
void check_version(Names& names, const ModelConfig& c, const fs::path& dir) {
  const std::string l0 = "backbone.layers.0.mixer.";
  const bool m2 = names.has(l0 + "dt_bias") && !names.has(l0 + "x_proj.weight");
  const bool m1 = names.has(l0 + "x_proj.weight") && !names.has(l0 + "dt_bias");
  if (c.arch == Arch::Mamba1 && m2) {
    throw ModelError(dir.string() +
                     ": config.json describes Mamba-1 but the checkpoint holds Mamba-2 tensors");
  }
  if (c.arch == Arch::Mamba2 && m1) {
    throw ModelError(dir.string() +
                     ": config.json describes Mamba-2 but the checkpoint holds Mamba-1 tensors");
  }
}

// A checkpoint with more blocks than n_layer would otherwise load as a silently truncated model.
void check_layer_count(const Checkpoint& ck, const std::string& prefix, int n_layer,
                       const fs::path& dir) {
  const std::string layers = prefix + "backbone.layers.";
  for (const auto& n : ck.names()) {
    if (!starts_with(n, layers)) continue;
    const long idx = std::strtol(n.c_str() + layers.size(), nullptr, 10);
    if (idx >= n_layer) {
      throw ModelError(dir.string() + ": checkpoint has tensor " + n + " but config.json has " +
                       std::to_string(n_layer) + " layers");
    }
  }
}

LayerWeights load_layer(Names& names, const ModelConfig& c, int i) {
  const int64_t Dm = c.d_model, Di = c.d_inner, N = c.d_state, K = c.d_conv;
  const int64_t rows = c.in_proj_rows(), Cc = c.conv_channels();
  const std::string p = "backbone.layers." + std::to_string(i) + ".";
  const std::string m = p + "mixer.";
  LayerWeights l;
  l.norm = shaped(names, p + "norm.weight", {Dm});
  l.in_proj = shaped(names, m + "in_proj.weight", {rows, Dm});
  l.conv_weight = conv_weight(names, m + "conv1d.weight", Cc, K);
  if (c.use_conv_bias) l.conv_bias = shaped(names, m + "conv1d.bias", {Cc});
  l.out_proj = shaped(names, m + "out_proj.weight", {Dm, Di});
  if (c.use_bias) {
    l.in_proj_bias = shaped(names, m + "in_proj.bias", {rows});
    l.out_proj_bias = shaped(names, m + "out_proj.bias", {Dm});
  }
  if (c.arch == Arch::Mamba1) {
    const int64_t R = c.dt_rank;
    l.x_proj = shaped(names, m + "x_proj.weight", {R + 2 * N, Di});
    l.dt_proj = shaped(names, m + "dt_proj.weight", {Di, R});
    l.dt_proj_bias = shaped(names, m + "dt_proj.bias", {Di});
    l.A_log = shaped(names, m + "A_log", {Di, N});
    l.D = shaped(names, m + "D", {Di});
  } else {
    const int64_t H = c.n_heads;
    l.dt_bias = shaped(names, m + "dt_bias", {H});
    l.A_log = shaped(names, m + "A_log", {H});
    // D is per head, or per channel for models built with D_has_hdim=True.
    l.D = names.require(m + "D");
    if (l.D.shape != std::vector<int64_t>{Di}) expect_shape(l.D, names.prefix() + m + "D", {H});
    l.gated_norm = shaped(names, m + "norm.weight", {Di});
  }
  return l;
}

}  // namespace

ModelWeights load_weights(const fs::path& model_dir, const LoadProgress& progress) {
  const fs::path config_path = model_dir / "config.json";
  std::error_code ec;
  if (!fs::is_directory(model_dir, ec)) {
    throw ModelError(model_dir.string() + ": not a model directory");
  }
  if (!fs::is_regular_file(config_path, ec)) {
    throw ModelError(model_dir.string() + ": missing config.json");
  }
  ModelWeights w;
  w.config = load_config(config_path);
  ModelConfig& c = w.config;
  const Checkpoint ck = Checkpoint::open(model_dir);
  Names names(ck, model_dir);
  check_version(names, c, model_dir);
  check_layer_count(ck, names.prefix(), c.n_layer, model_dir);

  // HF names the embedding "embeddings", mamba_ssm "embedding".
  const std::string emb_key = names.has("backbone.embeddings.weight") ? "backbone.embeddings.weight"
                                                                      : "backbone.embedding.weight";
  if (!names.has(emb_key)) {
    throw ModelError("missing tensor " + names.prefix() + "backbone.embeddings.weight (or " +
                     names.prefix() + "backbone.embedding.weight) in " + model_dir.string());
  }
  w.embedding = names.require(emb_key);
  // Vocabulary rows: the config gives a padded count, but a checkpoint padded to a larger multiple
  // than the config records (e.g. 16 where pad_vocab_size_multiple says 8) is still consistent:
  // the embedding is trusted when it has at least the config's rows, vocab_size becomes its row
  // count, and the lm_head must then match it. Fewer rows than the config's vocabulary would
  // leave token ids without an embedding: an error.
  const auto& es = w.embedding.shape;
  if (es.size() != 2 || es[1] != c.d_model || es[0] < c.vocab_size) {
    expect_shape(w.embedding, names.prefix() + emb_key, {c.vocab_size, c.d_model});
  }
  if (es[0] > c.vocab_size) {
    if (c.unpadded_vocab_size == 0) c.unpadded_vocab_size = c.vocab_size;
    c.vocab_size = static_cast<int>(es[0]);
  }

  w.norm_f = shaped(names, "backbone.norm_f.weight", {c.d_model});

  // The head is lm_head.weight when stored, else the embedding: an absent head means tied,
  // whatever tie_word_embeddings says (HF drops the tied copy when saving).
  const Tensor* head = names.find("lm_head.weight");
  if (!head && !names.prefix().empty()) head = ck.find("lm_head.weight");
  if (head) {
    expect_shape(*head, "lm_head.weight", {c.vocab_size, c.d_model});
    w.lm_head = *head;
    c.tie_embeddings = head->data == w.embedding.data;
  } else {
    w.lm_head = w.embedding;
    c.tie_embeddings = true;
  }

  if (c.use_bias_defaulted) {
    c.use_bias = names.has("backbone.layers.0.mixer.in_proj.bias");
  }

  w.layers.reserve(c.n_layer);
  for (int i = 0; i < c.n_layer; ++i) {
    w.layers.push_back(load_layer(names, c, i));
    if (progress) progress(i + 1, c.n_layer);
  }
  w.stored_bytes = ck.total_bytes();
  w.unused_tensors = names.unused();
  if (head && !names.prefix().empty()) {
    std::erase(w.unused_tensors, std::string("lm_head.weight"));
  }
  return w;
}

}  // namespace mamba
