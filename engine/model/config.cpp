#include "engine/model/config.hpp"

#include <cmath>
#include <cstdint>
#include <fstream>
#include <sstream>

#include "engine/model/errors.hpp"
#include "engine/model/json_relaxed.hpp"

namespace mamba {
namespace {

using nlohmann::json;

// Any one dimension above this is a corrupt file, and keeping them this small keeps every derived
// size (in_proj rows, padded vocab) inside int.
constexpr int64_t kMaxDim = int64_t{1} << 24;

[[noreturn]] void fail(const std::string& origin, const std::string& problem) {
  throw ModelError(origin + ": " + problem);
}

// Typed access to one JSON object of config.json (the top level or ssm_cfg), with the field's
// full name in every error. A null value counts as absent, as Python's None does.
class Fields {
 public:
  Fields(const json& obj, std::string origin, std::string prefix)
      : obj_(obj), origin_(std::move(origin)), prefix_(std::move(prefix)) {}

  const std::string& origin() const { return origin_; }

  bool has(const char* key) const {
    auto it = obj_.find(key);
    return it != obj_.end() && !it->is_null();
  }

  const json& at(const char* key) const { return obj_.at(key); }

  [[noreturn]] void bad(const char* key, const std::string& problem) const {
    fail(origin_, "field \"" + prefix_ + key + "\" " + problem);
  }

  int dim(const char* key) const {
    if (!has(key)) bad(key, "is missing");
    return checked_dim(key);
  }
  int dim(const char* key, int def) const { return has(key) ? checked_dim(key) : def; }

  int64_t integer(const char* key, int64_t def) const {
    if (!has(key)) return def;
    const json& v = at(key);
    if (!v.is_number_integer()) bad(key, "must be an integer, got " + v.dump());
    if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
      bad(key, "is out of range: " + v.dump());
    }
    return v.get<int64_t>();
  }

  bool boolean(const char* key, bool def) const {
    if (!has(key)) return def;
    const json& v = at(key);
    if (!v.is_boolean()) bad(key, "must be true or false, got " + v.dump());
    return v.get<bool>();
  }

  double number(const char* key, double def) const {
    if (!has(key)) return def;
    double out;
    if (!json_to_double(at(key), out)) bad(key, "must be a number, got " + at(key).dump());
    return out;
  }

  std::optional<std::string> string(const char* key) const {
    if (!has(key)) return std::nullopt;
    if (!at(key).is_string()) bad(key, "must be a string, got " + at(key).dump());
    return at(key).get<std::string>();
  }

  // Absent: `def`; null: no token; otherwise a non-negative id.
  std::optional<int> token_id(const char* key, std::optional<int> def) const {
    auto it = obj_.find(key);
    if (it == obj_.end()) return def;
    if (it->is_null()) return std::nullopt;
    const int64_t v = integer(key, 0);
    if (v < 0 || v >= kMaxDim) bad(key, "must be a token id, got " + it->dump());
    return static_cast<int>(v);
  }

 private:
  int checked_dim(const char* key) const {
    const int64_t v = integer(key, 0);
    if (v <= 0 || v > kMaxDim) bad(key, "must be a positive integer, got " + at(key).dump());
    return static_cast<int>(v);
  }

