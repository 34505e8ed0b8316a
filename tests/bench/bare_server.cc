// The ceiling for the HTTP benchmark: cpp-httplib tuned as ecomd is (its
// connection loop, no delay, a thread per connection, keep-alive, jemalloc),
// answering a fixed body.
#include <httplib.h>
#include <sys/socket.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "daemon/plain_server.h"

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: bare_server PORT BODY_BYTES [THREADS]\n");
    return 2;
  }
  int port = std::atoi(argv[1]);
  std::string body(static_cast<std::size_t>(std::atol(argv[2])), 'x');
  int threads = argc > 3 ? std::atoi(argv[3]) : 64;
  ecom::daemon::PlainServer server;
  server.set_tcp_nodelay(true);
  server.set_keep_alive_max_count(100000);
  server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  // cpp-httplib listens with a backlog of 5; listen again on its socket with a
  // larger one, as ecomd does, so bursts of connections do not stall.
  int listen_fd = -1;
  server.set_socket_options([&](socket_t sock) {
    httplib::default_socket_options(sock);
    listen_fd = sock;
  });
  server.Get("/", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content(body, "application/json");
  });
  if (!server.bind_to_port("127.0.0.1", port)) return 1;
  if (listen_fd >= 0) ::listen(listen_fd, 4096);
  std::printf("ready\n");
  std::fflush(stdout);
  server.listen_after_bind();
}
