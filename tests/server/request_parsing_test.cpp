// Parsing and validation of /v1/completions and /v1/chat/completions bodies into native values.
#include <gtest/gtest.h>

#include "server/api_error.hpp"
#include "server/chat_request.hpp"
#include "server/completion_request.hpp"

namespace mamba::server {
namespace {

using nlohmann::json;

RequestLimits limits() {
  RequestLimits l;
  l.served_model_name = "tiny";
  l.vocab_size = 1000;
  l.max_choices = 8;
  l.max_prompt_tokens = 100;
  l.max_model_len = 200;
  return l;
}

// The ApiError a body raises (fails the test if none).
ApiError completion_error(const json& body) {
  try {
    parse_completion_request(body, limits());
  } catch (const ApiError& e) {
    return e;
  }
  ADD_FAILURE() << "no error for " << body.dump();
  return ApiError(0, "", "");
}

ApiError chat_error(const json& body) {
  try {
    parse_chat_request(body, limits());
  } catch (const ApiError& e) {
    return e;
  }
  ADD_FAILURE() << "no error for " << body.dump();
  return ApiError(0, "", "");
}

TEST(CompletionRequest, Defaults) {
  const auto r = parse_completion_request({{"prompt", "hi"}}, limits());
  ASSERT_EQ(r.prompts.size(), 1u);
  EXPECT_EQ(*r.prompts[0].text, "hi");
  EXPECT_EQ(r.sampling.max_tokens, 16);
  EXPECT_FLOAT_EQ(r.sampling.temperature, 1.0f);
  EXPECT_EQ(r.n, 1);
  EXPECT_EQ(r.best_of, 1);
  EXPECT_EQ(r.logprobs, -1);
  EXPECT_EQ(r.sampling.logprobs, -1);
  EXPECT_FALSE(r.echo);
  EXPECT_FALSE(r.stream.stream);
  EXPECT_FALSE(r.sampling.seed.has_value());
}

TEST(CompletionRequest, PromptShapes) {
  auto r = parse_completion_request({{"prompt", {"a", "b"}}}, limits());
  ASSERT_EQ(r.prompts.size(), 2u);
  EXPECT_EQ(*r.prompts[1].text, "b");
  r = parse_completion_request({{"prompt", {1, 2, 3}}}, limits());
  ASSERT_EQ(r.prompts.size(), 1u);
  EXPECT_FALSE(r.prompts[0].text);
  EXPECT_EQ(r.prompts[0].tokens, (std::vector<int32_t>{1, 2, 3}));
  r = parse_completion_request({{"prompt", {{1, 2}, {3}}}}, limits());
  ASSERT_EQ(r.prompts.size(), 2u);
  EXPECT_EQ(r.prompts[1].tokens, (std::vector<int32_t>{3}));
}

TEST(CompletionRequest, AllFieldsParsed) {
  const json body = {{"model", "tiny"},
                     {"prompt", "x"},
                     {"max_tokens", 5},
                     {"temperature", 0.5},
                     {"top_p", 0.9},
                     {"top_k", 40},
                     {"min_p", 0.05},
                     {"n", 2},
                     {"best_of", 3},
                     {"stop", "\n"},
                     {"logprobs", 3},
                     {"echo", true},
                     {"presence_penalty", 0.5},
                     {"frequency_penalty", -0.5},
                     {"repetition_penalty", 1.1},
                     {"logit_bias", {{"5", -100}, {"7", 2.5}}},
                     {"seed", 42},
                     {"user", "me"},
                     {"ignore_eos", true},
                     {"min_tokens", 2},
                     {"some_unknown_field", {1, 2}}};
  const auto r = parse_completion_request(body, limits());
  EXPECT_EQ(r.sampling.max_tokens, 5);
  EXPECT_FLOAT_EQ(r.sampling.temperature, 0.5f);
  EXPECT_FLOAT_EQ(r.sampling.top_p, 0.9f);
  EXPECT_EQ(r.sampling.top_k, 40);
  EXPECT_FLOAT_EQ(r.sampling.min_p, 0.05f);
  EXPECT_EQ(r.n, 2);
  EXPECT_EQ(r.best_of, 3);
  EXPECT_EQ(r.sampling.stop, (std::vector<std::string>{"\n"}));
  EXPECT_EQ(r.logprobs, 3);
  EXPECT_EQ(r.sampling.logprobs, 3);
  EXPECT_TRUE(r.sampling.prompt_logprobs);  // echo + logprobs
  EXPECT_FLOAT_EQ(r.sampling.presence_penalty, 0.5f);
  EXPECT_FLOAT_EQ(r.sampling.frequency_penalty, -0.5f);
  EXPECT_FLOAT_EQ(r.sampling.repetition_penalty, 1.1f);
  ASSERT_EQ(r.sampling.logit_bias.size(), 2u);
  EXPECT_EQ(r.sampling.logit_bias[0], (std::pair<int32_t, float>{5, -100.0f}));
  EXPECT_EQ(*r.sampling.seed, 42u);
  EXPECT_TRUE(r.sampling.ignore_eos);
  EXPECT_EQ(r.sampling.min_tokens, 2);
}

TEST(CompletionRequest, NullMeansDefault) {
  const auto r = parse_completion_request(
      {{"prompt", "x"}, {"max_tokens", nullptr}, {"temperature", nullptr}, {"stop", nullptr}},
      limits());
  EXPECT_EQ(r.sampling.max_tokens, 16);
  EXPECT_FLOAT_EQ(r.sampling.temperature, 1.0f);
}

TEST(CompletionRequest, EchoWithLogprobsAndZeroMaxTokens) {
  const auto r = parse_completion_request(
      {{"prompt", "x"}, {"echo", true}, {"logprobs", 0}, {"max_tokens", 0}}, limits());
  EXPECT_EQ(r.sampling.max_tokens, 0);
  EXPECT_TRUE(r.sampling.prompt_logprobs);
  EXPECT_EQ(r.sampling.logprobs, 0);
}

struct BadField {
  json body;
  std::string param;
};

TEST(CompletionRequest, OutOfRangeParametersNameTheParam) {
  const std::vector<BadField> cases = {
      {{{"prompt", "x"}, {"temperature", 2.5}}, "temperature"},
      {{{"prompt", "x"}, {"temperature", -0.1}}, "temperature"},
      {{{"prompt", "x"}, {"temperature", "hot"}}, "temperature"},
      {{{"prompt", "x"}, {"top_p", 0}}, "top_p"},
      {{{"prompt", "x"}, {"top_p", 1.5}}, "top_p"},
      {{{"prompt", "x"}, {"top_k", -2}}, "top_k"},
      {{{"prompt", "x"}, {"min_p", 1.5}}, "min_p"},
      {{{"prompt", "x"}, {"n", 0}}, "n"},
      {{{"prompt", "x"}, {"n", 9}}, "n"},  // more than the slots
      {{{"prompt", "x"}, {"n", 1.5}}, "n"},
      {{{"prompt", "x"}, {"n", 3}, {"best_of", 2}}, "best_of"},
      {{{"prompt", "x"}, {"best_of", 2}, {"stream", true}}, "best_of"},
      {{{"prompt", "x"}, {"logprobs", 21}}, "logprobs"},
      {{{"prompt", "x"}, {"logprobs", -1}}, "logprobs"},
      {{{"prompt", "x"}, {"max_tokens", -1}}, "max_tokens"},
      {{{"prompt", "x"}, {"max_tokens", "10"}}, "max_tokens"},
      {{{"prompt", "x"}, {"presence_penalty", 2.1}}, "presence_penalty"},
      {{{"prompt", "x"}, {"frequency_penalty", -3}}, "frequency_penalty"},
      {{{"prompt", "x"}, {"repetition_penalty", 0}}, "repetition_penalty"},
      {{{"prompt", "x"}, {"logit_bias", {{"abc", 1}}}}, "logit_bias"},
      {{{"prompt", "x"}, {"logit_bias", {{"1000", 1}}}}, "logit_bias"},
      {{{"prompt", "x"}, {"logit_bias", {{"-1", 1}}}}, "logit_bias"},
      {{{"prompt", "x"}, {"logit_bias", {{"5", 101}}}}, "logit_bias"},
      {{{"prompt", "x"}, {"logit_bias", {1, 2}}}, "logit_bias"},
      {{{"prompt", "x"}, {"stop", 5}}, "stop"},
      {{{"prompt", "x"}, {"stop", {"a", 1}}}, "stop"},
      {{{"prompt", "x"}, {"stop", ""}}, "stop"},
      {{{"prompt", "x"}, {"seed", "abc"}}, "seed"},
      {{{"prompt", "x"}, {"echo", "yes"}}, "echo"},
      {{{"prompt", "x"}, {"stream", 1}}, "stream"},
      {{{"prompt", "x"}, {"stream_options", {{"include_usage", true}}}}, "stream_options"},
      {{{"prompt", "x"}, {"stream", true}, {"stream_options", {{"include_usage", 1}}}},
       "stream_options.include_usage"},
      {{{"prompt", "x"}, {"min_tokens", 20}}, "min_tokens"},
      {{{"prompt", "x"}, {"user", 5}}, "user"},
      {{{"prompt", "x"}, {"suffix", "tail"}}, "suffix"},
      {{{"prompt", "x"}, {"stop_token_ids", {5000}}}, "stop_token_ids"},
      {json::object(), "prompt"},
      {{{"prompt", 5}}, "prompt"},
      {{{"prompt", json::array()}}, "prompt"},
      {{{"prompt", {1, 1000}}}, "prompt"},
      {{{"prompt", {1, -1}}}, "prompt"},
      {{{"prompt", {"a", 1}}}, "prompt"},
      {{{"prompt", {json::array()}}}, "prompt"},
      {{{"prompt", {{1}, "a"}}}, "prompt"},
  };
  for (const auto& c : cases) {
    const ApiError e = completion_error(c.body);
    EXPECT_EQ(e.status, 400) << c.body.dump();
    EXPECT_EQ(e.type, "invalid_request_error") << c.body.dump();
    EXPECT_EQ(e.param.value_or("<none>"), c.param) << c.body.dump() << ": " << e.what();
  }
}

TEST(CompletionRequest, BodyMustBeAnObject) {
  const ApiError e = completion_error(json::array({1}));
  EXPECT_EQ(e.status, 400);
}

TEST(CompletionRequest, OtherModelIs404) {
  const ApiError e = completion_error({{"prompt", "x"}, {"model", "gpt-4"}});
  EXPECT_EQ(e.status, 404);
  EXPECT_EQ(e.code.value_or(""), "model_not_found");
  EXPECT_EQ(e.param.value_or(""), "model");
}

TEST(CompletionRequest, ErrorJsonHasOpenAIShape) {
  const json j = error_json(completion_error({{"prompt", "x"}, {"top_p", 2}}));
  ASSERT_TRUE(j.contains("error"));
  const auto& e = j["error"];
  EXPECT_TRUE(e["message"].is_string());
  EXPECT_EQ(e["type"], "invalid_request_error");
  EXPECT_EQ(e["param"], "top_p");
  EXPECT_TRUE(e["code"].is_null());
  EXPECT_EQ(e.size(), 4u);
}

TEST(ChatRequest, MessagesAndOptions) {
  const json body = {
      {"model", "tiny"},
      {"messages",
       {{{"role", "system"}, {"content", "Be brief."}},
        {{"role", "user"},
         {"content", {{{"type", "text"}, {"text", "a"}}, {{"type", "text"}, {"text", "b"}}}}},
        {{"role", "assistant"}, {"content", nullptr}},
        {{"role", "developer"}, {"content", "dev"}}}},
      {"max_completion_tokens", 7},
      {"logprobs", true},
      {"top_logprobs", 2},
      {"n", 2},
      {"stream", true},
      {"stream_options", {{"include_usage", true}}}};
  const auto r = parse_chat_request(body, limits());
  ASSERT_EQ(r.messages.size(), 4u);
  EXPECT_EQ(r.messages[1].content, "a\nb");
  EXPECT_EQ(r.messages[2].content, "");
  EXPECT_EQ(r.messages[3].role, "system");
  EXPECT_EQ(r.sampling.max_tokens, 7);
  EXPECT_TRUE(r.max_tokens_given);
  EXPECT_EQ(r.sampling.logprobs, 2);
  EXPECT_EQ(r.n, 2);
  EXPECT_TRUE(r.stream.include_usage);
}

TEST(ChatRequest, NoMaxTokensLeavesItToTheRoute) {
  const auto r =
      parse_chat_request({{"messages", {{{"role", "user"}, {"content", "x"}}}}}, limits());
  EXPECT_FALSE(r.max_tokens_given);
  EXPECT_EQ(r.sampling.logprobs, -1);
}

TEST(ChatRequest, InvalidFieldsNameTheParam) {
  const json user = {{"role", "user"}, {"content", "x"}};
  const std::vector<BadField> cases = {
      {json::object(), "messages"},
      {{{"messages", json::array()}}, "messages"},
      {{{"messages", "hi"}}, "messages"},
      {{{"messages", {5}}}, "messages[0]"},
      {{{"messages", {{{"content", "x"}}}}}, "messages[0].role"},
      {{{"messages", {user, {{"role", "tool"}, {"content", "x"}}}}}, "messages[1].role"},
      {{{"messages", {{{"role", "user"}}}}}, "messages[0].content"},
      {{{"messages", {{{"role", "user"}, {"content", 5}}}}}, "messages[0].content"},
      {{{"messages", {{{"role", "user"}, {"content", {{{"type", "image_url"}}}}}}}},
       "messages[0].content"},
      {{{"messages", {user}}, {"top_logprobs", 2}}, "top_logprobs"},
      {{{"messages", {user}}, {"logprobs", true}, {"top_logprobs", 21}}, "top_logprobs"},
      {{{"messages", {user}}, {"max_tokens", 0}}, "max_tokens"},
      {{{"messages", {user}}, {"max_completion_tokens", -5}}, "max_completion_tokens"},
      {{{"messages", {user}}, {"temperature", 3}}, "temperature"},
      {{{"messages", {user}}, {"n", 100}}, "n"},
  };
  for (const auto& c : cases) {
    const ApiError e = chat_error(c.body);
    EXPECT_EQ(e.status, 400) << c.body.dump();
    EXPECT_EQ(e.param.value_or("<none>"), c.param) << c.body.dump() << ": " << e.what();
  }
}

}  // namespace
}  // namespace mamba::server