  const json& obj_;
  std::string origin_;
  std::string prefix_;
};

int product_dim(const Fields& f, const char* what, int64_t a, int64_t b) {
  if (a * b > kMaxDim)
    fail(f.origin(), what + std::string(" = ") + std::to_string(a * b) + " is too large");
  return static_cast<int>(a * b);
}

// Mamba-1 dt rank: an integer, or "auto" = ceil(d_model / 16).
int dt_rank_field(const Fields& f, const char* key, int d_model) {
  if (!f.has(key)) return (d_model + 15) / 16;
  if (f.at(key).is_string()) {
    if (f.at(key).get<std::string>() != "auto") {
      f.bad(key, "must be an integer or \"auto\", got " + f.at(key).dump());
    }
    return (d_model + 15) / 16;
  }
  return f.dim(key);
}

void dt_limit_field(const Fields& f, const char* key, ModelConfig& c) {
  if (!f.has(key)) return;  // default (0, inf): no clamp
  const json& v = f.at(key);
  double lo, hi;
  if (!v.is_array() || v.size() != 2 || !json_to_double(v[0], lo) || !json_to_double(v[1], hi)) {
    f.bad(key, "must be a pair [low, high] of numbers, got " + v.dump());
  }
  if (std::isnan(lo) || std::isnan(hi) || lo < 0 || lo > hi) {
    f.bad(key, "must satisfy 0 <= low <= high, got " + v.dump());
  }
  c.dt_min = static_cast<float>(lo);
  c.dt_max = static_cast<float>(hi);
}

void check_activation(const Fields& f) {
  if (auto act = f.string("hidden_act"); act && *act != "silu") {
    fail(f.origin(), "unsupported: hidden_act \"" + *act + "\" (only \"silu\")");
  }
}

float norm_eps_field(const Fields& f, const char* key) {
  const double eps = f.number(key, 1e-5);
  if (!(eps > 0) || !std::isfinite(eps)) f.bad(key, "must be a positive number");
  return static_cast<float>(eps);
}

void set_heads(const Fields& f, ModelConfig& c, int d_inner, const char* head_key) {
  if (d_inner % c.head_dim != 0) {
    fail(f.origin(), "inner width " + std::to_string(d_inner) + " is not a multiple of " +
                         head_key + " " + std::to_string(c.head_dim));
  }
  c.n_heads = d_inner / c.head_dim;
  c.d_inner = d_inner;
  if (c.n_heads % c.n_groups != 0) {
    fail(f.origin(), "heads " + std::to_string(c.n_heads) + " are not a multiple of groups " +
                         std::to_string(c.n_groups));
  }
}

ModelConfig parse_hf_mamba1(const Fields& f) {
  ModelConfig c;
  c.arch = Arch::Mamba1;
  c.format = "hf";
  c.d_model = f.dim("hidden_size");
  c.n_layer = f.dim("num_hidden_layers");
  c.vocab_size = f.dim("vocab_size");
  c.d_state = f.dim("state_size", 16);
  c.d_conv = f.dim("conv_kernel", 4);
  const int expand = f.dim("expand", 2);
  c.d_inner = f.has("intermediate_size")
                  ? f.dim("intermediate_size")
                  : product_dim(f, "expand * hidden_size", expand, c.d_model);
  c.dt_rank = dt_rank_field(f, "time_step_rank", c.d_model);
  c.use_conv_bias = f.boolean("use_conv_bias", true);
  // MambaConfig's class default is use_bias=True while every published file says false.
  c.use_bias_defaulted = !f.has("use_bias");
  c.use_bias = f.boolean("use_bias", true);
  c.norm_eps = norm_eps_field(f, "layer_norm_epsilon");
  c.tie_embeddings = f.boolean("tie_word_embeddings", true);
  c.bos_token_id = f.token_id("bos_token_id", 0);
  c.eos_token_id = f.token_id("eos_token_id", 0);
  c.pad_token_id = f.token_id("pad_token_id", 0);
  check_activation(f);
  return c;
}

ModelConfig parse_hf_mamba2(const Fields& f) {
  ModelConfig c;
  c.arch = Arch::Mamba2;
  c.format = "hf";
  c.d_model = f.dim("hidden_size");
  c.n_layer = f.dim("num_hidden_layers");
  c.vocab_size = f.dim("vocab_size");
  c.d_state = f.dim("state_size", 128);
  c.d_conv = f.dim("conv_kernel", 4);
  c.head_dim = f.dim("head_dim", 64);
  // Mamba2Config's own class defaults (n_groups 8, num_heads 128) describe Codestral; missing
  // fields here take the published state-spaces values, and the tensor shapes catch a mismatch.
  c.n_groups = f.dim("n_groups", 1);
  const int expand = f.dim("expand", 2);
  set_heads(f, c, product_dim(f, "expand * hidden_size", expand, c.d_model), "head_dim");
  if (f.has("num_heads") && f.dim("num_heads") != c.n_heads) {
    f.bad("num_heads", "is " + std::to_string(f.dim("num_heads")) +
                           " but expand * hidden_size / head_dim = " + std::to_string(c.n_heads));
  }
  dt_limit_field(f, "time_step_limit", c);
  c.use_bias = f.boolean("use_bias", false);
  c.use_conv_bias = f.boolean("use_conv_bias", true);
  c.norm_eps = norm_eps_field(f, "layer_norm_epsilon");
  c.tie_embeddings = f.boolean("tie_word_embeddings", false);
  if (!f.boolean("rms_norm", true)) {
    fail(f.origin(), "unsupported: rms_norm false (Mamba-2 without the gated RMSNorm)");
  }
  // Mamba2Config's token defaults (pad 1, eos 2) are Codestral's; leave absent ids to the
  // tokenizer rather than guess.
  c.bos_token_id = f.token_id("bos_token_id", std::nullopt);
  c.eos_token_id = f.token_id("eos_token_id", std::nullopt);
  c.pad_token_id = f.token_id("pad_token_id", std::nullopt);
  check_activation(f);
  return c;
}

ModelConfig parse_state_spaces(const Fields& f, const json& root) {
  ModelConfig c;
  c.format = "state-spaces";
  c.d_model = f.dim("d_model");
  c.n_layer = f.dim("n_layer");
  c.unpadded_vocab_size = f.dim("vocab_size");
  const int multiple = f.dim("pad_vocab_size_multiple", 8);
  const int64_t padded =
      (int64_t{c.unpadded_vocab_size} + multiple - 1) / multiple * int64_t{multiple};
  if (padded > kMaxDim)
    f.bad("vocab_size", "padded to " + std::to_string(padded) + " is too large");
  c.vocab_size = static_cast<int>(padded);
  c.tie_embeddings = f.boolean("tie_embeddings", true);

  if (const int64_t d_mlp = f.integer("d_intermediate", 0); d_mlp != 0) {
    fail(f.origin(), "unsupported: d_intermediate = " + std::to_string(d_mlp) +
                         " (MLP blocks after each mixer); only 0 is supported");
  }
  if (f.has("attn_layer_idx")) {
    const json& a = f.at("attn_layer_idx");
    if (!a.is_array()) f.bad("attn_layer_idx", "must be a list, got " + a.dump());
    if (!a.empty()) {
      fail(f.origin(), "unsupported: attn_layer_idx " + a.dump() +
                           " (attention layers); only pure Mamba models are supported");
    }
  }
  if (!f.boolean("rms_norm", true)) {
    fail(f.origin(), "unsupported: rms_norm false (LayerNorm blocks)");
  }

  static const json kEmpty = json::object();
  const json* ssm = &kEmpty;
  if (f.has("ssm_cfg")) {
    ssm = &root.at("ssm_cfg");
    if (!ssm->is_object()) f.bad("ssm_cfg", "must be an object, got " + ssm->dump());
  }
  const Fields s(*ssm, f.origin(), "ssm_cfg.");
  const std::string layer = s.string("layer").value_or("Mamba1");
  const int d_model = c.d_model;
  if (layer == "Mamba1") {
    c.arch = Arch::Mamba1;
    c.d_state = s.dim("d_state", 16);
    c.d_conv = s.dim("d_conv", 4);
    c.d_inner = product_dim(s, "expand * d_model", s.dim("expand", 2), d_model);
    c.dt_rank = dt_rank_field(s, "dt_rank", d_model);
    c.use_conv_bias = s.boolean("conv_bias", true);
    c.use_bias = s.boolean("bias", false);
  } else if (layer == "Mamba2") {
    c.arch = Arch::Mamba2;
    c.d_state = s.dim("d_state", 128);
    c.d_conv = s.dim("d_conv", 4);
    c.head_dim = s.dim("headdim", 64);
    c.n_groups = s.dim("ngroups", 1);
    const int d_inner = product_dim(s, "expand * d_model", s.dim("expand", 2), d_model);
    if (s.has("d_ssm") && s.dim("d_ssm") != d_inner) {
      fail(f.origin(), "unsupported: ssm_cfg.d_ssm " + std::to_string(s.dim("d_ssm")) +
                           " differs from expand * d_model " + std::to_string(d_inner) +
                           " (Mamba-2 with a gated MLP part)");
    }
    set_heads(s, c, d_inner, "ssm_cfg.headdim");
    if (!s.boolean("rmsnorm", true)) {
      fail(f.origin(), "unsupported: ssm_cfg.rmsnorm false (no gated RMSNorm)");
    }
    if (s.boolean("norm_before_gate", false)) {
      fail(f.origin(), "unsupported: ssm_cfg.norm_before_gate true");
    }
    s.boolean("D_has_hdim", false);  // type check only: the stored D's shape says which it is
    dt_limit_field(s, "dt_limit", c);
    c.use_conv_bias = s.boolean("conv_bias", true);
    c.use_bias = s.boolean("bias", false);
  } else {
    fail(f.origin(), "unsupported: ssm_cfg.layer \"" + layer + "\" (Mamba1 or Mamba2)");
  }
  return c;
}

}  // namespace

