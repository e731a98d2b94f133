#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "engine/model/config.hpp"
#include "engine/model/errors.hpp"
#include "engine/model/json_relaxed.hpp"
#include "safetensors_writer.hpp"

namespace mamba {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

// Runs `fn`, expects a ModelError, returns its message.
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

std::string config_error(const std::string& text) {
  return model_error([&] { parse_config(text, "/models/x/config.json"); });
}

// The layout of state-spaces/mamba-130m-hf's config.json.
const char* kHfMamba1 = R"({
  "architectures": ["MambaForCausalLM"], "bos_token_id": 0, "conv_kernel": 4, "eos_token_id": 0,
  "expand": 2, "fused_add_norm": true, "hidden_act": "silu", "hidden_size": 768,
  "initializer_range": 0.1, "intermediate_size": 1536, "layer_norm_epsilon": 1e-05,
  "model_type": "mamba", "n_layer": 24, "num_hidden_layers": 24, "pad_token_id": 0,
  "pad_vocab_size_multiple": 8, "rescale_prenorm_residual": false, "residual_in_fp32": true,
  "rms_norm": true, "state_size": 16, "time_step_floor": 0.0001, "time_step_init_scheme": "random",
  "time_step_max": 0.1, "time_step_min": 0.001, "time_step_rank": 48, "time_step_scale": 1.0,
  "torch_dtype": "float32", "transformers_version": "4.39.0.dev0", "use_bias": false,
  "use_cache": true, "use_conv_bias": true, "vocab_size": 50280
})";

TEST(ConfigHf, Mamba1PublishedLayout) {
  const ModelConfig c = parse_config(kHfMamba1, "config.json");
  EXPECT_EQ(c.arch, Arch::Mamba1);
  EXPECT_EQ(c.format, "hf");
  EXPECT_EQ(c.d_model, 768);
  EXPECT_EQ(c.n_layer, 24);
  EXPECT_EQ(c.vocab_size, 50280);
  EXPECT_EQ(c.unpadded_vocab_size, 0);
  EXPECT_EQ(c.d_inner, 1536);
  EXPECT_EQ(c.d_state, 16);
  EXPECT_EQ(c.d_conv, 4);
  EXPECT_EQ(c.dt_rank, 48);
  EXPECT_FALSE(c.use_bias);
  EXPECT_FALSE(c.use_bias_defaulted);
  EXPECT_TRUE(c.use_conv_bias);
  EXPECT_TRUE(c.tie_embeddings);
  EXPECT_FLOAT_EQ(c.norm_eps, 1e-5f);
  EXPECT_EQ(c.bos_token_id, 0);
  EXPECT_EQ(c.eos_token_id, 0);
  EXPECT_EQ(c.pad_token_id, 0);
  EXPECT_EQ(c.conv_channels(), 1536);
  EXPECT_EQ(c.in_proj_rows(), 3072);
}

TEST(ConfigHf, Mamba1MissingFieldsTakeClassDefaults) {
  const ModelConfig c = parse_config(
      R"({"model_type": "mamba", "hidden_size": 1000, "num_hidden_layers": 3, "vocab_size": 99})",
      "config.json");
  EXPECT_EQ(c.d_state, 16);
  EXPECT_EQ(c.d_conv, 4);
  EXPECT_EQ(c.d_inner, 2000);
  EXPECT_EQ(c.dt_rank, 63);           // ceil(1000 / 16)
  EXPECT_TRUE(c.use_bias);            // MambaConfig's class default...
  EXPECT_TRUE(c.use_bias_defaulted);  // ...which load_weights checks against the tensors
  EXPECT_TRUE(c.use_conv_bias);
  EXPECT_TRUE(c.tie_embeddings);
  EXPECT_FLOAT_EQ(c.norm_eps, 1e-5f);
  EXPECT_EQ(c.eos_token_id, 0);
}

