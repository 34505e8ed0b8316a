// The checkout benchmark: full guest checkouts per second (create a cart, add
// two lines, check out and pay with the test gateway's tok_visa) with 1, 16
// and 64 concurrent clients against one ecomd, on SQLite and on PostgreSQL
// (when ECOM_TEST_PG_URL is set), and the product list's throughput while
// the 16-client load runs, with the CPU each checkout cost ecomd and the
// whole machine (ecomd, the database server and this client): cost, apart
// from how well the load filled the cores. Prints a table;
// never fails on time, only when a checkout fails for another reason than
// running out of stock.
//
//   checkout_bench [--duration S] [--products N] [--clients N[,N...]] [--store sqlite|postgres]
//
// Uses ECOM_BIN_DIR/ecomd.
#include <arpa/inet.h>
#include <fcntl.h>
#include <httplib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <spawn.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "ecom/auth/api_key_service.h"
#include "ecom/store/database.h"
#include "ecom/store/migrate.h"

extern char** environ;

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

struct Daemon {
  pid_t pid = -1;
  int port = 0;
};

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Starts ecomd on a port of the kernel's choosing and reads the port from
// its "listening" log line.
Daemon StartEcomd(const std::string& ecomd, const std::string& db_url, const fs::path& log) {
  Daemon d;
  std::vector<std::string> args = {ecomd, "--db", db_url, "--listen", "127.0.0.1:0"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  if (posix_spawn(&d.pid, ecomd.c_str(), &actions, nullptr, argv.data(), environ) != 0) d.pid = -1;
  posix_spawn_file_actions_destroy(&actions);
  for (int i = 0; i < 300 && d.pid > 0 && d.port == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::string text = ReadFile(log);
    auto at = text.find("\"msg\":\"listening\"");
    if (at == std::string::npos) continue;
    auto port = text.find("\"port\":", at);
    if (port != std::string::npos) d.port = std::atoi(text.c_str() + port + 7);
  }
  if (d.port == 0 && d.pid > 0) {
    kill(d.pid, SIGKILL);
    waitpid(d.pid, nullptr, 0);
    d.pid = -1;
  }
  return d;
}

void Stop(Daemon& d) {
  if (d.pid <= 0) return;
  kill(d.pid, SIGTERM);
  int status = 0;
  waitpid(d.pid, &status, 0);
  d.pid = -1;
}

// CPU seconds used so far: by one process (user and system), or by the whole
// machine (every CPU's busy time), from /proc.
double ProcessCpuSeconds(pid_t pid) {
  std::string stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  auto paren = stat.rfind(')');
  if (paren == std::string::npos) return 0;
  // After the command: state, then fields 4..; utime and stime are 14 and 15.
  std::istringstream in(stat.substr(paren + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && in >> field; ++i)
    if (i >= 14) ticks += std::atof(field.c_str());
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double MachineCpuSeconds() {
  std::istringstream in(ReadFile("/proc/stat"));
  std::string cpu;
  in >> cpu;  // "cpu": user nice system idle iowait irq softirq steal ...
  double ticks = 0, v = 0;
  for (int i = 0; in >> v && i < 8; ++i)
    if (i != 3 && i != 4) ticks += v;  // all but idle and iowait
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

struct Load {
  double checkouts_per_s = 0;
  double ecomd_cpu_ms = 0, machine_cpu_ms = 0;  // CPU per checkout
  double p50_ms = 0, p99_ms = 0;
  long failed = 0;
  std::string first_error;
  double list_rps = 0;  // product list requests a second alongside, when measured
};

// The checkout clients: one thread drives every connection through epoll,
// as load generators such as wrk do, so that the client's own CPU (a
// thread woken per response, a parsed document per answer) takes as little
// as it can from the two cores ecomd is measured on. Each connection runs
// its checkouts in turn: cart, two lines, checkout; again until the time is
// up.
class Clients {
 public:
  Clients(int port, int count, int products, Clock::time_point end)
      : port_(port), products_(products), end_(end), conns_(count) {}

  // Runs until the time is up and every connection finished its request.
  void Run() {
    epoll_ = epoll_create1(EPOLL_CLOEXEC);
    for (std::size_t n = 0; n < conns_.size(); ++n) {
      conns_[n].n = static_cast<int>(n);
      Connect(conns_[n]);
    }
    std::vector<epoll_event> ready(conns_.size());
    while (busy_ > 0) {
      int got = epoll_wait(epoll_, ready.data(), static_cast<int>(ready.size()), 1000);
      for (int i = 0; i < got; ++i) Serve(conns_[ready[i].data.u32]);
    }
    for (auto& c : conns_)
      if (c.fd >= 0) ::close(c.fd);
    ::close(epoll_);
  }

  std::vector<double> latencies;  // ms per completed checkout
  long failed = 0;
  std::string first_error;

 private:
  struct Conn {
    int n = 0;
    int fd = -1;
    int step = 0;  // 0 cart, 1 and 2 lines, 3 checkout
    std::uint64_t k = 0;
    std::string cart_id, token;
    std::string out, in;
    std::size_t sent = 0;
    Clock::time_point start;
  };

  void Connect(Conn& c) {
    if (!Open(c)) return;
    ++busy_;
    Begin(c);
  }

  // A new socket for `c`, watched for answers; false (the checkout counted
  // as failed) if it cannot connect.
  bool Open(Conn& c) {
    c.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port_));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1;
    setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // else each request waits on a delayed ACK
    if (::connect(c.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      Fail(c, std::string("cannot connect: ") + std::strerror(errno));
      ::close(c.fd);
      c.fd = -1;
      return false;
    }
    ::fcntl(c.fd, F_SETFL, ::fcntl(c.fd, F_GETFL) | O_NONBLOCK);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u32 = static_cast<std::uint32_t>(c.n);
    epoll_ctl(epoll_, EPOLL_CTL_ADD, c.fd, &ev);
    return true;
  }

  // Starts the connection's next checkout, or retires it once time is up.
  void Begin(Conn& c) {
    if (Clock::now() >= end_) {
      epoll_ctl(epoll_, EPOLL_CTL_DEL, c.fd, nullptr);
      --busy_;
      return;
    }
    c.step = 0;
    c.start = Clock::now();
    Send(c, Request("/v1/carts", "", "{}"));
  }

  static std::string Request(std::string_view path, std::string_view headers, std::string_view body) {
    std::string r = "POST ";
    r += path;
    r += " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n";
    r += headers;
    r += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
    r += body;
    return r;
  }

  void Send(Conn& c, std::string request) {
    c.out = std::move(request);
    c.sent = 0;
    c.in.clear();
    Flush(c);
  }

  void Flush(Conn& c) {
    while (c.sent < c.out.size()) {
      ssize_t n = ::send(c.fd, c.out.data() + c.sent, c.out.size() - c.sent, MSG_NOSIGNAL);
      if (n > 0) {
        c.sent += static_cast<std::size_t>(n);
        continue;
      }
      if (n < 0 && errno == EAGAIN) {
        Watch(c, EPOLLIN | EPOLLOUT);
        return;
      }
      return Broken(c, "send failed");
    }
    Watch(c, EPOLLIN);
  }

  void Watch(Conn& c, std::uint32_t events) {
    epoll_event ev{};
    ev.events = events;
    ev.data.u32 = static_cast<std::uint32_t>(c.n);
    epoll_ctl(epoll_, EPOLL_CTL_MOD, c.fd, &ev);
  }

  void Serve(Conn& c) {
    if (c.fd < 0) return;
    if (c.sent < c.out.size()) return Flush(c);
    char buf[16384];
    for (;;) {
      ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
      if (n > 0) {
        c.in.append(buf, static_cast<std::size_t>(n));
        continue;
      }
      if (n < 0 && errno == EAGAIN) break;
      return Broken(c, "connection closed");
    }
    // A whole response: its head, then Content-Length bytes of body.
    auto head_end = c.in.find("\r\n\r\n");
    if (head_end == std::string::npos) return;
    std::string_view head(c.in.data(), head_end);
    auto length_at = FindHeader(head, "content-length:");
    if (length_at == std::string_view::npos) return Broken(c, "a response without Content-Length");
    std::size_t length = std::strtoul(head.data() + length_at, nullptr, 10);
    if (c.in.size() < head_end + 4 + length) return;
    int status = head.size() > 12 ? std::atoi(head.data() + 9) : 0;
    std::string body = c.in.substr(head_end + 4, length);
    // The server ends a keep-alive connection after a number of requests
    // (with `Connection: close` on the last answer): the checkout goes on
    // over a new one.
    auto connection_at = FindHeader(head, "connection:");
    if (connection_at != std::string_view::npos &&
        head.substr(connection_at, head.find("\r\n", connection_at) - connection_at).find("close") !=
            std::string_view::npos) {
      epoll_ctl(epoll_, EPOLL_CTL_DEL, c.fd, nullptr);
      ::close(c.fd);
      if (!Open(c)) {
        --busy_;
        return;
      }
    }
    Answered(c, status, body);
  }

  static std::size_t FindHeader(std::string_view head, std::string_view name) {
    for (std::size_t at = head.find("\r\n"); at != std::string_view::npos; at = head.find("\r\n", at + 2)) {
      std::string_view line = head.substr(at + 2, name.size());
      if (line.size() == name.size() &&
          std::equal(line.begin(), line.end(), name.begin(),
                     [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; }))
        return at + 2 + name.size();
    }
    return std::string_view::npos;
  }

  void Answered(Conn& c, int status, const std::string& body) {
    if (status != 201) {
      Fail(c, body);
      return Begin(c);
    }
    if (c.step == 0) {
      auto cart = json::parse(body, nullptr, false);
      if (cart.is_discarded() || !cart.contains("token")) {
        Fail(c, body);
        return Begin(c);
      }
      c.cart_id = cart["cart"]["id"];
      c.token = cart["token"];
    }
    if (c.step < 2) {
      int line = c.step;
      int p = static_cast<int>((c.n * 7919 + c.k * 31 + line * 13) % products_);
      c.step++;
      return Send(c, Request("/v1/carts/" + c.cart_id + "/items", "X-Cart-Token: " + c.token + "\r\n",
                             R"({"quantity":1,"sku":"BENCH-)" + std::to_string(p) + R"("})"));
    }
    if (c.step == 2) {
      c.step++;
      std::string headers = "X-Cart-Token: " + c.token + "\r\nIdempotency-Key: bench-" + std::to_string(c.n) +
                            "-" + std::to_string(++c.k) + "\r\n";
      return Send(c, Request("/v1/carts/" + c.cart_id + "/checkout", headers, kCheckoutBody));
    }
    latencies.push_back(std::chrono::duration<double, std::milli>(Clock::now() - c.start).count());
    Begin(c);
  }

  void Fail(Conn&, const std::string& error) {
    ++failed;
    if (first_error.empty()) first_error = error;
  }

  // The connection is unusable: count the checkout as failed and start
  // again on a new one.
  void Broken(Conn& c, const std::string& error) {
    Fail(c, error);
    epoll_ctl(epoll_, EPOLL_CTL_DEL, c.fd, nullptr);
    ::close(c.fd);
    c.fd = -1;
    --busy_;
    if (Clock::now() < end_) Connect(c);
  }

  static constexpr std::string_view kCheckoutBody =
      R"({"email":"bench@example.com","payment":{"token":"tok_visa"},)"
      R"("shipping_address":{"city":"Springfield","country":"US","line1":"1 Main St","name":"Bench"}})";

  int port_, products_;
  Clock::time_point end_;
  std::vector<Conn> conns_;
  int epoll_ = -1;
  int busy_ = 0;  // connections still running checkouts
};

Load RunLoad(const Daemon& d, int clients, int products, int seconds, bool with_list) {
  int port = d.port;
  double ecomd_cpu = ProcessCpuSeconds(d.pid), machine_cpu = MachineCpuSeconds();
  auto end = Clock::now() + std::chrono::seconds(seconds);
  Clients checkouts(port, clients, products, end);
  std::atomic<long> lists{0};
  std::vector<std::thread> threads;
  auto start = Clock::now();
  if (clients > 0) threads.emplace_back([&] { checkouts.Run(); });
  if (with_list)
    for (int i = 0; i < 4; ++i)
      threads.emplace_back([&, port] {
        httplib::Client http("127.0.0.1", port);
        http.set_keep_alive(true);
        http.set_tcp_nodelay(true);
        while (Clock::now() < end)
          if (auto r = http.Get("/v1/products?limit=20"); r && r->status == 200) ++lists;
      });
  for (auto& t : threads) t.join();
  double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  Load load;
  std::vector<double> all = std::move(checkouts.latencies);
  load.failed = checkouts.failed;
  load.first_error = checkouts.first_error;
  std::sort(all.begin(), all.end());
  load.checkouts_per_s = all.size() / elapsed;
  if (!all.empty()) {
    load.ecomd_cpu_ms = (ProcessCpuSeconds(d.pid) - ecomd_cpu) * 1000 / all.size();
    load.machine_cpu_ms = (MachineCpuSeconds() - machine_cpu) * 1000 / all.size();
  }
  if (!all.empty()) {
    load.p50_ms = all[all.size() / 2];
    load.p99_ms = all[std::min(all.size() - 1, all.size() * 99 / 100)];
  }
  load.list_rps = lists / elapsed;
  return load;
}

// Products BENCH-0..N-1, each with plenty of stock, through the API.
bool Seed(int port, const std::string& key, int products) {
  httplib::Client http("127.0.0.1", port);
  httplib::Headers auth = {{"Authorization", "Bearer " + key}};
  for (int p = 0; p < products; ++p) {
    std::string sku = "BENCH-" + std::to_string(p);
    json product = {{"title", "Bench product " + std::to_string(p)},
                    {"status", "active"},
                    {"variants", {{{"sku", sku}, {"price", 1000 + p}}}}};
    auto r = http.Post("/v1/products", auth, product.dump(), "application/json");
    if (!r || r->status != 201) return false;
    httplib::Headers h = auth;
    h.emplace("Idempotency-Key", "seed-" + sku);
    auto s = http.Post("/v1/inventory/" + sku + "/adjustments", h,
                       json{{"delta", 1000000000}, {"reason", "received"}}.dump(), "application/json");
    if (!s || s->status != 201) return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  int duration = 2, products = 50;
  std::vector<int> client_counts = {1, 16, 64};
  std::string only_store;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--duration") && i + 1 < argc) duration = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--products") && i + 1 < argc) products = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--store") && i + 1 < argc) only_store = argv[++i];
    else if (!std::strcmp(argv[i], "--clients") && i + 1 < argc) {
      client_counts.clear();
      for (std::string_view list = argv[++i]; !list.empty();) {
        auto comma = list.find(',');
        client_counts.push_back(std::atoi(std::string(list.substr(0, comma)).c_str()));
        list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
      }
    } else {
      std::fprintf(stderr,
                   "usage: checkout_bench [--duration S] [--products N] [--clients N[,N...]] "
                   "[--store sqlite|postgres]\n");
      return 2;
    }
  }
  const char* bin = std::getenv("ECOM_BIN_DIR");
  std::string ecomd = (fs::path(bin ? bin : "build/bin") / "ecomd").string();
  fs::path work = fs::temp_directory_path() / ("ecom-checkout-bench-" + std::to_string(getpid()));
  fs::create_directories(work);
  setenv("ECOM_AUTH_RESET_KEY", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", 0);
  setenv("ECOM_PAYMENTS_ENCRYPTION_KEYS", "1:fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210", 0);
  setenv("ECOM_HTTP_THREADS", "128", 0);

  std::vector<std::pair<std::string, std::string>> stores = {{"sqlite", "sqlite://" + (work / "bench.db").string()}};
  std::string pg_schema;
  if (const char* pg = std::getenv("ECOM_TEST_PG_URL")) {
    pg_schema = "checkout_bench_" + std::to_string(getpid());
    auto admin = ecom::store::Open(pg);
    auto tx = admin->Begin(ecom::store::TxMode::kWrite);
    tx->Exec("CREATE SCHEMA " + pg_schema);
    tx->Commit();
    std::string url = pg;
    url += (url.find('?') == std::string::npos ? "?" : "&") + std::string("options=-csearch_path%3D") + pg_schema;
    stores.emplace_back("postgres", url);
  }

  int failures = 0;
  std::printf(
      "\n| store | clients | checkouts/s | p50 ms | p99 ms | failed | ecomd CPU ms/checkout | machine CPU ms/checkout "
      "| product list req/s alongside |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|\n");
  for (auto& [name, url] : stores) {
    if (!only_store.empty() && name != only_store) continue;
    auto db = ecom::store::Open(url);
    auto clock = ecom::SystemClock();
    ecom::store::Migrate(*db, *clock);
    ecom::auth::ApiKeyService keys(*db, clock, ecom::MakeIdGenerator(clock));
    auto key = keys.Create("bench", {"admin"}, std::nullopt);
    Daemon d = StartEcomd(ecomd, url, work / (name + ".log"));
    if (d.pid <= 0 || !key.ok() || !Seed(d.port, key->secret, products)) {
      std::fprintf(stderr, "%s: could not start ecomd or seed the catalog; its log:\n%s\n", name.c_str(),
                   ReadFile(work / (name + ".log")).c_str());
      ++failures;
      Stop(d);
      continue;
    }
    for (int clients : client_counts) {
      Load load = RunLoad(d, clients, products, duration, clients == 16);
      std::string alongside = clients == 16 ? std::to_string(static_cast<long>(load.list_rps)) : "";
      std::printf("| %s | %d | %.0f | %.1f | %.1f | %ld | %.2f | %.2f | %s |\n", name.c_str(), clients,
                  load.checkouts_per_s, load.p50_ms, load.p99_ms, load.failed, load.ecomd_cpu_ms, load.machine_cpu_ms,
                  alongside.c_str());
      std::fflush(stdout);
      if (load.failed) {
        std::fprintf(stderr, "%s, %d clients: %ld checkouts failed; first: %s\n", name.c_str(), clients, load.failed,
                     load.first_error.c_str());
        ++failures;
      }
    }
    Load idle_list = RunLoad(d, 0, products, duration, true);
    std::printf("| %s | 0 | | | | | | | %.0f (no checkouts) |\n", name.c_str(), idle_list.list_rps);
    Stop(d);
  }
  if (!pg_schema.empty()) {
    auto admin = ecom::store::Open(std::getenv("ECOM_TEST_PG_URL"));
    auto tx = admin->Begin(ecom::store::TxMode::kWrite);
    tx->Exec("DROP SCHEMA " + pg_schema + " CASCADE");
    tx->Commit();
  }
  fs::remove_all(work);
  return failures ? 1 : 0;
}
