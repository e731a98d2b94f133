#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "engine/model/checkpoint.hpp"
#include "engine/model/errors.hpp"
#include "engine/model/safetensors.hpp"
#include "engine/model/tensor.hpp"
#include "engine/model/weights.hpp"
#include "safetensors_writer.hpp"

namespace mamba {
namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::safetensors_bytes;
using testing::SafetensorsWriter;
using testing::TempDir;
using testing::write_file;

template <typename Fn>
std::string model_error(Fn&& fn) {
  try {
    fn();
  } catch (const ModelError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no ModelError thrown";
  return "";
}

// ---------------------------------------------------------------- tensor helpers

TEST(LoaderTensor, DtypeNamesAndSizes) {
  EXPECT_STREQ(dtype_name(DType::F32), "F32");
  EXPECT_STREQ(dtype_name(DType::F16), "F16");
  EXPECT_STREQ(dtype_name(DType::BF16), "BF16");
  EXPECT_EQ(dtype_size(DType::F32), 4u);
  EXPECT_EQ(dtype_size(DType::F16), 2u);
  EXPECT_EQ(dtype_size(DType::BF16), 2u);
}

TEST(LoaderTensor, F16ConversionCoversEveryClass) {
  EXPECT_EQ(f16_to_f32(0x3c00), 1.0f);
  EXPECT_EQ(f16_to_f32(0xc000), -2.0f);
  EXPECT_EQ(f16_to_f32(0x7bff), 65504.0f);
  EXPECT_EQ(f16_to_f32(0x3555), 0.333251953125f);
  EXPECT_EQ(f16_to_f32(0x0400), std::ldexp(1.0f, -14));  // smallest normal
  EXPECT_EQ(f16_to_f32(0x0001), std::ldexp(1.0f, -24));  // smallest subnormal
  EXPECT_EQ(f16_to_f32(0x03ff), std::ldexp(1023.0f, -24));
  EXPECT_EQ(f16_to_f32(0x8001), -std::ldexp(1.0f, -24));
  EXPECT_EQ(f16_to_f32(0x0000), 0.0f);
  EXPECT_TRUE(std::signbit(f16_to_f32(0x8000)));
  EXPECT_EQ(f16_to_f32(0x7c00), std::numeric_limits<float>::infinity());
  EXPECT_EQ(f16_to_f32(0xfc00), -std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(f16_to_f32(0x7e00)));
  EXPECT_TRUE(std::isnan(f16_to_f32(0x7c01)));
}

TEST(LoaderTensor, Bf16RoundsToNearestEven) {
  EXPECT_EQ(bf16_to_f32(0x3f80), 1.0f);
  EXPECT_EQ(f32_to_bf16(1.0f), 0x3f80);
  // 1 + 2^-8 is halfway between 1 and 1 + 2^-7: ties go to the even mantissa (1.0).
  EXPECT_EQ(f32_to_bf16(1.0f + std::ldexp(1.0f, -8)), 0x3f80);
  // 1 + 3 * 2^-8 is halfway between 1 + 2^-7 (odd) and 1 + 2^-6: rounds up to even.
  EXPECT_EQ(f32_to_bf16(1.0f + 3 * std::ldexp(1.0f, -8)), 0x3f82);
  // Just above a half rounds up.
  EXPECT_EQ(f32_to_bf16(1.0f + std::ldexp(1.0f, -8) + std::ldexp(1.0f, -20)), 0x3f81);
  EXPECT_EQ(f32_to_bf16(-2.5f), 0xc020);
  EXPECT_EQ(f32_to_bf16(std::numeric_limits<float>::infinity()), 0x7f80);
  // The largest float rounds to infinity, as IEEE rounding does.
  EXPECT_EQ(f32_to_bf16(std::numeric_limits<float>::max()), 0x7f80);
  const uint16_t nan = f32_to_bf16(std::numeric_limits<float>::quiet_NaN());
  EXPECT_TRUE(std::isnan(bf16_to_f32(nan)));
  // A NaN whose payload sits only in the low bits must not become infinity.
  uint32_t bits = 0x7f800001u;
  float snan;
  std::memcpy(&snan, &bits, 4);
  EXPECT_TRUE(std::isnan(bf16_to_f32(f32_to_bf16(snan))));
}

TEST(LoaderTensor, MakeF32TensorOwnsItsValues) {
  Tensor t = make_f32_tensor({2, 3}, {1, 2, 3, 4, 5, 6});
  EXPECT_EQ(t.dtype, DType::F32);
  EXPECT_EQ(t.numel(), 6);
  EXPECT_EQ(t.nbytes(), 24u);
  EXPECT_FALSE(t.empty());
  EXPECT_EQ(static_cast<const float*>(t.data)[4], 5.0f);
  EXPECT_THAT(t.to_f32(), ElementsAre(1, 2, 3, 4, 5, 6));
  Tensor scalar = make_f32_tensor({}, {7});
  EXPECT_EQ(scalar.numel(), 1);
  EXPECT_THROW(make_f32_tensor({2, 2}, {1, 2, 3}), std::invalid_argument);
  EXPECT_EQ(Tensor{}.numel(), 0);
  EXPECT_TRUE(Tensor{}.to_f32().empty());
}

// ---------------------------------------------------------------- safetensors files

class SafetensorsFile : public ::testing::Test {
 protected:
  fs::path file(const std::string& name = "model.safetensors") { return dir_.path() / name; }
  std::string read_error(const std::string& bytes) {
    write_file(file(), bytes);
    return model_error([&] { read_safetensors(file()); });
  }
  TempDir dir_;
};

TEST_F(SafetensorsFile, RoundTripsEachDtype) {
  const std::vector<float> v = {0.5f, -1.25f, 3.0f, 0.0f, -0.015625f, 96.0f};
  const std::vector<uint16_t> half_specials = {0x0001, 0x7c00, 0xfc00, 0x3c00};
  SafetensorsWriter w;
  w.add_f32("f32", {2, 3}, v).add_bf16("bf16", {3, 2}, v).add_f16("f16", {6}, v);
  w.add_u16("f16_specials", "F16", {4}, half_specials);
  w.add_f32("scalar", {}, {42.0f}).add_f32("empty", {0, 4}, {});
  w.write(file());

  const auto t = read_safetensors(file());
  ASSERT_EQ(t.size(), 6u);
  EXPECT_EQ(t.at("f32").dtype, DType::F32);
  EXPECT_THAT(t.at("f32").shape, ElementsAre(2, 3));
  EXPECT_EQ(t.at("f32").to_f32(), v);
  EXPECT_EQ(t.at("bf16").dtype, DType::BF16);
  EXPECT_THAT(t.at("bf16").shape, ElementsAre(3, 2));
  EXPECT_EQ(t.at("bf16").to_f32(), v);
  EXPECT_EQ(t.at("f16").dtype, DType::F16);
  EXPECT_EQ(t.at("f16").to_f32(), v);
  const auto sp = t.at("f16_specials").to_f32();
  EXPECT_EQ(sp[0], std::ldexp(1.0f, -24));
  EXPECT_TRUE(std::isinf(sp[1]) && sp[1] > 0);
  EXPECT_TRUE(std::isinf(sp[2]) && sp[2] < 0);
  EXPECT_EQ(sp[3], 1.0f);
  EXPECT_TRUE(t.at("scalar").shape.empty());
  EXPECT_EQ(t.at("scalar").numel(), 1);
  EXPECT_EQ(t.at("scalar").to_f32()[0], 42.0f);
  EXPECT_EQ(t.at("empty").numel(), 0);
  EXPECT_EQ(t.at("empty").source, file().string());
  // Zero copy: tensors point into the mapping, which they keep alive.
  EXPECT_EQ(t.at("f32").owner, t.at("bf16").owner);
}

TEST_F(SafetensorsFile, MappingOutlivesTheMap) {
  SafetensorsWriter().add_f32("w", {3}, {1, 2, 3}).write(file());
  Tensor kept;
  {
    auto t = read_safetensors(file());
    kept = t.at("w");
  }
  fs::remove(file());  // the mapping, not the file, keeps the bytes
  EXPECT_THAT(kept.to_f32(), ElementsAre(1, 2, 3));
}

TEST_F(SafetensorsFile, UnpaddedHeaderStillGivesAlignedTensors) {
  SafetensorsWriter w;
  w.add_f32("w", {2}, {1.5f, -2.0f});
  std::string header = w.header().dump();
  if ((8 + header.size()) % 4 == 0) header += " ";  // make the data start misaligned
  write_file(file(), safetensors_bytes(header, w.data()));
  const auto t = read_safetensors(file());
  EXPECT_EQ(reinterpret_cast<uintptr_t>(t.at("w").data) % 4, 0u);
  EXPECT_THAT(t.at("w").to_f32(), ElementsAre(1.5f, -2.0f));
}

TEST_F(SafetensorsFile, ErrorTruncatedBeforeHeaderLength) {
  EXPECT_THAT(read_error("abc"),
              AllOf(HasSubstr(file().string()), HasSubstr("truncated"), HasSubstr("3 bytes")));
  EXPECT_THAT(read_error(""), HasSubstr("truncated"));
}

TEST_F(SafetensorsFile, ErrorHeaderLengthPastEndOfFile) {
  EXPECT_THAT(read_error(safetensors_bytes("{}", "", 5000)),
              AllOf(HasSubstr(file().string()), HasSubstr("header length 5000"),
                    HasSubstr("past the end of the file")));
}

TEST_F(SafetensorsFile, ErrorHeaderLengthInsane) {
  EXPECT_THAT(read_error(safetensors_bytes("{}", "", 1ull << 40)), HasSubstr("100 MB"));
  EXPECT_THAT(read_error(safetensors_bytes("{}", "", ~0ull)), HasSubstr("100 MB"));
}

TEST_F(SafetensorsFile, ErrorBadHeaderJson) {
  EXPECT_THAT(read_error(safetensors_bytes(R"({"w": {"dtype": "F32", )", "")),
              AllOf(HasSubstr(file().string()), HasSubstr("invalid header JSON")));
  EXPECT_THAT(read_error(safetensors_bytes("[1, 2]", "")), HasSubstr("not a JSON object"));
  EXPECT_THAT(read_error(safetensors_bytes(R"({"w": 3})", "")),
              AllOf(HasSubstr("'w'"), HasSubstr("not a JSON object")));
  EXPECT_THAT(read_error(safetensors_bytes(R"({"__metadata__": 3})", "")),
              HasSubstr("__metadata__"));
}

TEST_F(SafetensorsFile, ErrorOffsetsOutOfRange) {
  const std::string data(16, '\0');
  EXPECT_THAT(read_error(safetensors_bytes(
                  R"({"w": {"dtype": "F32", "shape": [4], "data_offsets": [16, 32]}})", data)),
              AllOf(HasSubstr("tensor 'w'"), HasSubstr("[16,32]"), HasSubstr("past the end")));
  EXPECT_THAT(read_error(safetensors_bytes(
                  R"({"w": {"dtype": "F32", "shape": [0], "data_offsets": [8, 4]}})", data)),
              HasSubstr("begin > end"));
  EXPECT_THAT(read_error(safetensors_bytes(
                  R"({"w": {"dtype": "F32", "shape": [4], "data_offsets": [-4, 12]}})", data)),
              HasSubstr("data_offsets"));
  EXPECT_THAT(read_error(safetensors_bytes(R"({"w": {"dtype": "F32", "shape": [4]}})", data)),
              HasSubstr("data_offsets"));
}

TEST_F(SafetensorsFile, ErrorTruncatedData) {
  SafetensorsWriter w;
  w.add_f32("a", {4}, {1, 2, 3, 4}).add_f32("b", {4}, {5, 6, 7, 8});
  std::string bytes = w.bytes();
  bytes.resize(bytes.size() - 5);  // a file cut short while copying
  EXPECT_THAT(read_error(bytes), AllOf(HasSubstr(file().string()), HasSubstr("tensor 'b'"),
                                       HasSubstr("truncated file?")));
}

TEST_F(SafetensorsFile, ErrorSizeDoesNotMatchShape) {
  const std::string data(32, '\0');
  EXPECT_THAT(read_error(safetensors_bytes(
                  R"({"w": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 16]}})", data)),
              AllOf(HasSubstr("tensor 'w'"), HasSubstr("hold 16 bytes"), HasSubstr("[2, 3]"),
                    HasSubstr("needs 24")));
  EXPECT_THAT(read_error(safetensors_bytes(
                  R"({"w": {"dtype": "BF16", "shape": [4], "data_offsets": [0, 16]}})", data)),
              HasSubstr("needs 8"));
  EXPECT_THAT(
      read_error(safetensors_bytes(
          R"({"w": {"dtype": "F32", "shape": [4294967296, 4294967296], "data_offsets": [0, 16]}})",
          data)),
      HasSubstr("overflows"));
  EXPECT_THAT(read_error(safetensors_bytes(
                  R"({"w": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}})", data)),
              HasSubstr("non-negative integers"));
  EXPECT_THAT(read_error(safetensors_bytes(
                  R"({"w": {"dtype": "F32", "shape": [1.5], "data_offsets": [0, 4]}})", data)),
              HasSubstr("non-negative integers"));
}

TEST_F(SafetensorsFile, ErrorOverlappingRanges) {
  const std::string data(32, '\0');
  EXPECT_THAT(
      read_error(safetensors_bytes(R"({
      "a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]},
      "b": {"dtype": "F32", "shape": [4], "data_offsets": [8, 24]}})",
                                   data)),
      AllOf(HasSubstr(file().string()), HasSubstr("overlap"), HasSubstr("'a'"), HasSubstr("'b'")));
  // Identical ranges (aliasing, as torch.save would do for tied weights) are overlaps too.
  EXPECT_THAT(read_error(safetensors_bytes(R"({
      "a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]},
      "b": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}})",
                                           data)),
              HasSubstr("overlap"));
  // Empty tensors take no bytes and may sit anywhere.
  write_file(file(), safetensors_bytes(R"({
      "a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]},
      "e": {"dtype": "F32", "shape": [0], "data_offsets": [8, 8]}})",
                                       data));
  EXPECT_EQ(read_safetensors(file()).size(), 2u);
}