TEST(ConfigHf, Mamba1TimeStepRankAutoAndInteger) {
  auto rank = [](const std::string& v) {
    return parse_config(R"({"model_type": "mamba", "hidden_size": 768, "num_hidden_layers": 1,
                            "vocab_size": 10, "time_step_rank": )" +
                            v + "}",
                        "config.json")
        .dt_rank;
  };
  EXPECT_EQ(rank("\"auto\""), 48);
  EXPECT_EQ(rank("7"), 7);
  EXPECT_THAT(config_error(R"({"model_type": "mamba", "hidden_size": 768, "num_hidden_layers": 1,
                               "vocab_size": 10, "time_step_rank": "big"})"),
              AllOf(HasSubstr("/models/x/config.json"), HasSubstr("time_step_rank"),
                    HasSubstr("\"auto\"")));
}

TEST(ConfigHf, Mamba1IntermediateSizeFromFile) {
  const ModelConfig c = parse_config(R"({"model_type": "mamba", "hidden_size": 64,
      "num_hidden_layers": 1, "vocab_size": 10, "expand": 2, "intermediate_size": 96})",
                                     "config.json");
  EXPECT_EQ(c.d_inner, 96);
}

std::string hf_mamba2(const std::string& limit) {
  return R"({"architectures": ["Mamba2ForCausalLM"], "model_type": "mamba2", "hidden_size": 768,
    "num_hidden_layers": 24, "vocab_size": 50288, "state_size": 128, "expand": 2, "head_dim": 64,
    "num_heads": 24, "n_groups": 1, "conv_kernel": 4, "chunk_size": 256, "rms_norm": true,
    "use_bias": false, "use_conv_bias": true, "layer_norm_epsilon": 1e-05,
    "tie_word_embeddings": true, "bos_token_id": 0, "eos_token_id": 0, "pad_token_id": 0,
    "time_step_rank": 48, "time_step_limit": )" +
         limit + "}";
}

TEST(ConfigHf, Mamba2WithBareInfinity) {
  const ModelConfig c = parse_config(hf_mamba2("[0.0, Infinity]"), "config.json");
  EXPECT_EQ(c.arch, Arch::Mamba2);
  EXPECT_EQ(c.d_inner, 1536);
  EXPECT_EQ(c.n_heads, 24);
  EXPECT_EQ(c.head_dim, 64);
  EXPECT_EQ(c.n_groups, 1);
  EXPECT_EQ(c.d_state, 128);
  EXPECT_EQ(c.conv_channels(), 1536 + 256);
  EXPECT_EQ(c.in_proj_rows(), 2 * 1536 + 256 + 24);
  EXPECT_EQ(c.dt_min, 0.0f);
  EXPECT_TRUE(std::isinf(c.dt_max) && c.dt_max > 0);
  EXPECT_TRUE(c.tie_embeddings);
}

TEST(ConfigHf, Mamba2WithTransformersFloatObject) {
  const ModelConfig c =
      parse_config(hf_mamba2(R"([0.001, {"__float__": "Infinity"}])"), "config.json");
  EXPECT_FLOAT_EQ(c.dt_min, 0.001f);
  EXPECT_TRUE(std::isinf(c.dt_max));
  const ModelConfig d = parse_config(hf_mamba2("[0.01, 0.5]"), "config.json");
  EXPECT_FLOAT_EQ(d.dt_min, 0.01f);
  EXPECT_FLOAT_EQ(d.dt_max, 0.5f);
}

TEST(ConfigHf, Mamba2RejectsNonsenseTimeStepLimit) {
  EXPECT_THAT(config_error(hf_mamba2("[-Infinity, 0.1]")), HasSubstr("time_step_limit"));
  EXPECT_THAT(config_error(hf_mamba2("[0.0, NaN]")), HasSubstr("time_step_limit"));
  EXPECT_THAT(config_error(hf_mamba2("[0.5, 0.1]")), HasSubstr("0 <= low <= high"));
  EXPECT_THAT(config_error(hf_mamba2("[0.0]")), HasSubstr("pair"));
}

TEST(ConfigHf, Mamba2MissingFieldsTakeDefaults) {
  const ModelConfig c = parse_config(
      R"({"model_type": "mamba2", "hidden_size": 256, "num_hidden_layers": 2, "vocab_size": 64})",
      "config.json");
  EXPECT_EQ(c.d_state, 128);
  EXPECT_EQ(c.head_dim, 64);
  EXPECT_EQ(c.n_heads, 8);
  EXPECT_EQ(c.n_groups, 1);
  EXPECT_EQ(c.d_conv, 4);
  EXPECT_FALSE(c.use_bias);
  EXPECT_TRUE(c.use_conv_bias);
  EXPECT_FALSE(c.tie_embeddings);  // Mamba2Config's class default
  EXPECT_EQ(c.dt_min, 0.0f);
  EXPECT_TRUE(std::isinf(c.dt_max));
  EXPECT_FALSE(c.eos_token_id.has_value());
}

