// Chat templates: the built-in plain and Zephyr (mamba-chat) renderings, and templates from config.
#include <gtest/gtest.h>

#include "server/chat_template.hpp"

namespace mamba::server {
namespace {

const std::vector<ChatMessage> kConversation = {
    {"system", "Be brief."}, {"user", "Hi"}, {"assistant", "Hello."}, {"user", "2+2?"}};

TEST(ChatTemplate, Plain) {
  const auto t = builtin_chat_template("plain");
  EXPECT_EQ(render_chat(t, kConversation, "<s>", "</s>"),
            "Be brief.\n\nUser: Hi\nAssistant: Hello.\nUser: 2+2?\nAssistant:");
  EXPECT_EQ(chat_stop_strings(t, "<s>", "</s>"), (std::vector<std::string>{"\nUser:"}));
}

TEST(ChatTemplate, ZephyrAsMambaChat) {
  const auto t = builtin_chat_template("zephyr");
  EXPECT_EQ(render_chat(t, kConversation, "", "<|endoftext|>"),
            "<|system|>\nBe brief.<|endoftext|>\n<|user|>\nHi<|endoftext|>\n<|assistant|>\n"
            "Hello.<|endoftext|>\n<|user|>\n2+2?<|endoftext|>\n<|assistant|>\n");
}

TEST(ChatTemplate, PlaceholdersOnlyInTemplateParts) {
  const auto t = builtin_chat_template("zephyr");
  EXPECT_EQ(render_chat(t, {{"user", "say {eos}"}}, "", "E"),
            "<|user|>\nsay {eos}E\n<|assistant|>\n");
}

TEST(ChatTemplate, FromConfig) {
  EXPECT_EQ(chat_template_from_json("zephyr").name, "zephyr");
  const auto t = chat_template_from_json(nlohmann::json{{"name", "mine"},
                                                        {"begin", "{bos}"},
                                                        {"user_prefix", "Q: "},
                                                        {"user_suffix", "\n"},
                                                        {"generation_prompt", "A:"},
                                                        {"stop", {"Q:"}}});
  EXPECT_EQ(t.name, "mine");
  EXPECT_EQ(render_chat(t, {{"user", "x"}}, "<s>", "</s>"), "<s>Q: x\nA:");
  EXPECT_EQ(t.stop, (std::vector<std::string>{"Q:"}));
  const auto based =
      chat_template_from_json(nlohmann::json{{"base", "plain"}, {"user_prefix", "Me: "}});
  EXPECT_EQ(render_chat(based, {{"user", "x"}}, "", ""), "Me: x\nAssistant:");
}

TEST(ChatTemplate, BadConfigIsAnError) {
  EXPECT_THROW(chat_template_from_json("chatml-unknown"), std::invalid_argument);
  EXPECT_THROW(chat_template_from_json(5), std::invalid_argument);
  EXPECT_THROW(chat_template_from_json(nlohmann::json{{"user_prefix", 5}}), std::invalid_argument);
  EXPECT_THROW(chat_template_from_json(nlohmann::json{{"stop", "x"}}), std::invalid_argument);
}

}  // namespace
}  // namespace mamba::server

namespace mamba::server {
namespace {

TEST(ChatTemplate, AReplyThatStartsWithASpaceKeepsOneSpace) {
  const auto plain = builtin_chat_template("plain");
  EXPECT_EQ(render_chat(plain, {{"user", "Hi"}, {"assistant", " Hello."}, {"user", "Bye"}}, "", ""),
            render_chat(plain, {{"user", "Hi"}, {"assistant", "Hello."}, {"user", "Bye"}}, "", ""));
}

}  // namespace
}  // namespace mamba::server
