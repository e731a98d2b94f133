#include "engine/model/json_relaxed.hpp"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "engine/model/errors.hpp"

namespace mamba {
namespace {

bool is_ident_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

// True if `word` starts at text[i] as a whole token.
bool token_at(const std::string& text, size_t i, const char* word, size_t len) {
  if (text.compare(i, len, word) != 0) return false;
  const bool left_ok = i == 0 || !is_ident_char(text[i - 1]);
  const bool right_ok = i + len >= text.size() || !is_ident_char(text[i + len]);
  return left_ok && right_ok;
}

}  // namespace

std::string rewrite_nonfinite_tokens(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      out += c;
      if (c == '\\' && i + 1 < text.size()) {
        out += text[++i];  // an escaped quote does not end the string
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
      out += c;
    } else if (c == '-' && token_at(text, i + 1, "Infinity", 8)) {
      out += R"({"__float__": "-Infinity"})";
      i += 8;
    } else if (token_at(text, i, "Infinity", 8)) {
      out += R"({"__float__": "Infinity"})";
      i += 7;
    } else if (token_at(text, i, "NaN", 3)) {
      out += R"({"__float__": "NaN"})";
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

nlohmann::json parse_relaxed_json(const std::string& text, const std::string& origin) {
  try {
    return nlohmann::json::parse(rewrite_nonfinite_tokens(text));
  } catch (const nlohmann::json::exception& e) {
    throw ModelError(origin + ": invalid JSON: " + e.what());
  }
}

bool json_to_double(const nlohmann::json& v, double& out) {
  if (v.is_number()) {
    out = v.get<double>();
    return true;
  }
  if (!v.is_object() || v.size() != 1) return false;
  auto it = v.find("__float__");
  if (it == v.end() || !it->is_string()) return false;
  const std::string s = it->get<std::string>();
  if (s == "Infinity" || s == "inf") {
    out = std::numeric_limits<double>::infinity();
  } else if (s == "-Infinity" || s == "-inf") {
    out = -std::numeric_limits<double>::infinity();
  } else if (s == "NaN" || s == "nan") {
    out = std::numeric_limits<double>::quiet_NaN();
  } else {
    char* end = nullptr;
    out = std::strtod(s.c_str(), &end);
    if (s.empty() || end != s.c_str() + s.size()) return false;
  }
  return true;
}

}  // namespace mamba
