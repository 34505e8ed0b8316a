// cpp-httplib set-up: catch-all handlers into the Router, per-request hooks
// for request ids, logs and metrics, and the socket tuning ecomd needs.
#include "daemon/server.h"

#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "daemon/logging.h"
#include "daemon/plain_server.h"
#include "daemon/problem.h"

namespace ecom::daemon {
namespace {

// cpp-httplib listens with a backlog of 5; bursts of new connections then
// wait for SYN retransmits (a second or more). The kernel caps this at
// net.core.somaxconn.
constexpr int kListenBacklog = 4096;

// A client's X-Request-Id is echoed only if it is short and plain.
bool SaneRequestId(const std::string& id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.' || c == ':';
    if (!ok) return false;
  }
  return true;
}

// What the hooks cpp-httplib calls for one request share. httplib 0.11.4 has
// no per-request user data, but it runs the pre-routing handler, the route
// handler, the error handler and the logger of a request on one worker
// thread, one request at a time, so a thread-local carries it.
struct RequestState {
  bool active = false;
  std::chrono::steady_clock::time_point start;
  std::string request_id;
  std::size_t route = 0;
};
thread_local RequestState t_request;

void Write(Reply reply, httplib::Response& res) {
  res.status = reply.status;
  for (auto& [name, value] : reply.headers) res.set_header(name, value);
  if (!reply.content_type.empty())
    res.set_content(std::move(reply.body), reply.content_type.c_str());
}

bool HasBody(const httplib::Request& req) {
  if (req.has_header("Transfer-Encoding")) return true;
  if (!req.has_header("Content-Length")) return false;
  return req.get_header_value("Content-Length") != "0";
}

}  // namespace

bool SplitHostPort(const std::string& listen, std::string* host, int* port) {
  auto colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == listen.size()) return false;
  std::string h = listen.substr(0, colon);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  int p = 0;
  for (char c : listen.substr(colon + 1)) {
    if (c < '0' || c > '9') return false;
    p = p * 10 + (c - '0');
    if (p > 65535) return false;
  }
  *host = h;
  *port = p;
  return true;
}

Server::Server(const Config& config, const Router& router, Metrics& metrics, IdGenerator& ids)
    : config_(config),
      router_(router),
      metrics_(metrics),
      ids_(ids),
      cors_(config.http_cors_origins) {
  if (tls())
    http_ = std::make_unique<httplib::SSLServer>(config_.http_tls_cert.c_str(),
                                                 config_.http_tls_key.c_str());
  else
    http_ = std::make_unique<PlainServer>();
  Install();
}

Server::~Server() = default;

void Server::Install() {
  // Measured with 64 keep-alive connections: without TCP_NODELAY every
  // response waits on a delayed ACK (~300 req/s); with it ~17,000, and with a
  // pool as large as the open connections (httplib holds a thread per
  // connection) ~26,000.
  http_->set_tcp_nodelay(true);
  const int threads = config_.http_threads;
  http_->new_task_queue = [threads] {
    return new httplib::ThreadPool(static_cast<std::size_t>(threads));
  };
  http_->set_keep_alive_max_count(10000);
  http_->set_keep_alive_timeout(config_.http_keep_alive_timeout_s);
  http_->set_payload_max_length(static_cast<std::size_t>(config_.http_max_body_bytes));

  // cpp-httplib 0.11.4 has no accessor for the listening socket, but it hands
  // every socket it creates to the socket-options hook just before bind().
  // The last one handed over is the one that bound; Bind() calls listen() on
  // it again, which on Linux only raises the backlog.
  http_->set_socket_options([this](socket_t sock) {
    httplib::default_socket_options(sock);  // SO_REUSEADDR, as without a hook
    listen_fd_ = sock;
  });

  http_->set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    RequestState& state = t_request;
    if (state.active)
      metrics_.RequestFinished();  // the last request on this thread was never logged
    state.active = true;
    state.start = std::chrono::steady_clock::now();
    state.route = metrics_.unmatched_route();
    std::string id = req.get_header_value("X-Request-Id");
    state.request_id = SaneRequestId(id) ? std::move(id) : ids_.Next("req");
    res.set_header("X-Request-Id", state.request_id);
    metrics_.RequestStarted();
    // A request without a body is answered here, before cpp-httplib's own
    // routing: that skips its std::regex matching, and spares a POST, PUT or
    // DELETE sent without Content-Length (which it would otherwise try to
    // read a body for until the read timeout).
    if (!HasBody(req)) {
      Dispatch(req, res);
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });

  // Requests with a body reach these after cpp-httplib has read it (or
  // refused it with 413). The Router matches paths by segment, as SKUs may
  // hold `/`.
  auto dispatch = [this](const httplib::Request& req, httplib::Response& res) {
    Dispatch(req, res);
  };
  const std::string any = R"([\s\S]*)";
  http_->Get(any, dispatch);
  http_->Post(any, dispatch);
  http_->Put(any, dispatch);
  http_->Patch(any, dispatch);
  http_->Delete(any, dispatch);
  http_->Options(any, dispatch);

  // Called for every response with status >= 400. Handlers' errors already
  // have a problem body; this covers those cpp-httplib makes itself (413 for
  // a large body, 400 for a malformed request).
  http_->set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.body.empty()) Write(ProblemForStatus(res.status), res);
  });
  http_->set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr e) {
        Write(Problem(ErrorFromException(e)), res);
      });

  // Runs for every response cpp-httplib writes, after the handlers and the
  // error handler, just before the headers go out.
  http_->set_post_routing_handler(
      [this](const httplib::Request& req, httplib::Response& res) { Finish(req, res); });

  // Runs after the response is written, for every request.
  http_->set_logger([this](const httplib::Request& req, const httplib::Response& res) {
    RequestState& state = t_request;
    double seconds = 0;
    if (state.active) {
      seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - state.start).count();
      metrics_.RequestFinished();
    }
    metrics_.Record(state.route, req.method, res.status, seconds);
    if (LogEnabled(LogLevel::kInfo)) {
      std::string_view target = req.target;
      LogRequest({.method = req.method,
                  .route = RouteName(state.route),
                  .path = target.substr(0, target.find('?')),
                  .status = res.status,
                  .duration_ms = static_cast<double>(static_cast<std::int64_t>(seconds * 1e6)) / 1e3,
                  .request_id = state.request_id,
                  .bytes = res.body.size()});
    }
    state.active = false;
    state.route = metrics_.unmatched_route();
    state.request_id.clear();
  });
}

