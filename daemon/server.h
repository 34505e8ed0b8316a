// The HTTP front of ecomd: cpp-httplib tuned for the daemon, with request ids,
// one access-log line and metrics per request, and problem+json for every
// error, around the Router.
#pragma once

#include <httplib.h>

#include <atomic>
#include <memory>
#include <optional>
#include <string>

#include "daemon/cors.h"
#include "daemon/metrics.h"
#include "daemon/router.h"
#include "ecom/common/clock.h"
#include "ecom/common/config.h"
#include "ecom/common/result.h"

namespace ecom::daemon {

class Server {
 public:
  // Reads the http.* settings from `config`: with http.tls_cert and
  // http.tls_key it serves HTTPS (and only HTTPS). `router`, `metrics` and
  // `ids` must outlive the server.
  Server(const Config& config, const Router& router, Metrics& metrics, IdGenerator& ids);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds http.listen. Returns the port bound, which is the real one when
  // http.listen asks for port 0. kUnavailable (`bind_failed`) if the address
  // cannot be bound; kInvalidArgument for a malformed http.listen, or
  // (`tls_unusable`) a certificate or key that cannot be loaded.
  Result<int> Bind();

  // Serves until Stop(). Returns once every in-flight request is answered.
  void Run();

  // Stops accepting connections and makes Run() return when the requests in
  // flight are done. Thread-safe and idempotent. It may come before Run(), but
  // returns only once Run() has started (or finished): call it from another
  // thread than the one that will call Run().
  void Stop();

  // The host part of http.listen, as bound.
  const std::string& host() const { return host_; }

 private:
  void Install();
  void Dispatch(const httplib::Request& req, httplib::Response& res);
  // A 414/431 reply when the request target or headers exceed the limits.
  std::optional<Reply> CheckSizes(const httplib::Request& req) const;
  // Headers every response carries: security headers and CORS.
  void Finish(const httplib::Request& req, httplib::Response& res) const;

  bool tls() const { return !config_.http_tls_cert.empty(); }

  Config config_;
  const Router& router_;
  Metrics& metrics_;
  IdGenerator& ids_;
  CorsPolicy cors_;
  std::unique_ptr<httplib::Server> http_;  // an httplib::SSLServer with TLS
  std::string host_;
  std::atomic<int> listen_fd_{-1};
  std::atomic<bool> stop_requested_{false};
  std::atomic<bool> stop_sent_{false};
  std::atomic<bool> finished_{false};
};

// Splits "HOST:PORT" ("[::1]:8080" too). False if malformed.
bool SplitHostPort(const std::string& listen, std::string* host, int* port);

}  // namespace ecom::daemon
