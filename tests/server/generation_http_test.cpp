// /v1/completions and /v1/chat/completions against the real binary: answers, streamed or not,
// agree with the engine run directly; usage, logprobs, echo and framing are right.
#include <gtest/gtest.h>

#include "server/chat_template.hpp"
#include "tests/server/server_fixture.hpp"

namespace mamba::server::testing {
namespace {

using nlohmann::json;

// Text of every choice index across a completions stream; checks the shape of each chunk.
std::map<int, std::string> stream_texts(const SseStream& s,
                                        std::map<int, std::string>* finish = nullptr) {
  std::map<int, std::string> texts;
  for (const auto& e : s.events()) {
    EXPECT_EQ(e["object"], "text_completion");
    EXPECT_TRUE(e["id"].get<std::string>().rfind("cmpl-", 0) == 0);
    for (const auto& c : e["choices"]) {
      texts[c["index"].get<int>()] += c["text"].get<std::string>();
      if (finish && !c["finish_reason"].is_null()) (*finish)[c["index"]] = c["finish_reason"];
    }
  }
  return texts;
}

TEST_F(ServerTest, HealthModelsTokenize) {
  auto c = server_->client();
  auto h = c.Get("/health");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->status, 200);
  EXPECT_EQ(json::parse(h->body), (json{{"status", "ok"}}));
  auto m = c.Get("/v1/models");
  ASSERT_TRUE(m);
  const json models = json::parse(m->body);
  EXPECT_EQ(models["object"], "list");
  EXPECT_EQ(models["data"][0]["id"], "model");
  EXPECT_EQ(models["data"][0]["object"], "model");