TEST(ConfigHf, Mamba2NumHeadsMustMatch) {
  std::string text = hf_mamba2("[0.0, Infinity]");
  text.replace(text.find("\"num_heads\": 24"), 15, "\"num_heads\": 12");
  EXPECT_THAT(config_error(text),
              AllOf(HasSubstr("num_heads"), HasSubstr("12"), HasSubstr("= 24")));
}

TEST(ConfigHf, Mamba2GroupsMustDivideHeads) {
  std::string text = hf_mamba2("[0.0, Infinity]");
  text.replace(text.find("\"n_groups\": 1"), 13, "\"n_groups\": 5");
  EXPECT_THAT(config_error(text), HasSubstr("not a multiple of groups 5"));
}

TEST(ConfigHf, TokenIdsNullMeansNone) {
  const ModelConfig c = parse_config(R"({"model_type": "mamba", "hidden_size": 16,
      "num_hidden_layers": 1, "vocab_size": 10, "pad_token_id": null, "eos_token_id": 7})",
                                     "config.json");
  EXPECT_FALSE(c.pad_token_id.has_value());
  EXPECT_EQ(c.eos_token_id, 7);
}

TEST(ConfigStateSpaces, Mamba1PadsVocabulary) {
  const ModelConfig c = parse_config(R"({"d_model": 768, "n_layer": 24, "vocab_size": 50277,
      "ssm_cfg": {}, "rms_norm": true, "residual_in_fp32": true, "fused_add_norm": true,
      "pad_vocab_size_multiple": 8})",
                                     "config.json");
  EXPECT_EQ(c.format, "state-spaces");
  EXPECT_EQ(c.arch, Arch::Mamba1);
  EXPECT_EQ(c.vocab_size, 50280);
  EXPECT_EQ(c.unpadded_vocab_size, 50277);
  EXPECT_EQ(c.d_inner, 1536);
  EXPECT_EQ(c.d_state, 16);
  EXPECT_EQ(c.dt_rank, 48);
  EXPECT_TRUE(c.use_conv_bias);
  EXPECT_FALSE(c.use_bias);
  EXPECT_TRUE(c.tie_embeddings);
}

TEST(ConfigStateSpaces, DefaultPadMultipleIsEight) {
  const ModelConfig c =
      parse_config(R"({"d_model": 64, "n_layer": 2, "vocab_size": 17})", "config.json");
  EXPECT_EQ(c.vocab_size, 24);
  EXPECT_EQ(c.unpadded_vocab_size, 17);
}

TEST(ConfigStateSpaces, Mamba2FromSsmCfg) {
  const ModelConfig c = parse_config(R"({"d_model": 768, "d_intermediate": 0, "n_layer": 24,
      "vocab_size": 50277, "ssm_cfg": {"layer": "Mamba2"}, "attn_layer_idx": [], "attn_cfg": {},
      "rms_norm": true, "residual_in_fp32": true, "fused_add_norm": true,
      "pad_vocab_size_multiple": 16, "tie_embeddings": true})",
                                     "config.json");
  EXPECT_EQ(c.arch, Arch::Mamba2);
  EXPECT_EQ(c.vocab_size, 50288);
  EXPECT_EQ(c.d_state, 128);
  EXPECT_EQ(c.head_dim, 64);
  EXPECT_EQ(c.n_heads, 24);
  EXPECT_EQ(c.n_groups, 1);
  EXPECT_EQ(c.d_conv, 4);
  EXPECT_TRUE(std::isinf(c.dt_max));
}

