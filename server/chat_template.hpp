#pragma once
// Chat templates: how a conversation becomes one prompt string. A template is plain data (a prefix
// and suffix per role, a generation prompt, extra stop strings), chosen by name or given in full in
// the config file. "{bos}" and "{eos}" in any of its strings stand for the tokenizer's BOS/EOS
// text.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/chat_request.hpp"

namespace mamba::server {

struct ChatTemplate {
  std::string name;
  std::string begin;  // once, before the first message
  std::string system_prefix, system_suffix;
  std::string user_prefix, user_suffix;
  std::string assistant_prefix, assistant_suffix;
  std::string generation_prompt;  // after the last message: where the model's answer starts
  std::vector<std::string> stop;  // stop strings added to every chat request
};

// "plain" (User:/Assistant: turns) or "zephyr" (mamba-chat's <|user|> ... <|endoftext|> turns).
// Throws std::invalid_argument for another name.
ChatTemplate builtin_chat_template(const std::string& name);
std::vector<std::string> builtin_chat_template_names();

// A config value: a built-in name, or an object with the fields above ("name" optional; a "base"
// built-in name whose fields the object overrides). Throws std::invalid_argument on bad shape.
ChatTemplate chat_template_from_json(const nlohmann::json& value);

// The prompt for `messages`, with {bos}/{eos} replaced by the given texts.
std::string render_chat(const ChatTemplate& tpl, const std::vector<ChatMessage>& messages,
                        const std::string& bos_text, const std::string& eos_text);

// The template's stop strings with {bos}/{eos} replaced (empty results dropped).
std::vector<std::string> chat_stop_strings(const ChatTemplate& tpl, const std::string& bos_text,
                                           const std::string& eos_text);

}  // namespace mamba::server
