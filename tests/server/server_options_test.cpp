// mamba-server options: command line, config file, precedence, and the shipped config files.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "server/chat_template.hpp"
#include "server/server_options.hpp"

namespace mamba::server {
namespace {

std::filesystem::path write_temp(const std::string& name, const std::string& text) {
  const auto p = std::filesystem::temp_directory_path() / name;
  std::ofstream(p) << text;
  return p;
}

TEST(ServerOptions, CommandLine) {
  const auto a = parse_server_args({"--model", "m", "--host", "0.0.0.0", "--port=9000", "--slots",
                                    "4", "--api-key", "k", "--threads", "2", "--served-model-name",
                                    "name", "--chat-template", "zephyr"});
  EXPECT_FALSE(a.help);
  EXPECT_EQ(a.options.model, "m");
  EXPECT_EQ(a.options.host, "0.0.0.0");
  EXPECT_EQ(a.options.port, 9000);
  EXPECT_EQ(a.options.slots, 4);
  EXPECT_EQ(a.options.api_key, "k");
  EXPECT_EQ(a.options.threads, 2);
  EXPECT_EQ(a.options.served_model_name, "name");
  EXPECT_EQ(a.options.chat_template, "zephyr");
}

TEST(ServerOptions, ConfigFileThenCommandLineWins) {
  const auto cfg = write_temp("mamba-server-options-test.json",
                              R"({"model": "from-config", "port": 7000, "slots": 3,
                                  // comments are allowed
                                  "chat_template": {"base": "plain", "user_prefix": "Q: "}})");
  const auto a = parse_server_args({"--port", "7001", "--config", cfg.string()});
  EXPECT_EQ(a.options.model, "from-config");
  EXPECT_EQ(a.options.port, 7001);  // the command line wins, wherever --config appears
  EXPECT_EQ(a.options.slots, 3);
  EXPECT_TRUE(a.options.chat_template.is_object());
  EXPECT_EQ(a.options.config, cfg.string());
}

TEST(ServerOptions, Errors) {
  EXPECT_THROW(parse_server_args({"--port", "1"}), OptionsError);  // no model
  EXPECT_THROW(parse_server_args({"--model", "m", "--port", "x"}), OptionsError);
  EXPECT_THROW(parse_server_args({"--model", "m", "--port", "70000"}), OptionsError);
  EXPECT_THROW(parse_server_args({"--model", "m", "--slots", "0"}), OptionsError);
  EXPECT_THROW(parse_server_args({"--model", "m", "--bogus", "1"}), OptionsError);
  EXPECT_THROW(parse_server_args({"--model"}), OptionsError);
  EXPECT_THROW(parse_server_args({"--model", "m", "stray"}), OptionsError);
  EXPECT_THROW(parse_server_args({"--model", "m", "--config", "/nonexistent/x.json"}),
               OptionsError);
  const auto bad_key = write_temp("mamba-server-options-bad.json", R"({"modle": "x"})");
  EXPECT_THROW(parse_server_args({"--model", "m", "--config", bad_key.string()}), OptionsError);
  const auto bad_type = write_temp("mamba-server-options-type.json", R"({"port": "80"})");
  EXPECT_THROW(parse_server_args({"--model", "m", "--config", bad_type.string()}), OptionsError);
  const auto bad_json = write_temp("mamba-server-options-json.json", R"({"port": )");
  EXPECT_THROW(parse_server_args({"--model", "m", "--config", bad_json.string()}), OptionsError);
}

TEST(ServerOptions, HelpNeedsNothingElse) {
  EXPECT_TRUE(parse_server_args({"--help"}).help);
  const std::string usage = server_usage();
  for (const char* flag : {"--model", "--host", "--port", "--slots", "--config", "--api-key",
                           "--threads", "--served-model-name"}) {
    EXPECT_NE(usage.find(flag), std::string::npos) << flag;
  }
}

TEST(ServerOptions, ShippedConfigsAreValid) {
  const auto dir = std::filesystem::path(MAMBA_SOURCE_DIR) / "config";
  int seen = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".json") continue;
    ++seen;
    const auto a = parse_server_args({"--model", "m", "--config", entry.path().string()});
    EXPECT_NO_THROW(chat_template_from_json(a.options.chat_template)) << entry.path();
  }
  EXPECT_GE(seen, 2);
}

TEST(ServerOptions, DefaultConfigMatchesBuiltInDefaults) {
  const auto a = parse_server_args(
      {"--config",
       (std::filesystem::path(MAMBA_SOURCE_DIR) / "config" / "mamba-server.json").string(),
       "--model", "m"});
  ServerOptions defaults;
  EXPECT_EQ(a.options.host, defaults.host);
  EXPECT_EQ(a.options.port, defaults.port);
  EXPECT_EQ(a.options.slots, defaults.slots);
  EXPECT_EQ(a.options.max_waiting, defaults.max_waiting);
  EXPECT_EQ(a.options.max_model_len, defaults.max_model_len);
  EXPECT_EQ(a.options.max_body_bytes, defaults.max_body_bytes);
  EXPECT_EQ(a.options.chat_template, defaults.chat_template);
}

}  // namespace
}  // namespace mamba::server