TEST(ConfigStateSpaces, Mamba1SsmCfgOverrides) {
  const ModelConfig c = parse_config(R"({"d_model": 64, "n_layer": 2, "vocab_size": 16,
      "ssm_cfg": {"layer": "Mamba1", "d_state": 8, "d_conv": 3, "expand": 3, "dt_rank": 5,
                  "conv_bias": false, "bias": true}, "tie_embeddings": false})",
                                     "config.json");
  EXPECT_EQ(c.d_state, 8);
  EXPECT_EQ(c.d_conv, 3);
  EXPECT_EQ(c.d_inner, 192);
  EXPECT_EQ(c.dt_rank, 5);
  EXPECT_FALSE(c.use_conv_bias);
  EXPECT_TRUE(c.use_bias);
  EXPECT_FALSE(c.tie_embeddings);
}

TEST(ConfigStateSpaces, Mamba2DtLimitWithInfinity) {
  const ModelConfig c = parse_config(R"({"d_model": 128, "n_layer": 2, "vocab_size": 16,
      "ssm_cfg": {"layer": "Mamba2", "dt_limit": [0.0, Infinity], "headdim": 32, "ngroups": 2}})",
                                     "config.json");
  EXPECT_EQ(c.n_heads, 8);
  EXPECT_EQ(c.n_groups, 2);
  EXPECT_TRUE(std::isinf(c.dt_max));
}

TEST(ConfigStateSpaces, UnsupportedFeaturesAreNamed) {
  const std::string base = R"("d_model": 64, "n_layer": 2, "vocab_size": 16)";
  EXPECT_THAT(config_error("{" + base + R"(, "d_intermediate": 256})"),
              AllOf(HasSubstr("unsupported"), HasSubstr("d_intermediate = 256")));
  EXPECT_THAT(config_error("{" + base + R"(, "attn_layer_idx": [1]})"),
              AllOf(HasSubstr("unsupported"), HasSubstr("attn_layer_idx")));
  EXPECT_THAT(config_error("{" + base + R"(, "rms_norm": false})"),
              AllOf(HasSubstr("unsupported"), HasSubstr("rms_norm")));
  EXPECT_THAT(config_error("{" + base + R"(, "ssm_cfg": {"layer": "Mamba3"}})"),
              AllOf(HasSubstr("unsupported"), HasSubstr("Mamba3")));
  EXPECT_THAT(
      config_error("{" + base + R"(, "ssm_cfg": {"layer": "Mamba2", "norm_before_gate": true}})"),
      AllOf(HasSubstr("unsupported"), HasSubstr("norm_before_gate")));
  EXPECT_THAT(config_error("{" + base + R"(, "ssm_cfg": {"layer": "Mamba2", "rmsnorm": false}})"),
              AllOf(HasSubstr("unsupported"), HasSubstr("rmsnorm")));
  EXPECT_THAT(config_error("{" + base + R"(, "ssm_cfg": {"layer": "Mamba2", "d_ssm": 64}})"),
              AllOf(HasSubstr("unsupported"), HasSubstr("d_ssm")));
}

TEST(ConfigErrors, UnknownArchitectureNamesFileAndValue) {
  EXPECT_THAT(config_error(R"({"model_type": "llama", "hidden_size": 4096})"),
              AllOf(HasSubstr("/models/x/config.json"), HasSubstr("unknown architecture"),
                    HasSubstr("\"llama\"")));
  EXPECT_THAT(config_error(R"({"model_type": "falcon_mamba", "hidden_size": 4096})"),
              AllOf(HasSubstr("unsupported architecture"), HasSubstr("falcon_mamba")));
  EXPECT_THAT(config_error(R"({"architectures": ["LlamaForCausalLM"], "hidden_size": 4096})"),
              AllOf(HasSubstr("unknown architecture"), HasSubstr("LlamaForCausalLM")));
  EXPECT_THAT(config_error(R"({"hidden_size": 4096})"), HasSubstr("unknown architecture"));
  EXPECT_THAT(config_error(R"({"model_type": "mamba", "architectures": ["Mamba2ForCausalLM"],
                               "hidden_size": 8, "num_hidden_layers": 1, "vocab_size": 8})"),
              HasSubstr("contradicts"));
}