TEST_F(SafetensorsFile, ErrorUnknownOrUnsupportedDtype) {
  const std::string data(8, '\0');
  EXPECT_THAT(read_error(safetensors_bytes(
                  R"({"w": {"dtype": "Q4_K", "shape": [2], "data_offsets": [0, 8]}})", data)),
              AllOf(HasSubstr(file().string()), HasSubstr("tensor 'w'"),
                    HasSubstr("unknown dtype 'Q4_K'")));
  EXPECT_THAT(read_error(safetensors_bytes(
                  R"({"ids": {"dtype": "I64", "shape": [1], "data_offsets": [0, 8]}})", data)),
              AllOf(HasSubstr("tensor 'ids'"), HasSubstr("I64"), HasSubstr("not supported")));
}

// Every single-byte corruption of the length and header, and every truncation, either still
// parses or is a ModelError: never another exception or a crash.
TEST_F(SafetensorsFile, CorruptionIsAnErrorNotACrash) {
  SafetensorsWriter w;
  w.add_f32("a", {2, 3}, {1, 2, 3, 4, 5, 6}).add_bf16("b", {4}, {1, 2, 3, 4});
  const std::string good = w.bytes();
  const size_t header_end = 8 + w.header().dump().size();
  int errors = 0, parsed = 0;
  auto attempt = [&](const std::string& bytes) {
    try {
      parse_safetensors(bytes.data(), bytes.size(), nullptr, "corrupt");
      ++parsed;
    } catch (const ModelError&) {
      ++errors;
    }
  };
  for (size_t pos = 0; pos < header_end; ++pos) {
    for (const char c : {'\0', '9', '"', '}', '\xff'}) {
      std::string bytes = good;
      bytes[pos] = c;
      attempt(bytes);
    }
  }
  for (size_t len = 0; len < good.size(); ++len) attempt(good.substr(0, len));
  EXPECT_GT(errors, 0);
  EXPECT_GT(parsed, 0);  // e.g. a digit changed inside the metadata still parses
}