  const json t = post_json("/tokenize", {{"prompt", "Hello world"}, {"add_special_tokens", true}});
  EXPECT_EQ(t["tokens"], json(direct_->tokenizer().encode("Hello world")));
  EXPECT_EQ(t["count"], t["tokens"].size());
  EXPECT_EQ(t["max_model_len"], 16384);
  const json d = post_json("/detokenize", {{"tokens", t["tokens"]}});
  EXPECT_EQ(d["prompt"], "Hello world");
}

TEST_F(ServerTest, CompletionAgreesWithEngineStreamedOrNot) {
  const std::string prompt = "The quick brown fox";
  const auto ids = direct_->tokenizer().encode(prompt);
  SamplingParams p;
  p.temperature = 0.9f;
  p.top_p = 0.95f;
  p.max_tokens = 24;
  p.seed = 1234;
  p.logprobs = 2;
  const DirectResult want = direct_->run(ids, p);
  ASSERT_EQ(want.completions.size(), 1u);

  const json body = {{"model", "model"},   {"prompt", prompt}, {"max_tokens", 24},
                     {"temperature", 0.9}, {"top_p", 0.95},    {"seed", 1234},
                     {"logprobs", 2}};
  const json r = post_json("/v1/completions", body);
  EXPECT_EQ(r["object"], "text_completion");
  EXPECT_EQ(r["model"], "model");
  EXPECT_TRUE(r["created"].is_number_integer());
  ASSERT_EQ(r["choices"].size(), 1u);
  const json& choice = r["choices"][0];
  EXPECT_EQ(choice["index"], 0);
  EXPECT_EQ(choice["text"], want.completions[0].text);
  EXPECT_EQ(choice["finish_reason"], want.completions[0].finish);
  const json& lp = choice["logprobs"];
  ASSERT_EQ(lp["tokens"].size(), want.completions[0].tokens.size());
  for (size_t i = 0; i < want.completions[0].tokens.size(); ++i) {
    EXPECT_EQ(lp["tokens"][i], direct_->tokenizer().piece(want.completions[0].tokens[i]));
    EXPECT_NEAR(lp["token_logprobs"][i].get<double>(), want.completions[0].logprobs[i], 1e-5);
    EXPECT_LE(lp["top_logprobs"][i].size(), 3u);
  }
  // text_offset: where each token's text starts, in characters, non-decreasing from 0.
  EXPECT_EQ(lp["text_offset"][0], 0);
  for (size_t i = 1; i < lp["text_offset"].size(); ++i) {
    EXPECT_GE(lp["text_offset"][i], lp["text_offset"][i - 1]);
  }
  EXPECT_EQ(r["usage"]["prompt_tokens"], ids.size());
  EXPECT_EQ(r["usage"]["completion_tokens"], want.completions[0].completion_tokens);
  EXPECT_EQ(r["usage"]["total_tokens"], ids.size() + want.completions[0].completion_tokens);

  json sbody = body;
  sbody["stream"] = true;
  sbody["stream_options"] = {{"include_usage", true}};
  const SseStream s = post_stream("/v1/completions", sbody);
  std::map<int, std::string> finish;
  EXPECT_EQ(stream_texts(s, &finish)[0], want.completions[0].text);
  EXPECT_EQ(finish[0], want.completions[0].finish);
  const auto events = s.events();
  const json& usage = events.back();
  EXPECT_TRUE(usage["choices"].empty());
  EXPECT_EQ(usage["usage"]["prompt_tokens"], ids.size());
  EXPECT_EQ(usage["usage"]["completion_tokens"], want.completions[0].completion_tokens);
  for (size_t i = 0; i + 1 < events.size(); ++i) EXPECT_TRUE(events[i]["usage"].is_null());
}

TEST_F(ServerTest, ManyPromptsAndNIndexChoicesPerPromptThenN) {
  const std::vector<std::string> prompts = {"One", "Two two"};
  const json body = {
      {"prompt", prompts}, {"n", 2}, {"max_tokens", 6}, {"seed", 5}, {"temperature", 1.0}};
  const json r = post_json("/v1/completions", body);
  ASSERT_EQ(r["choices"].size(), 4u);
  int completion_tokens = 0;
  for (size_t pi = 0; pi < prompts.size(); ++pi) {
    SamplingParams p;
    p.n = 2;
    p.max_tokens = 6;
    p.seed = 5;
    const auto want = direct_->run(direct_->tokenizer().encode(prompts[pi]), p);
    for (int i = 0; i < 2; ++i) {
      const json& c = r["choices"][pi * 2 + i];
      EXPECT_EQ(c["index"], pi * 2 + i);
      EXPECT_EQ(c["text"], want.completions[i].text) << "prompt " << pi << " choice " << i;
      completion_tokens += want.completions[i].completion_tokens;
    }
  }
  EXPECT_EQ(r["usage"]["completion_tokens"], completion_tokens);
  json sbody = body;
  sbody["stream"] = true;
  const auto texts = stream_texts(post_stream("/v1/completions", sbody));
  ASSERT_EQ(texts.size(), 4u);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(texts.at(i), r["choices"][i]["text"]) << i;
}

TEST_F(ServerTest, TokenIdPromptsAndGreedy) {
  const std::vector<int32_t> ids = {510, 3158, 8516, 30013};
  SamplingParams p;
  p.temperature = 0;
  p.max_tokens = 10;
  const auto want = direct_->run(ids, p);
  const json r = post_json("/v1/completions",
                           {{"prompt", {ids, ids}}, {"temperature", 0}, {"max_tokens", 10}});
  ASSERT_EQ(r["choices"].size(), 2u);
  EXPECT_EQ(r["choices"][0]["text"], want.completions[0].text);
  EXPECT_EQ(r["choices"][1]["text"], want.completions[0].text);
  EXPECT_EQ(r["usage"]["prompt_tokens"], 2 * ids.size());
}

TEST_F(ServerTest, BestOfReturnsTheHighestCumulativeLogprob) {
  const std::string prompt = "Once upon a time";
  SamplingParams p;
  p.n = 4;
  p.max_tokens = 8;
  p.seed = 77;
  p.logprobs = 0;
  const auto want = direct_->run(direct_->tokenizer().encode(prompt), p);
  size_t best = 0;
  double best_sum = -1e300;
  for (size_t i = 0; i < want.completions.size(); ++i) {
    double sum = 0;
    for (float lp : want.completions[i].logprobs) sum += lp;
    if (sum > best_sum) {
      best_sum = sum;
      best = i;
    }
  }
  const json r = post_json("/v1/completions",
                           {{"prompt", prompt}, {"best_of", 4}, {"max_tokens", 8}, {"seed", 77}});
  ASSERT_EQ(r["choices"].size(), 1u);
  EXPECT_EQ(r["choices"][0]["text"], want.completions[best].text);
  EXPECT_TRUE(r["choices"][0]["logprobs"].is_null());  // not asked for
  EXPECT_EQ(r["usage"]["completion_tokens"], 32);      // all best_of completions count
}

TEST_F(ServerTest, EchoLogprobsMaxTokensZeroGivesPromptLikelihood) {
  const std::string prompt = "The capital of France is Paris.";
  const auto ids = direct_->tokenizer().encode(prompt);
  SamplingParams p;
  p.max_tokens = 0;
  p.logprobs = 1;
  p.prompt_logprobs = true;
  const auto want = direct_->run(ids, p);
  ASSERT_EQ(want.prompt_logprobs.size(), ids.size() - 1);

  const json r = post_json(
      "/v1/completions", {{"prompt", prompt}, {"echo", true}, {"logprobs", 1}, {"max_tokens", 0}});
  const json& c = r["choices"][0];
  EXPECT_EQ(c["text"], prompt);
  const json& lp = c["logprobs"];
  ASSERT_EQ(lp["tokens"].size(), ids.size());
  EXPECT_TRUE(lp["token_logprobs"][0].is_null());
  EXPECT_TRUE(lp["top_logprobs"][0].is_null());
  double server_sum = 0, direct_sum = 0;
  for (size_t i = 1; i < ids.size(); ++i) {
    server_sum += lp["token_logprobs"][i].get<double>();
    direct_sum += want.prompt_logprobs[i - 1].logprob;
    EXPECT_NEAR(lp["token_logprobs"][i].get<double>(), want.prompt_logprobs[i - 1].logprob, 1e-5);
  }
  EXPECT_NEAR(server_sum, direct_sum, 1e-4);
  // Offsets index the echoed prompt: each token's piece is found where its offset says.
  for (size_t i = 0; i < ids.size(); ++i) {
    const std::string piece = lp["tokens"][i];
    EXPECT_EQ(prompt.substr(lp["text_offset"][i].get<size_t>(), piece.size()), piece) << i;
  }
  EXPECT_EQ(r["usage"]["completion_tokens"], 0);
  EXPECT_EQ(r["usage"]["prompt_tokens"], ids.size());

  // Streamed: the echo chunk carries the same prompt logprobs.
  const SseStream s = post_stream(
      "/v1/completions",
      {{"prompt", prompt}, {"echo", true}, {"logprobs", 1}, {"max_tokens", 0}, {"stream", true}});
  const auto events = s.events();
  ASSERT_GE(events.size(), 1u);
  EXPECT_EQ(events[0]["choices"][0]["text"], prompt);
  EXPECT_EQ(events[0]["choices"][0]["logprobs"]["token_logprobs"], lp["token_logprobs"]);
}

TEST_F(ServerTest, StopStringsEndTheCompletion) {
  // Greedy text first, then a stop string taken from its middle.
  const json greedy =
      post_json("/v1/completions", {{"prompt", "Hello"}, {"temperature", 0}, {"max_tokens", 20}});
  const std::string text = greedy["choices"][0]["text"];
  ASSERT_GE(text.size(), 6u);
  const std::string stop = text.substr(text.size() / 2, 2);
  const json r =
      post_json("/v1/completions",
                {{"prompt", "Hello"}, {"temperature", 0}, {"max_tokens", 20}, {"stop", {stop}}});
  EXPECT_EQ(r["choices"][0]["finish_reason"], "stop");
  EXPECT_EQ(r["choices"][0]["text"], text.substr(0, text.find(stop)));
}

TEST_F(ServerTest, ChatAgreesWithEngineStreamedOrNot) {
  const std::vector<ChatMessage> messages = {{"system", "You are terse."},
                                             {"user", "Name a colour."}};
  const ChatTemplate tpl = builtin_chat_template("plain");
  const std::string rendered = render_chat(tpl, messages, "", "");
  const auto ids = direct_->tokenizer().encode(rendered);
  SamplingParams p;
  p.max_tokens = 16;
  p.seed = 99;
  p.temperature = 0.7f;
  p.stop = chat_stop_strings(tpl, "", "");
  const auto want = direct_->run(ids, p);

  const json body = {{"model", "model"},
                     {"messages",
                      {{{"role", "system"}, {"content", "You are terse."}},
                       {{"role", "user"}, {"content", "Name a colour."}}}},
                     {"max_tokens", 16},
                     {"seed", 99},
                     {"temperature", 0.7}};
  const json r = post_json("/v1/chat/completions", body);
  EXPECT_EQ(r["object"], "chat.completion");
  EXPECT_TRUE(r["id"].get<std::string>().rfind("chatcmpl-", 0) == 0);
  EXPECT_EQ(r["choices"][0]["message"]["role"], "assistant");
  EXPECT_EQ(r["choices"][0]["message"]["content"], want.completions[0].text);
  EXPECT_EQ(r["choices"][0]["finish_reason"], want.completions[0].finish);
  EXPECT_EQ(r["usage"]["prompt_tokens"], ids.size());
  EXPECT_EQ(r["usage"]["completion_tokens"], want.completions[0].completion_tokens);

  json sbody = body;
  sbody["stream"] = true;
  sbody["stream_options"] = {{"include_usage", true}};
  const auto events = post_stream("/v1/chat/completions", sbody).events();
  ASSERT_GE(events.size(), 3u);
  EXPECT_EQ(events[0]["object"], "chat.completion.chunk");
  EXPECT_EQ(events[0]["choices"][0]["delta"]["role"], "assistant");  // role first
  std::string content;
  std::string finish;
  for (size_t i = 0; i + 1 < events.size(); ++i) {
    const json& c = events[i]["choices"][0];
    if (i > 0) {
      EXPECT_FALSE(c["delta"].contains("role"));
    }
    if (c["delta"].contains("content")) content += c["delta"]["content"].get<std::string>();
    if (!c["finish_reason"].is_null()) finish = c["finish_reason"];
  }
  EXPECT_EQ(content, want.completions[0].text);
  EXPECT_EQ(finish, want.completions[0].finish);
  EXPECT_TRUE(events.back()["choices"].empty());
  EXPECT_EQ(events.back()["usage"]["completion_tokens"], want.completions[0].completion_tokens);
}

TEST_F(ServerTest, ChatLogprobs) {
  const json r =
      post_json("/v1/chat/completions", {{"messages", {{{"role", "user"}, {"content", "hi"}}}},
                                         {"max_tokens", 5},
                                         {"logprobs", true},
                                         {"top_logprobs", 3},
                                         {"seed", 1}});
  const json& content = r["choices"][0]["logprobs"]["content"];
  ASSERT_EQ(content.size(), r["usage"]["completion_tokens"].get<size_t>());
  for (const auto& entry : content) {
    EXPECT_TRUE(entry["token"].is_string());
    EXPECT_LE(entry["logprob"].get<double>(), 0.0);
    EXPECT_TRUE(entry["bytes"].is_array());
    EXPECT_EQ(entry["top_logprobs"].size(), 3u);
  }
}

// Random byte-level tokens are often partial UTF-8: the stream holds them back, never fails, and
// ends with the same text as the whole response.
TEST_F(ServerTest, PartialUtf8TokensStreamWithoutErrors) {
  int replacement_or_multibyte = 0;
  for (int seed = 0; seed < 12; ++seed) {
    const json body = {
        {"prompt", "日本語のテキスト"}, {"max_tokens", 40}, {"temperature", 2.0}, {"seed", seed}};
    const json whole = post_json("/v1/completions", body);
    json sbody = body;
    sbody["stream"] = true;
    const SseStream s = post_stream("/v1/completions", sbody);
    EXPECT_EQ(stream_texts(s)[0], whole["choices"][0]["text"]) << "seed " << seed;
    const std::string text = whole["choices"][0]["text"];
    for (unsigned char ch : text) replacement_or_multibyte += ch >= 0x80;
  }
  EXPECT_GT(replacement_or_multibyte, 0) << "the test model never produced non-ASCII text";
  EXPECT_EQ(
      metric_value(metrics(), "mamba_requests_total{endpoint=\"/v1/completions\",status=\"500\"}"),
      -1);
}

}  // namespace
}  // namespace mamba::server::testing