ModelConfig parse_config(const std::string& text, const std::string& origin) {
  const json root = parse_relaxed_json(text, origin);
  if (!root.is_object()) fail(origin, "config is not a JSON object");
  const Fields f(root, origin, "");

  // The HF class names, when present, must agree with model_type.
  std::optional<Arch> from_class;
  std::string classes;
  if (f.has("architectures")) {
    const json& a = f.at("architectures");
    if (!a.is_array()) f.bad("architectures", "must be a list, got " + a.dump());
    classes = a.dump();
    for (const auto& name : a) {
      if (name == "MambaForCausalLM") from_class = Arch::Mamba1;
      if (name == "Mamba2ForCausalLM") from_class = Arch::Mamba2;
    }
  }

  ModelConfig c;
  if (const auto type = f.string("model_type")) {
    if (*type == "mamba") {
      c = parse_hf_mamba1(f);
    } else if (*type == "mamba2") {
      c = parse_hf_mamba2(f);
    } else if (*type == "falcon_mamba") {
      fail(origin, "unsupported architecture: model_type \"falcon_mamba\" (FalconMamba)");
    } else {
      fail(origin,
           "unknown architecture: model_type \"" + *type + "\" (supported: \"mamba\", \"mamba2\")");
    }
    if (from_class && *from_class != c.arch) {
      fail(origin, "model_type \"" + *type + "\" contradicts architectures " + classes);
    }
  } else if (from_class) {
    c = *from_class == Arch::Mamba1 ? parse_hf_mamba1(f) : parse_hf_mamba2(f);
  } else if (f.has("d_model")) {
    c = parse_state_spaces(f, root);
  } else if (!classes.empty()) {
    fail(origin, "unknown architecture: architectures " + classes +
                     " (supported: MambaForCausalLM, Mamba2ForCausalLM)");
  } else {
    fail(origin,
         "unknown architecture: no model_type, architectures or d_model field (not a Mamba "
         "config.json?)");
  }

  // in_proj rows, the largest derived count, must still fit an int.
  const int64_t rows = c.arch == Arch::Mamba1 ? 2 * int64_t{c.d_inner}
                                              : 2 * int64_t{c.d_inner} +
                                                    2 * int64_t{c.n_groups} * c.d_state + c.n_heads;
  if (rows > kMaxDim)
    fail(origin, "model dimensions are too large (in_proj rows " + std::to_string(rows) + ")");
  return c;
}

ModelConfig load_config(const std::filesystem::path& config_json) {
  std::ifstream in(config_json, std::ios::binary);
  if (!in) throw ModelError(config_json.string() + ": cannot open config.json");
  std::ostringstream s;
  s << in.rdbuf();
  return parse_config(s.str(), config_json.string());
}

}  // namespace mamba