TEST_F(SafetensorsFile, ErrorNotAFile) {
  EXPECT_THAT(model_error([&] { read_safetensors(file("absent.safetensors")); }),
              AllOf(HasSubstr("absent.safetensors"), HasSubstr("cannot open")));
  fs::create_directory(file("dir.safetensors"));
  EXPECT_THAT(model_error([&] { read_safetensors(file("dir.safetensors")); }),
              HasSubstr("not a regular file"));
}

// ---------------------------------------------------------------- tiny model directories

// Shapes of a small model, chosen so that every dimension differs and a transposed or swapped
// tensor cannot pass the shape checks by accident.
struct Tiny {
  Arch arch = Arch::Mamba1;
  std::string dtype = "F32";
  int d_model = 8, n_layer = 2, vocab = 16, d_state = 4, d_conv = 3;
  int d_inner = 16, dt_rank = 1;   // Mamba-1 (dt_rank auto = ceil(8/16))
  int head_dim = 4, n_groups = 1;  // Mamba-2: 4 heads
  bool lm_head = false;            // store an untied lm_head.weight
  bool d_per_channel = false;      // Mamba-2 D of d_inner entries
  bool use_bias = false;           // store in/out_proj biases
  std::string embedding = "backbone.embeddings.weight";
  std::string prefix;

  int n_heads() const { return d_inner / head_dim; }
  int conv_channels() const {
    return arch == Arch::Mamba1 ? d_inner : d_inner + 2 * n_groups * d_state;
  }
  int in_proj_rows() const {
    return arch == Arch::Mamba1 ? 2 * d_inner : 2 * d_inner + 2 * n_groups * d_state + n_heads();
  }

