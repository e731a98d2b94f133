#pragma once
// Notices a client that has gone away while its request is still generating. cpp-httplib 0.11
// hands handlers no socket, and a write to a closed peer only fails one write later, so the
// connection's socket is found once by its address pair and then polled for hang-up.

#include <string>

namespace mamba::server {

class ClientConnection {
 public:
  // The socket of this process connected from remote_addr:remote_port to local_addr:local_port;
  // when none is found, gone() stays false and disconnects are noticed on write failure only.
  ClientConnection(const std::string& local_addr, int local_port, const std::string& remote_addr,
                   int remote_port);

  // True once the peer has closed or reset the connection. Never blocks.
  bool gone() const;
  bool found() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

}  // namespace mamba::server
