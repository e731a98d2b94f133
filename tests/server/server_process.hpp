#pragma once
// Runs the real mamba-server binary on a free loopback port for a test and stops it with SIGTERM.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>

namespace mamba::server::testing {

inline std::filesystem::path server_binary() {
  return std::filesystem::path(MAMBA_BINARY_DIR) / "mamba-server";
}

// A port nothing listens on right now (bound to 0, read back, released).
inline int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot bind a probe socket");
  }
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

class ServerProcess {
 public:
  // Starts `mamba-server --model DIR --host 127.0.0.1 --port P <extra>`, output to `log_file`.
  ServerProcess(const std::filesystem::path& model_dir, std::vector<std::string> extra,
                std::filesystem::path log_file)
      : port_(free_port()), log_file_(std::move(log_file)) {
    std::vector<std::string> args = {
        server_binary().string(), "--model", model_dir.string(), "--host", "127.0.0.1", "--port",
        std::to_string(port_)};
    args.insert(args.end(), extra.begin(), extra.end());
    pid_ = ::fork();
    if (pid_ == 0) {
      const int fd = ::open(log_file_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    if (pid_ < 0) throw std::runtime_error("fork failed");
  }

  ~ServerProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  int port() const { return port_; }
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(120);
    c.set_connection_timeout(5);
    return c;
  }

  // Waits until GET /health answers `status`; false on timeout or if the process died.
  bool wait_for_health(int status, std::chrono::seconds timeout = std::chrono::seconds(60)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (exited()) return false;
      auto c = client();
      c.set_connection_timeout(1);
      if (auto r = c.Get("/health"); r && r->status == status) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  // Sends `sig` and waits for the exit; returns the exit status, or -1 on timeout / signal death.
  int stop(int sig = SIGTERM, std::chrono::seconds timeout = std::chrono::seconds(60)) {
    ::kill(pid_, sig);
    return wait_exit(timeout);
  }
  int wait_exit(std::chrono::seconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      int st = 0;
      const pid_t r = ::waitpid(pid_, &st, WNOHANG);
      if (r == pid_) {
        pid_ = -1;
        exit_status_ = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
        return exit_status_;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return -1;
  }
  bool exited() {
    if (pid_ <= 0) return true;
    int st = 0;
    if (::waitpid(pid_, &st, WNOHANG) == pid_) {
      pid_ = -1;
      exit_status_ = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
      return true;
    }
    return false;
  }
  void signal(int sig) const { ::kill(pid_, sig); }

  std::string log() const {
    std::ifstream in(log_file_);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

 private:
  int port_;
  pid_t pid_ = -1;
  int exit_status_ = -1;
  std::filesystem::path log_file_;
};

}  // namespace mamba::server::testing