  // Every tensor's name and shape, in checkpoint order.
  std::vector<std::pair<std::string, std::vector<int64_t>>> tensors() const {
    const int64_t Dm = d_model, Di = d_inner, N = d_state, K = d_conv, Cc = conv_channels();
    std::vector<std::pair<std::string, std::vector<int64_t>>> out;
    out.push_back({embedding, {vocab, Dm}});
    for (int i = 0; i < n_layer; ++i) {
      const std::string p = "backbone.layers." + std::to_string(i) + ".";
      const std::string m = p + "mixer.";
      out.push_back({p + "norm.weight", {Dm}});
      out.push_back({m + "in_proj.weight", {in_proj_rows(), Dm}});
      if (use_bias) out.push_back({m + "in_proj.bias", {in_proj_rows()}});
      out.push_back({m + "conv1d.weight", {Cc, 1, K}});
      out.push_back({m + "conv1d.bias", {Cc}});
      if (arch == Arch::Mamba1) {
        out.push_back({m + "x_proj.weight", {dt_rank + 2 * N, Di}});
        out.push_back({m + "dt_proj.weight", {Di, dt_rank}});
        out.push_back({m + "dt_proj.bias", {Di}});
        out.push_back({m + "A_log", {Di, N}});
        out.push_back({m + "D", {Di}});
      } else {
        out.push_back({m + "dt_bias", {n_heads()}});
        out.push_back({m + "A_log", {n_heads()}});
        out.push_back({m + "D", {d_per_channel ? Di : n_heads()}});
        out.push_back({m + "norm.weight", {Di}});
      }
      out.push_back({m + "out_proj.weight", {Dm, Di}});
      if (use_bias) out.push_back({m + "out_proj.bias", {Dm}});
    }
    out.push_back({"backbone.norm_f.weight", {Dm}});
    if (lm_head) out.push_back({"lm_head.weight", {vocab, Dm}});
    return out;
  }

  std::string hf_config() const {
    nlohmann::json c = {{"hidden_size", d_model},     {"num_hidden_layers", n_layer},
                        {"vocab_size", vocab},        {"state_size", d_state},
                        {"conv_kernel", d_conv},      {"expand", d_inner / d_model},
                        {"use_bias", use_bias},       {"use_conv_bias", true},
                        {"layer_norm_epsilon", 1e-5}, {"tie_word_embeddings", !lm_head}};
    if (arch == Arch::Mamba1) {
      c["model_type"] = "mamba";
      c["architectures"] = {"MambaForCausalLM"};
      c["intermediate_size"] = d_inner;
      c["time_step_rank"] = "auto";
      return c.dump(2);
    }
    c["model_type"] = "mamba2";
    c["architectures"] = {"Mamba2ForCausalLM"};
    c["head_dim"] = head_dim;
    c["num_heads"] = n_heads();
    c["n_groups"] = n_groups;
    // As transformers writes it: Python's json emits a bare Infinity.
    std::string text = c.dump(2);
    text.insert(text.rfind('}'), R"(, "time_step_limit": [0.0, Infinity])");
    return text;
  }
};

// Distinct, exactly representable in F16 and BF16, so every dtype round-trips bit for bit.
float value_of(size_t tensor_index, size_t i) {
  return static_cast<float>(static_cast<int>((tensor_index * 37 + i * 11) % 97) - 48) / 32.0f;
}

std::vector<float> values_for(size_t tensor_index, const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (auto d : shape) n *= d;
  std::vector<float> v(static_cast<size_t>(n));
  for (size_t i = 0; i < v.size(); ++i) v[i] = value_of(tensor_index, i);
  return v;
}

class LoaderModel : public ::testing::Test {
 protected:
  const fs::path& dir() const { return dir_.path(); }

  // Writes config.json (unless empty) and the tensors of `m` into model.safetensors, leaving out
  // `skip` and giving `reshape` a different shape.
  void write_model(const Tiny& m, const std::string& config, const std::string& skip = "",
                   const std::map<std::string, std::vector<int64_t>>& reshape = {}) {
    if (!config.empty()) write_file(dir() / "config.json", config);
    SafetensorsWriter w;
    const auto list = m.tensors();
    for (size_t k = 0; k < list.size(); ++k) {
      auto [name, shape] = list[k];
      if (name == skip) continue;
      if (auto it = reshape.find(name); it != reshape.end()) shape = it->second;
      w.add(m.prefix + name, m.dtype, shape, values_for(k, shape));
    }
    w.write(dir() / "model.safetensors");
  }

  std::string load_error() {
    return model_error([&] { load_weights(dir()); });
  }

  TempDir dir_;
};

void expect_values(const Tiny& m, const Tensor& t, const std::string& name) {
  const auto list = m.tensors();
  for (size_t k = 0; k < list.size(); ++k) {
    if (list[k].first != name) continue;
    EXPECT_EQ(t.to_f32(), values_for(k, list[k].second)) << name;
    return;
  }
  ADD_FAILURE() << "no tensor " << name;
}

size_t stored_bytes(const Tiny& m) {
  const size_t elem = m.dtype == "F32" ? 4 : 2;
  size_t total = 0;
  for (const auto& [name, shape] : m.tensors()) {
    size_t n = 1;
    for (auto d : shape) n *= static_cast<size_t>(d);
    total += n * elem;
  }
  return total;
}