namespace mamba::server::testing {
namespace {

TEST_F(ServerTest, NextTurnOfAConversationHitsThePrefixCache) {
  const std::string first = "User: tell me a story about a dragon and a knight.\nAssistant:";
  const json a =
      post_json("/v1/completions", {{"prompt", first}, {"max_tokens", 8}, {"temperature", 0}});
  EXPECT_EQ(a["usage"]["prompt_tokens_details"]["cached_tokens"], 0);
  const double hits_before = metric_value(metrics(), "mamba_prefix_cache_hits_total");
  const std::string second =
      first + a["choices"][0]["text"].get<std::string>() + "\nUser: and then?\nAssistant:";
  const json b =
      post_json("/v1/completions", {{"prompt", second}, {"max_tokens", 12}, {"temperature", 0}});
  const int cached = b["usage"]["prompt_tokens_details"]["cached_tokens"];
  EXPECT_GE(cached, static_cast<int>(direct_->tokenizer().encode(first).size()));
  EXPECT_LT(cached, b["usage"]["prompt_tokens"].get<int>());
  EXPECT_GT(metric_value(metrics(), "mamba_prefix_cache_hits_total"), hits_before);
  EXPECT_GT(metric_value(metrics(), "mamba_prefix_cache_bytes"), 0);
  // The warm continuation is the cold one.
  SamplingParams p;
  p.temperature = 0.0f;
  p.max_tokens = 12;
  const DirectResult cold = direct_->run(direct_->tokenizer().encode(second), p);
  EXPECT_EQ(b["choices"][0]["text"], cold.completions[0].text);
}

}  // namespace
}  // namespace mamba::server::testing
