#include "daemon/plain_server.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>
#include <vector>

namespace ecom::daemon {
namespace {

using Clock = std::chrono::steady_clock;

// How often a connection that waits for its next request looks whether the
// server is stopping: a stop waits at most this long for idle connections.
constexpr std::chrono::milliseconds kStopCheck{200};
// Bytes read from the socket at once; cpp-httplib reads a request's head a
// byte at a time, from here.
constexpr std::size_t kReadBytes = 16 * 1024;
// A response is sent whole when it is complete, or in pieces of this size.
constexpr std::size_t kSendBytes = 64 * 1024;

int Millis(time_t sec, time_t usec) { return static_cast<int>(sec * 1000 + usec / 1000); }

// Waits up to `ms` for `events` on `sock`: > 0 ready, 0 timed out, < 0 failed.
int Wait(socket_t sock, short events, int ms) {
  pollfd p{sock, events, 0};
  int rc;
  do rc = ::poll(&p, 1, ms);
  while (rc < 0 && errno == EINTR);
  return rc;
}

// The connection's address at one end, as cpp-httplib gives it: a numeric
// host and a port.
void Address(socket_t sock, bool peer, std::string& ip, int& port) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  auto* sa = reinterpret_cast<sockaddr*>(&addr);
  if ((peer ? ::getpeername(sock, sa, &len) : ::getsockname(sock, sa, &len)) != 0) return;
  if (addr.ss_family == AF_INET)
    port = ntohs(reinterpret_cast<const sockaddr_in*>(&addr)->sin_port);
  else if (addr.ss_family == AF_INET6)
    port = ntohs(reinterpret_cast<const sockaddr_in6*>(&addr)->sin6_port);
  else
    return;
  std::array<char, NI_MAXHOST> host{};
  if (::getnameinfo(sa, len, host.data(), static_cast<socklen_t>(host.size()), nullptr, 0,
                    NI_NUMERICHOST) == 0)
    ip = host.data();
}

// One connection, for all of its requests. Reads are buffered; writes are
// kept until the response is complete (or a read would wait for the client,
// which may be waiting for them, as after `100 Continue`).
class ConnectionStream final : public httplib::Stream {
 public:
  ConnectionStream(socket_t sock, int read_ms, int write_ms)
      : sock_(sock), read_ms_(read_ms), write_ms_(write_ms), in_(kReadBytes) {}

  // Waits for the next request: true once its first bytes are here (or the
  // client closed, which reading then finds), false when the connection
  // stayed idle for `idle_s` or the server is stopping.
  bool AwaitRequest(time_t idle_s, const std::atomic<socket_t>& server) {
    if (begin_ < end_) return true;
    auto deadline = Clock::now() + std::chrono::seconds(idle_s);
    while (server != INVALID_SOCKET) {
      auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) return false;
      int rc = Wait(sock_, POLLIN, static_cast<int>(std::min(left, kStopCheck).count()));
      if (rc != 0) return rc > 0;
    }
    return false;
  }

  // Sends what was written; false if the connection failed.
  bool Flush() {
    if (!failed_ && !out_.empty()) Send(out_.data(), out_.size());
    out_.clear();
    return !failed_;
  }

  bool is_readable() const override { return begin_ < end_ || Wait(sock_, POLLIN, read_ms_) > 0; }
  bool is_writable() const override { return !failed_; }

  ssize_t read(char* ptr, size_t size) override {
    if (begin_ == end_) {
      if (!out_.empty() && !Flush()) return -1;
      ssize_t got = Receive();
      if (got <= 0) return got;
    }
    std::size_t n = std::min(size, end_ - begin_);
    std::memcpy(ptr, in_.data() + begin_, n);
    begin_ += n;
    return static_cast<ssize_t>(n);
  }

  ssize_t write(const char* ptr, size_t size) override {
    if (failed_) return -1;
    if (out_.size() + size > kSendBytes && !Flush()) return -1;
    if (size >= kSendBytes) {
      if (!Send(ptr, size)) return -1;
    } else {
      out_.append(ptr, size);
    }
    return static_cast<ssize_t>(size);
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    Addresses();
    ip = remote_ip_;
    port = remote_port_;
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    Addresses();
    ip = local_ip_;
    port = local_port_;
  }
  socket_t socket() const override { return sock_; }

 private:
  // Refills the read buffer: > 0 bytes read, 0 the client closed, -1 an
  // error or no bytes within the read timeout.
  ssize_t Receive() {
    begin_ = end_ = 0;
    for (;;) {
      ssize_t n = ::recv(sock_, in_.data(), in_.size(), MSG_DONTWAIT);
      if (n >= 0) {
        end_ = static_cast<std::size_t>(n);
        return n;
      }
      if (errno == EINTR) continue;
      if ((errno != EAGAIN && errno != EWOULDBLOCK) || Wait(sock_, POLLIN, read_ms_) <= 0) return -1;
    }
  }

  bool Send(const char* data, std::size_t size) {
    std::size_t sent = 0;
    while (sent < size) {
      ssize_t n = ::send(sock_, data + sent, size - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n >= 0) {
        sent += static_cast<std::size_t>(n);
        continue;
      }
      if (errno == EINTR) continue;
      if ((errno == EAGAIN || errno == EWOULDBLOCK) && Wait(sock_, POLLOUT, write_ms_) > 0) continue;
      failed_ = true;
      return false;
    }
    return true;
  }

  void Addresses() const {
    if (addressed_) return;
    Address(sock_, true, remote_ip_, remote_port_);
    Address(sock_, false, local_ip_, local_port_);
    addressed_ = true;
  }

  socket_t sock_;
  int read_ms_, write_ms_;
  std::vector<char> in_;
  std::size_t begin_ = 0, end_ = 0;  // the unread bytes of in_
  std::string out_;
  bool failed_ = false;
  mutable bool addressed_ = false;
  mutable std::string remote_ip_, local_ip_;
  mutable int remote_port_ = 0, local_port_ = 0;
};

}  // namespace

bool PlainServer::process_and_close_socket(socket_t sock) {
  ConnectionStream stream(sock, Millis(read_timeout_sec_, read_timeout_usec_),
                          Millis(write_timeout_sec_, write_timeout_usec_));
  bool ok = false;
  for (std::size_t left = keep_alive_max_count_; left > 0; --left) {
    if (!stream.AwaitRequest(keep_alive_timeout_sec_, svr_sock_)) break;
    bool closed = false;
    ok = process_request(stream, /*close_connection=*/left == 1, closed, nullptr);
    if (!stream.Flush()) ok = false;
    if (!ok || closed) break;
  }
  ::shutdown(sock, SHUT_RDWR);
  ::close(sock);
  return ok;
}

}  // namespace ecom::daemon