TEST_F(LoaderModel, HfMamba1TiedF32) {
  Tiny m;
  write_model(m, m.hf_config());
  std::vector<std::pair<int, int>> progress;
  const ModelWeights w = load_weights(dir(), [&](int done, int total) {
    progress.push_back({done, total});
  });
  const ModelConfig& c = w.config;
  EXPECT_EQ(c.arch, Arch::Mamba1);
  EXPECT_EQ(c.d_model, 8);
  EXPECT_EQ(c.d_inner, 16);
  EXPECT_EQ(c.dt_rank, 1);
  EXPECT_EQ(c.d_conv, 3);
  EXPECT_TRUE(c.tie_embeddings);
  ASSERT_EQ(w.layers.size(), 2u);
  EXPECT_EQ(progress, (std::vector<std::pair<int, int>>{{1, 2}, {2, 2}}));
  EXPECT_EQ(w.stored_bytes, stored_bytes(m));
  EXPECT_TRUE(w.unused_tensors.empty());

  EXPECT_THAT(w.embedding.shape, ElementsAre(16, 8));
  EXPECT_EQ(w.lm_head.data, w.embedding.data);  // tied: the head is the embedding
  expect_values(m, w.embedding, "backbone.embeddings.weight");
  expect_values(m, w.norm_f, "backbone.norm_f.weight");

  const LayerWeights& l = w.layers[1];
  EXPECT_THAT(l.in_proj.shape, ElementsAre(32, 8));
  EXPECT_THAT(l.conv_weight.shape, ElementsAre(16, 3));  // (C, 1, K) squeezed
  EXPECT_EQ(l.conv_weight.owner, l.in_proj.owner);       // still in the mapping: no copy
  expect_values(m, l.conv_weight, "backbone.layers.1.mixer.conv1d.weight");
  EXPECT_THAT(l.x_proj.shape, ElementsAre(9, 16));
  EXPECT_THAT(l.dt_proj.shape, ElementsAre(16, 1));
  EXPECT_THAT(l.A_log.shape, ElementsAre(16, 4));
  expect_values(m, l.A_log, "backbone.layers.1.mixer.A_log");
  expect_values(m, l.dt_proj_bias, "backbone.layers.1.mixer.dt_proj.bias");
  expect_values(m, l.out_proj, "backbone.layers.1.mixer.out_proj.weight");
  EXPECT_FALSE(l.conv_bias.empty());
  EXPECT_TRUE(l.in_proj_bias.empty());
  EXPECT_TRUE(l.dt_bias.empty());
  EXPECT_TRUE(l.gated_norm.empty());
}

TEST_F(LoaderModel, EveryDtypeLoadsTheSameValues) {
  for (const std::string dtype : {"F32", "F16", "BF16"}) {
    Tiny m;
    m.dtype = dtype;
    write_model(m, m.hf_config());
    const ModelWeights w = load_weights(dir());
    const DType want = dtype == "F32" ? DType::F32 : dtype == "F16" ? DType::F16 : DType::BF16;
    EXPECT_EQ(w.layers[0].in_proj.dtype, want) << dtype;
    EXPECT_EQ(w.stored_bytes, stored_bytes(m)) << dtype;
    expect_values(m, w.layers[0].in_proj, "backbone.layers.0.mixer.in_proj.weight");
    expect_values(m, w.layers[1].x_proj, "backbone.layers.1.mixer.x_proj.weight");
    expect_values(m, w.embedding, "backbone.embeddings.weight");
  }
}

TEST_F(LoaderModel, HfMamba2UntiedHead) {
  Tiny m;
  m.arch = Arch::Mamba2;
  m.lm_head = true;
  write_model(m, m.hf_config());
  const ModelWeights w = load_weights(dir());
  const ModelConfig& c = w.config;
  EXPECT_EQ(c.arch, Arch::Mamba2);
  EXPECT_EQ(c.n_heads, 4);
  EXPECT_TRUE(std::isinf(c.dt_max));
  EXPECT_FALSE(c.tie_embeddings);
  EXPECT_NE(w.lm_head.data, w.embedding.data);
  expect_values(m, w.lm_head, "lm_head.weight");
  const LayerWeights& l = w.layers[0];
  EXPECT_THAT(l.in_proj.shape, ElementsAre(2 * 16 + 2 * 4 + 4, 8));
  EXPECT_THAT(l.conv_weight.shape, ElementsAre(24, 3));
  EXPECT_THAT(l.A_log.shape, ElementsAre(4));
  EXPECT_THAT(l.D.shape, ElementsAre(4));
  EXPECT_THAT(l.gated_norm.shape, ElementsAre(16));
  expect_values(m, l.dt_bias, "backbone.layers.0.mixer.dt_bias");
  expect_values(m, l.gated_norm, "backbone.layers.0.mixer.norm.weight");
  EXPECT_TRUE(l.x_proj.empty());
  EXPECT_TRUE(l.dt_proj.empty());
  EXPECT_EQ(w.stored_bytes, stored_bytes(m));
}

TEST_F(LoaderModel, Mamba2DPerChannelAndGroups) {
  Tiny m;
  m.arch = Arch::Mamba2;
  m.d_per_channel = true;
  m.n_groups = 2;
  m.dtype = "BF16";
  write_model(m, m.hf_config());
  const ModelWeights w = load_weights(dir());
  EXPECT_THAT(w.layers[1].D.shape, ElementsAre(16));
  EXPECT_THAT(w.layers[1].conv_weight.shape, ElementsAre(16 + 2 * 2 * 4, 3));
  expect_values(m, w.layers[1].D, "backbone.layers.1.mixer.D");
}

TEST_F(LoaderModel, UntiedConfigWithoutHeadFallsBackToEmbedding) {
  Tiny m;
  m.arch = Arch::Mamba2;
  std::string config = m.hf_config();  // no lm_head is stored, yet the config says untied
  config.replace(config.find("\"tie_word_embeddings\": true"), 27,
                 "\"tie_word_embeddings\": false");
  write_model(m, config);
  const ModelWeights w = load_weights(dir());
  EXPECT_EQ(w.lm_head.data, w.embedding.data);
  EXPECT_TRUE(w.config.tie_embeddings);
}