TEST(ConfigErrors, ArchitecturesAloneSelectsTheFormat) {
  const ModelConfig c = parse_config(R"({"architectures": ["Mamba2ForCausalLM"],
      "hidden_size": 128, "num_hidden_layers": 1, "vocab_size": 8})",
                                     "config.json");
  EXPECT_EQ(c.arch, Arch::Mamba2);
}

TEST(ConfigErrors, BadFieldsAreNamed) {
  EXPECT_THAT(config_error(R"({"model_type": "mamba", "hidden_size": "768",
                               "num_hidden_layers": 1, "vocab_size": 8})"),
              AllOf(HasSubstr("\"hidden_size\""), HasSubstr("integer")));
  EXPECT_THAT(config_error(R"({"model_type": "mamba", "hidden_size": 768, "vocab_size": 8})"),
              AllOf(HasSubstr("\"num_hidden_layers\""), HasSubstr("missing")));
  EXPECT_THAT(config_error(R"({"model_type": "mamba", "hidden_size": -1,
                               "num_hidden_layers": 1, "vocab_size": 8})"),
              HasSubstr("positive integer"));
  EXPECT_THAT(config_error(R"({"model_type": "mamba", "hidden_size": 8,
                               "num_hidden_layers": 1, "vocab_size": 8, "use_bias": "no"})"),
              HasSubstr("\"use_bias\" must be true or false"));
  EXPECT_THAT(config_error(R"({"d_model": 64, "n_layer": 2, "vocab_size": 16,
                               "ssm_cfg": {"d_state": 0}})"),
              HasSubstr("\"ssm_cfg.d_state\""));
  EXPECT_THAT(config_error(R"({"model_type": "mamba", "hidden_size": 8, "num_hidden_layers": 1,
                               "vocab_size": 8, "hidden_act": "gelu"})"),
              AllOf(HasSubstr("unsupported"), HasSubstr("gelu")));
  EXPECT_THAT(config_error(R"({"model_type": "mamba", "hidden_size": 16777216,
                               "num_hidden_layers": 1, "vocab_size": 8})"),
              HasSubstr("too large"));
}

TEST(ConfigErrors, InvalidJson) {
  EXPECT_THAT(config_error(R"({"model_type": "mamba",)"),
              AllOf(HasSubstr("/models/x/config.json"), HasSubstr("invalid JSON")));
  EXPECT_THAT(config_error("[1, 2]"), HasSubstr("not a JSON object"));
}

TEST(ConfigErrors, MissingFile) {
  testing::TempDir dir;
  EXPECT_THAT(model_error([&] { load_config(dir.path() / "config.json"); }),
              AllOf(HasSubstr((dir.path() / "config.json").string()), HasSubstr("cannot open")));
}

TEST(ConfigFile, LoadsFromDisk) {
  testing::TempDir dir;
  testing::write_file(dir.path() / "config.json", hf_mamba2("[0.0, Infinity]"));
  EXPECT_EQ(load_config(dir.path() / "config.json").n_heads, 24);
}

TEST(ConfigRelaxedJson, RewritesOnlyBareTokens) {
  const std::string in =
      R"({"a": Infinity, "b": -Infinity, "c": NaN, "s": "Infinity \" NaN", "Infinity": [1,-Infinity]})";
  const nlohmann::json j = parse_relaxed_json(in, "x");
  double v;
  ASSERT_TRUE(json_to_double(j["a"], v));
  EXPECT_TRUE(std::isinf(v) && v > 0);
  ASSERT_TRUE(json_to_double(j["b"], v));
  EXPECT_TRUE(std::isinf(v) && v < 0);
  ASSERT_TRUE(json_to_double(j["c"], v));
  EXPECT_TRUE(std::isnan(v));
  EXPECT_EQ(j["s"], "Infinity \" NaN");
  ASSERT_TRUE(json_to_double(j["Infinity"][1], v));
  EXPECT_TRUE(std::isinf(v) && v < 0);
  // Part of a longer word is not the token.
  EXPECT_EQ(rewrite_nonfinite_tokens("[NaNa, Infinityx]"), "[NaNa, Infinityx]");
  EXPECT_FALSE(json_to_double(nlohmann::json::parse(R"({"__float__": "lots"})"), v));
  EXPECT_FALSE(json_to_double(nlohmann::json("1.0"), v));
}

}  // namespace
}  // namespace mamba