void Server::Dispatch(const httplib::Request& req, httplib::Response& res) {
  RequestLogScope log_scope(t_request.request_id);
  // Refused before any route is matched. (Here rather than in the
  // pre-routing hook: a request with a body must have it read first, or its
  // bytes would be taken for the next request on the connection.)
  std::optional<Reply> early = CheckSizes(req);
  if (!early) early = cors_.Preflight(req);
  if (early) {
    Write(std::move(*early), res);
    return;
  }
  Router::Outcome outcome = router_.Dispatch(req);
  t_request.route = outcome.route;
  Write(std::move(outcome.reply), res);
}

std::optional<Reply> Server::CheckSizes(const httplib::Request& req) const {
  if (req.target.size() > static_cast<std::size_t>(config_.http_max_url_bytes))
    return ProblemForStatus(414);
  std::size_t header_bytes = 0;
  for (const auto& [name, value] : req.headers) header_bytes += name.size() + value.size() + 4;
  if (header_bytes > static_cast<std::size_t>(config_.http_max_header_bytes))
    return ProblemForStatus(431);
  return std::nullopt;
}

void Server::Finish(const httplib::Request& req, httplib::Response& res) const {
  // Every response: no MIME sniffing of JSON into HTML, never framed (the API
  // has no pages to click-jack), and no URL (which may hold ids) leaked to
  // other sites through Referer.
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("X-Frame-Options", "DENY");
  res.set_header("Referrer-Policy", "no-referrer");
  if (tls()) res.set_header("Strict-Transport-Security", "max-age=31536000");
  cors_.Decorate(req, res);
}

Result<int> Server::Bind() {
  if (!http_->is_valid()) {
    // SSLServer could not load the certificate or key (OpenSSL says why only
    // on its error queue); the paths are safe to show, the key is not read here.
    return Error{ErrorCode::kInvalidArgument,
                 "tls_unusable",
                 "cannot use http.tls_cert '" + config_.http_tls_cert + "' with http.tls_key '" +
                     config_.http_tls_key + "'",
                 {}};
  }
  int port = 0;
  if (!SplitHostPort(config_.http_listen, &host_, &port))
    return Error::Invalid("http.listen '" + config_.http_listen + "' is not HOST:PORT");
  int bound =
      port == 0 ? http_->bind_to_any_port(host_) : (http_->bind_to_port(host_, port) ? port : -1);
  if (bound < 0) {
    return Error{ErrorCode::kUnavailable,
                 "bind_failed",
                 "cannot listen on " + config_.http_listen + ": " + std::strerror(errno),
                 {}};
  }
  if (::listen(listen_fd_, kListenBacklog) != 0) {
    Log(LogLevel::kWarn, "could not raise the listen backlog",
        {{"backlog", kListenBacklog}, {"error", std::strerror(errno)}});
  }
  return bound;
}

void Server::Run() {
  if (!stop_requested_) http_->listen_after_bind();
  finished_ = true;
}

void Server::Stop() {
  stop_requested_ = true;
  // httplib's stop() only acts once its accept loop is running (and must not
  // be called twice while it is), so wait for one or the other.
  while (!finished_) {
    if (http_->is_running()) {
      if (!stop_sent_.exchange(true)) http_->stop();
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace ecom::daemon