std::string state_spaces_config(const Tiny& m, int vocab, int multiple) {
  nlohmann::json ssm = {{"d_state", m.d_state}, {"d_conv", m.d_conv}};
  if (m.arch == Arch::Mamba2) {
    ssm["layer"] = "Mamba2";
    ssm["headdim"] = m.head_dim;
    ssm["ngroups"] = m.n_groups;
  }
  nlohmann::json c = {{"d_model", m.d_model},
                      {"d_intermediate", 0},
                      {"n_layer", m.n_layer},
                      {"vocab_size", vocab},
                      {"ssm_cfg", ssm},
                      {"attn_layer_idx", nlohmann::json::array()},
                      {"attn_cfg", nlohmann::json::object()},
                      {"rms_norm", true},
                      {"residual_in_fp32", true},
                      {"fused_add_norm", true},
                      {"pad_vocab_size_multiple", multiple},
                      {"tie_embeddings", true}};
  return c.dump();
}

TEST_F(LoaderModel, StateSpacesNamesAndPaddedVocab) {
  Tiny m;
  m.arch = Arch::Mamba2;
  m.embedding = "backbone.embedding.weight";
  m.lm_head = true;  // original checkpoints keep lm_head.weight even when tied
  write_model(m, state_spaces_config(m, 13, 8));  // 13 rounds up to the 16 stored rows
  const ModelWeights w = load_weights(dir());
  EXPECT_EQ(w.config.format, "state-spaces");
  EXPECT_EQ(w.config.vocab_size, 16);
  EXPECT_EQ(w.config.unpadded_vocab_size, 13);
  expect_values(m, w.embedding, "backbone.embedding.weight");
  expect_values(m, w.lm_head, "lm_head.weight");
}

TEST_F(LoaderModel, EmbeddingWithMoreRowsThanConfigIsTrusted) {
  Tiny m;
  m.embedding = "backbone.embedding.weight";
  m.vocab = 24;  // padded to 24 rows while the config says 13 -> 16
  m.lm_head = true;
  write_model(m, state_spaces_config(m, 13, 8));
  const ModelWeights w = load_weights(dir());
  EXPECT_EQ(w.config.vocab_size, 24);
  EXPECT_EQ(w.config.unpadded_vocab_size, 13);
  EXPECT_THAT(w.lm_head.shape, ElementsAre(24, 8));

  // For HF the padded config count is what stands for the real vocabulary.
  Tiny h;
  h.vocab = 24;
  std::string config = h.hf_config();
  config.replace(config.find("\"vocab_size\": 24"), 16, "\"vocab_size\": 20");
  write_model(h, config);
  const ModelWeights hw = load_weights(dir());
  EXPECT_EQ(hw.config.vocab_size, 24);
  EXPECT_EQ(hw.config.unpadded_vocab_size, 20);
}

TEST_F(LoaderModel, ErrorEmbeddingWithFewerRowsThanConfig) {
  Tiny m;
  m.embedding = "backbone.embedding.weight";
  write_model(m, state_spaces_config(m, 17, 8));  // needs 24 rows, has 16
  EXPECT_THAT(load_error(),
              AllOf(HasSubstr("model.safetensors"), HasSubstr("backbone.embedding.weight"),
                    HasSubstr("[16, 8]"), HasSubstr("expected [24, 8]")));
}

TEST_F(LoaderModel, ErrorHeadRowsMustMatchEmbedding) {
  Tiny m;
  m.lm_head = true;
  write_model(m, m.hf_config(), "", {{"lm_head.weight", {8, 8}}});
  EXPECT_THAT(load_error(), AllOf(HasSubstr("lm_head.weight"), HasSubstr("expected [16, 8]")));
}

TEST_F(LoaderModel, ModelPrefixIsStripped) {
  Tiny m;
  m.arch = Arch::Mamba2;
  m.prefix = "model.";
  m.lm_head = true;
  write_model(m, m.hf_config());
  const ModelWeights w = load_weights(dir());
  expect_values(m, w.layers[1].in_proj, "backbone.layers.1.mixer.in_proj.weight");
  expect_values(m, w.lm_head, "lm_head.weight");
  EXPECT_TRUE(w.unused_tensors.empty());
}

TEST_F(LoaderModel, ExtraTensorsAreListedNotFatal) {
  Tiny m;
  write_model(m, m.hf_config());
  // Rewrite with one extra tensor.
  SafetensorsWriter w;
  const auto list = m.tensors();
  for (size_t k = 0; k < list.size(); ++k) {
    w.add_f32(list[k].first, list[k].second, values_for(k, list[k].second));
  }
  w.add_f32("backbone.rotary.inv_freq", {2}, {1, 2});
  w.write(dir() / "model.safetensors");
  const ModelWeights loaded = load_weights(dir());
  EXPECT_THAT(loaded.unused_tensors, ElementsAre("backbone.rotary.inv_freq"));
  EXPECT_EQ(loaded.stored_bytes, stored_bytes(m) + 8);
}

TEST_F(LoaderModel, BiasFollowsConfigAndTensors) {
  Tiny m;
  m.use_bias = true;
  write_model(m, m.hf_config());
  const ModelWeights w = load_weights(dir());
  EXPECT_TRUE(w.config.use_bias);
  EXPECT_THAT(w.layers[0].in_proj_bias.shape, ElementsAre(32));
  EXPECT_THAT(w.layers[0].out_proj_bias.shape, ElementsAre(8));

  // use_bias absent: MambaConfig's default (true) gives way to what the checkpoint holds.
  Tiny plain;
  std::string config = plain.hf_config();
  config.replace(config.find("\"use_bias\": false,"), 18, "");
  write_model(plain, config);
  const ModelWeights p = load_weights(dir());
  EXPECT_FALSE(p.config.use_bias);
  EXPECT_TRUE(p.layers[0].in_proj_bias.empty());
}

TEST_F(LoaderModel, ErrorUseBiasTrueWithoutBiasTensor) {
  Tiny m;
  std::string config = m.hf_config();
  config.replace(config.find("\"use_bias\": false"), 17, "\"use_bias\": true");
  write_model(m, config);
  EXPECT_THAT(load_error(), AllOf(HasSubstr("missing tensor backbone.layers.0.mixer.in_proj.bias"),
                                  HasSubstr(dir().string())));
}

