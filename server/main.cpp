// mamba-server: the OpenAI-compatible HTTP server. Parses options, starts listening, loads the
// model in the background, and turns SIGTERM/SIGINT into a graceful drain (a second signal ends
// running streams at once).
#include <semaphore.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <iostream>
#include <thread>

#include "server/api_server.hpp"
#include "server/server_options.hpp"

namespace {

sem_t g_signal_sem;
volatile sig_atomic_t g_last_signal = 0;

void on_signal(int sig) {
  g_last_signal = sig;
  sem_post(&g_signal_sem);  // async-signal-safe
}

void wait_for_signal() {
  while (sem_wait(&g_signal_sem) != 0) {
  }
}

}  // namespace

int main(int argc, char** argv) {
  using namespace mamba::server;
  ParsedArgs args;
  try {
    args = parse_server_args(std::vector<std::string>(argv + 1, argv + argc));
  } catch (const OptionsError& e) {
    std::cerr << "mamba-server: " << e.what() << "\n(run mamba-server --help for the options)\n";
    return 2;
  }
  if (args.help) {
    std::cout << server_usage();
    return 0;
  }
  const ServerOptions& options = args.options;
  spdlog::set_level(spdlog::level::from_str(options.log_level));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");

  // SIGTERM/SIGINT only post a semaphore; a normal thread does the shutdown. (Blocking the
  // signals instead is not enough: libraries start threads of their own before main.) A client
  // that disconnects must not kill the process through SIGPIPE.
  signal(SIGPIPE, SIG_IGN);
  sem_init(&g_signal_sem, 0, 0);
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);

  std::unique_ptr<ApiServer> server;
  try {
    server = std::make_unique<ApiServer>(options);
    server->bind();
  } catch (const std::exception& e) {
    spdlog::critical("{}", e.what());
    return 1;
  }
  server->start_loading([] { kill(getpid(), SIGTERM); });

  std::thread signal_thread([&] {
    wait_for_signal();
    spdlog::info("received {}: draining", g_last_signal == SIGINT ? "SIGINT" : "SIGTERM");
    std::thread([&] {
      wait_for_signal();
      spdlog::warn("received a second signal: ending running requests now");
      server->force_stop();
    }).detach();
    server->shutdown();
  });

  server->serve();
  const int code = server->load_failed() ? 1 : 0;
  if (!server->stopping()) kill(getpid(), SIGTERM);  // the listener failed on its own
  signal_thread.join();
  server.reset();
  spdlog::info("stopped");
  std::fflush(nullptr);
  _exit(code);
}
