#include "server/chat_template.hpp"

#include <stdexcept>

namespace mamba::server {
namespace {

std::string substitute(std::string s, const std::string& bos, const std::string& eos) {
  for (const auto& [key, value] : {std::pair<std::string, const std::string&>{"{bos}", bos},
                                   std::pair<std::string, const std::string&>{"{eos}", eos}}) {
    for (size_t pos = s.find(key); pos != std::string::npos;
         pos = s.find(key, pos + value.size())) {
      s.replace(pos, key.size(), value);
    }
  }
  return s;
}

void read_string(const nlohmann::json& obj, const char* key, std::string& out) {
  auto it = obj.find(key);
  if (it == obj.end()) return;
  if (!it->is_string()) {
    throw std::invalid_argument(std::string("chat_template.") + key + " must be a string");
  }
  out = it->get<std::string>();
}

}  // namespace

std::vector<std::string> builtin_chat_template_names() {
  return {"plain", "zephyr"};
}

ChatTemplate builtin_chat_template(const std::string& name) {
  // Fields: name, begin, system prefix/suffix, user prefix/suffix, assistant prefix/suffix,
  // generation prompt, stop strings.
  if (name == "plain") {
    return ChatTemplate{"plain",       "",   "",           "\n\n",     "User: ", "\n",
                        "Assistant: ", "\n", "Assistant:", {"\nUser:"}};
  }
  if (name == "zephyr") {
    // The template of havenhq/mamba-chat (Zephyr's): every turn ends with the EOS token text.
    return ChatTemplate{"zephyr",          "",
                        "<|system|>\n",    "{eos}\n",
                        "<|user|>\n",      "{eos}\n",
                        "<|assistant|>\n", "{eos}\n",
                        "<|assistant|>\n", {"<|user|>", "<|system|>"}};
  }
  throw std::invalid_argument("unknown chat template \"" + name + "\" (built-in: plain, zephyr)");
}

ChatTemplate chat_template_from_json(const nlohmann::json& value) {
  if (value.is_string()) return builtin_chat_template(value.get<std::string>());
  if (!value.is_object()) {
    throw std::invalid_argument("chat_template must be a built-in name or an object");
  }
  ChatTemplate t;
  if (auto base = value.find("base"); base != value.end()) {
    if (!base->is_string()) throw std::invalid_argument("chat_template.base must be a string");
    t = builtin_chat_template(base->get<std::string>());
  }
  t.name = "custom";
  read_string(value, "name", t.name);
  read_string(value, "begin", t.begin);
  read_string(value, "system_prefix", t.system_prefix);
  read_string(value, "system_suffix", t.system_suffix);
  read_string(value, "user_prefix", t.user_prefix);
  read_string(value, "user_suffix", t.user_suffix);
  read_string(value, "assistant_prefix", t.assistant_prefix);
  read_string(value, "assistant_suffix", t.assistant_suffix);
  read_string(value, "generation_prompt", t.generation_prompt);
  if (auto stop = value.find("stop"); stop != value.end()) {
    if (!stop->is_array()) throw std::invalid_argument("chat_template.stop must be a list");
    t.stop.clear();
    for (const auto& s : *stop) {
      if (!s.is_string()) throw std::invalid_argument("chat_template.stop must hold strings");
      t.stop.push_back(s.get<std::string>());
    }
  }
  return t;
}

std::string render_chat(const ChatTemplate& tpl, const std::vector<ChatMessage>& messages,
                        const std::string& bos_text, const std::string& eos_text) {
  // Placeholders are replaced in the template's parts only, never in what users wrote.
  auto part = [&](const std::string& s) { return substitute(s, bos_text, eos_text); };
  std::string out = part(tpl.begin);
  for (const auto& m : messages) {
    if (m.role == "system") {
      out += part(tpl.system_prefix) + m.content + part(tpl.system_suffix);
    } else if (m.role == "user") {
      out += part(tpl.user_prefix) + m.content + part(tpl.user_suffix);
    } else {
      // A reply is generated after the generation prompt ("Assistant:"), so it usually starts
      // with the space the prefix also ends with. Clients send it back as they got it; keeping
      // one space makes the history read (and tokenize) as it was generated, which is what lets
      // the next turn restore the cached state of this one.
      std::string prefix = part(tpl.assistant_prefix);
      if (!prefix.empty() && prefix.back() == ' ' && !m.content.empty() && m.content[0] == ' ') {
        prefix.pop_back();
      }
      out += prefix + m.content + part(tpl.assistant_suffix);
    }
  }
  return out + part(tpl.generation_prompt);
}

std::vector<std::string> chat_stop_strings(const ChatTemplate& tpl, const std::string& bos_text,
                                           const std::string& eos_text) {
  std::vector<std::string> out;
  for (const auto& s : tpl.stop) {
    auto r = substitute(s, bos_text, eos_text);
    if (!r.empty()) out.push_back(std::move(r));
  }
  return out;
}

}  // namespace mamba::server