TEST_F(LoaderModel, ErrorMissingConfig) {
  Tiny m;
  write_model(m, "");
  EXPECT_THAT(load_error(), AllOf(HasSubstr(dir().string()), HasSubstr("missing config.json")));
  EXPECT_THAT(model_error([&] { load_weights(dir() / "absent"); }),
              HasSubstr("not a model directory"));
}

TEST_F(LoaderModel, ErrorNoCheckpoint) {
  Tiny m;
  write_file(dir() / "config.json", m.hf_config());
  EXPECT_THAT(load_error(), AllOf(HasSubstr(dir().string()), HasSubstr("no checkpoint"),
                                  HasSubstr("model.safetensors")));
  write_file(dir() / "pytorch_model.bin", "PK");
  EXPECT_THAT(load_error(), HasSubstr("pytorch_model.bin is not supported"));
}

TEST_F(LoaderModel, ErrorMissingTensor) {
  Tiny m;
  write_model(m, m.hf_config(), "backbone.layers.1.mixer.A_log");
  EXPECT_THAT(load_error(), AllOf(HasSubstr("missing tensor backbone.layers.1.mixer.A_log"),
                                  HasSubstr(dir().string())));
  write_model(m, m.hf_config(), "backbone.embeddings.weight");
  EXPECT_THAT(load_error(), HasSubstr("missing tensor backbone.embeddings.weight"));
  write_model(m, m.hf_config(), "backbone.norm_f.weight");
  EXPECT_THAT(load_error(), HasSubstr("missing tensor backbone.norm_f.weight"));
}

TEST_F(LoaderModel, ErrorShapeMismatchWithConfig) {
  Tiny m;
  write_model(m, m.hf_config(), "", {{"backbone.layers.0.mixer.x_proj.weight", {16, 9}}});
  EXPECT_THAT(load_error(), AllOf(HasSubstr((dir() / "model.safetensors").string()),
                                  HasSubstr("backbone.layers.0.mixer.x_proj.weight"),
                                  HasSubstr("[16, 9]"), HasSubstr("expected [9, 16]")));
  write_model(m, m.hf_config(), "", {{"backbone.layers.1.mixer.conv1d.weight", {16, 2, 3}}});
  EXPECT_THAT(load_error(), AllOf(HasSubstr("conv1d.weight"), HasSubstr("expected [16, 1, 3]")));
  Tiny m2;
  m2.arch = Arch::Mamba2;
  write_model(m2, m2.hf_config(), "", {{"backbone.layers.0.mixer.D", {5}}});
  EXPECT_THAT(load_error(), AllOf(HasSubstr("mixer.D"), HasSubstr("expected [4]")));
}

TEST_F(LoaderModel, ErrorUnknownArchitecture) {
  Tiny m;
  write_model(m, R"({"model_type": "llama", "architectures": ["LlamaForCausalLM"]})");
  EXPECT_THAT(load_error(), AllOf(HasSubstr((dir() / "config.json").string()),
                                  HasSubstr("unknown architecture"), HasSubstr("llama")));
}

TEST_F(LoaderModel, ErrorConfigAndCheckpointDisagreeOnVersion) {
  Tiny m2;
  m2.arch = Arch::Mamba2;
  Tiny m1;
  write_model(m2, m1.hf_config());
  EXPECT_THAT(load_error(), HasSubstr("config.json describes Mamba-1 but the checkpoint holds "
                                      "Mamba-2 tensors"));
}

TEST_F(LoaderModel, ErrorMoreLayersThanConfig) {
  Tiny m;
  m.n_layer = 3;
  Tiny fewer;
  write_model(m, fewer.hf_config());
  EXPECT_THAT(load_error(), AllOf(HasSubstr("backbone.layers.2."), HasSubstr("2 layers")));
}

TEST_F(LoaderModel, ErrorMalformedCheckpointNamesFile) {
  Tiny m;
  write_model(m, m.hf_config());
  fs::resize_file(dir() / "model.safetensors", fs::file_size(dir() / "model.safetensors") - 4);
  EXPECT_THAT(load_error(), AllOf(HasSubstr((dir() / "model.safetensors").string()),
                                  HasSubstr("past the end of the data buffer")));
}

// ---------------------------------------------------------------- sharded checkpoints

class LoaderSharded : public LoaderModel {
 protected:
  // Splits the tensors of `m` over two shards (first half, second half) plus the index.
  void write_sharded(const Tiny& m) {
    write_file(dir() / "config.json", m.hf_config());
    const auto list = m.tensors();
    SafetensorsWriter a, b;
    nlohmann::json map = nlohmann::json::object();
    for (size_t k = 0; k < list.size(); ++k) {
      const bool first = k < list.size() / 2;
      (first ? a : b).add(list[k].first, m.dtype, list[k].second, values_for(k, list[k].second));
      map[list[k].first] = first ? kShard1 : kShard2;
    }
    a.write(dir() / kShard1);
    b.write(dir() / kShard2);
    index_ = {{"metadata", {{"total_size", stored_bytes(m)}}}, {"weight_map", map}};
    write_index();
  }
  void write_index() { write_file(dir() / "model.safetensors.index.json", index_.dump(1)); }

  static constexpr const char* kShard1 = "model-00001-of-00002.safetensors";
  static constexpr const char* kShard2 = "model-00002-of-00002.safetensors";
  nlohmann::json index_;
};

TEST_F(LoaderSharded, LoadsAcrossShards) {
  Tiny m;
  m.arch = Arch::Mamba2;
  m.lm_head = true;
  m.dtype = "BF16";
  write_sharded(m);
  const ModelWeights w = load_weights(dir());
  EXPECT_EQ(w.stored_bytes, stored_bytes(m));
  expect_values(m, w.embedding, "backbone.embeddings.weight");
  expect_values(m, w.lm_head, "lm_head.weight");
  expect_values(m, w.layers[1].out_proj, "backbone.layers.1.mixer.out_proj.weight");
  EXPECT_NE(w.embedding.owner, w.lm_head.owner);  // two mappings
  EXPECT_THAT(w.lm_head.source, HasSubstr(kShard2));
}

TEST_F(LoaderSharded, ErrorMissingShard) {
  Tiny m;
  write_sharded(m);
  fs::remove(dir() / kShard2);
  EXPECT_THAT(load_error(), AllOf(HasSubstr("model.safetensors.index.json"), HasSubstr(kShard2),
                                  HasSubstr("does not exist")));
}

TEST_F(LoaderSharded, ErrorTensorListedButNotInShard) {
  Tiny m;
  write_sharded(m);
  index_["weight_map"]["backbone.layers.0.mixer.D"] = kShard2;  // it lives in shard 1
  write_index();
  EXPECT_THAT(load_error(), AllOf(HasSubstr(kShard2), HasSubstr("'backbone.layers.0.mixer.D'"),
                                  HasSubstr("is missing")));
}

TEST_F(LoaderSharded, ErrorTensorInTwoShards) {
  Tiny m;
  write_sharded(m);
  SafetensorsWriter extra;
  extra.add_f32("backbone.norm_f.weight", {8}, std::vector<float>(8, 1.0f));
  extra.add_f32("extra.bias", {2}, {1, 2});
  extra.write(dir() / "model-extra.safetensors");
  index_["weight_map"]["extra.bias"] = "model-extra.safetensors";
  write_index();
  // The index lists norm_f once, but model-extra stores a second copy.
  EXPECT_THAT(load_error(),
              AllOf(HasSubstr("model-extra.safetensors"),
                    HasSubstr("'backbone.norm_f.weight' is also stored in"), HasSubstr(kShard2)));
}

TEST_F(LoaderSharded, ErrorBadIndex) {
  Tiny m;
  write_sharded(m);
  write_file(dir() / "model.safetensors.index.json", "{\"weight_map\": ");
  EXPECT_THAT(load_error(),
              AllOf(HasSubstr("model.safetensors.index.json"), HasSubstr("invalid JSON")));
  index_["weight_map"]["backbone.norm_f.weight"] = "../elsewhere.safetensors";
  write_index();
  EXPECT_THAT(load_error(), HasSubstr("not a file name"));
  write_file(dir() / "model.safetensors.index.json", R"({"metadata": {}})");
  EXPECT_THAT(load_error(), HasSubstr("missing \"weight_map\""));
}

TEST_F(LoaderSharded, CheckpointApi) {
  Tiny m;
  write_sharded(m);
  const Checkpoint ck = Checkpoint::open(dir());
  EXPECT_EQ(ck.names().size(), m.tensors().size());
  EXPECT_EQ(ck.total_bytes(), stored_bytes(m));
  EXPECT_NE(ck.find("backbone.norm_f.weight"), nullptr);
  EXPECT_EQ(ck.find("nope"), nullptr);
  EXPECT_THAT(model_error([&] { ck.require("nope"); }),
              AllOf(HasSubstr("missing tensor nope in"), HasSubstr(dir().string())));
}

// ---------------------------------------------------------------- files written by transformers

// The committed fixture models were saved by transformers itself (tools/), so they carry its real
// quirks: {"__float__": "Infinity"}, null token ids, sharding, dropped tied heads.
TEST(LoaderFixtures, EveryCommittedModelLoads) {
  const fs::path root = fs::path(MAMBA_FIXTURES_DIR) / "models";
  if (!fs::is_directory(root)) GTEST_SKIP() << "no fixture models in " << root;
  int loaded = 0;
  for (const auto& entry : fs::directory_iterator(root)) {
    if (!fs::exists(entry.path() / "config.json")) continue;
    const std::string name = entry.path().filename().string();
    SCOPED_TRACE(name);
    int progress_calls = 0;
    const ModelWeights w = load_weights(entry.path(), [&](int, int) { ++progress_calls; });
    const ModelConfig& c = w.config;
    ++loaded;
    EXPECT_EQ(progress_calls, c.n_layer);
    ASSERT_EQ(static_cast<int>(w.layers.size()), c.n_layer);
    EXPECT_THAT(w.embedding.shape, ElementsAre(c.vocab_size, c.d_model));
    EXPECT_THAT(w.lm_head.shape, ElementsAre(c.vocab_size, c.d_model));
    EXPECT_THAT(w.layers.back().conv_weight.shape, ElementsAre(c.conv_channels(), c.d_conv));
    EXPECT_TRUE(w.unused_tensors.empty());
    size_t file_bytes = 0;
    for (const auto& f : fs::directory_iterator(entry.path())) {
      const std::string fname = f.path().filename().string();
      if (fname.rfind("model", 0) == 0 && f.path().extension() == ".safetensors") {
        file_bytes += fs::file_size(f.path());
      }
    }
    EXPECT_GT(w.stored_bytes, 0u);
    EXPECT_LT(w.stored_bytes, file_bytes);  // the headers account for the rest
    if (name.find("untied") != std::string::npos) {
      EXPECT_FALSE(c.tie_embeddings);
      EXPECT_NE(w.lm_head.data, w.embedding.data);
    } else if (name.find("tied") != std::string::npos) {
      EXPECT_TRUE(c.tie_embeddings);
      EXPECT_EQ(w.lm_head.data, w.embedding.data);
    }
    if (name.find("bf16") != std::string::npos) {
      EXPECT_EQ(w.layers[0].in_proj.dtype, DType::BF16);
    }
    if (name.rfind("m2", 0) == 0) {
      EXPECT_EQ(c.arch, Arch::Mamba2);
      EXPECT_TRUE(std::isinf(c.dt_max));
      EXPECT_EQ(c.n_heads * c.head_dim, c.d_inner);
    } else if (name.rfind("m1", 0) == 0) {
      EXPECT_EQ(c.arch, Arch::Mamba1);
    }
    // Every value is finite: the offsets point at the weights, not at header bytes.
    for (const float v : w.layers[0].A_log.to_f32()) ASSERT_TRUE(std::isfinite(v));
  }
  EXPECT_GT(loaded, 0);
}

}  // namespace
}  // namespace mamba
