// The foundation benchmarks: catalog import throughput and peak memory on
// each store, and HTTP throughput of ecomd against a bare cpp-httplib
// handler, with ecomd's idle and loaded memory; then the login rate ecomd
// sustains and the product list's throughput while logins run alongside. Prints tables; never fails
// on time, only when a step itself fails.
//
//   ecom_bench [--variants N] [--http-products N] [--duration S] [--skip-http]
//
// Uses build/bin/ecom and ecomd (ECOM_BIN_DIR), the gen_catalog and
// bare_server helpers beside this program, wrk on PATH, and PostgreSQL when
// ECOM_TEST_PG_URL is set.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "ecom/store/database.h"

extern char** environ;

namespace {

namespace fs = std::filesystem;

struct RunResult {
  int status = -1;
  double seconds = 0;
  long max_rss_kb = 0;
  std::string output;
};

// Runs a program to completion, capturing stdout+stderr, its time and peak RSS.
RunResult Run(const std::vector<std::string>& args) {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) return {};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 1);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 2);
  posix_spawn_file_actions_addclose(&actions, pipe_fds[0]);
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  auto start = std::chrono::steady_clock::now();
  pid_t pid;
  RunResult r;
  if (posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ) != 0) {
    r.output = "cannot start " + args[0];
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    return r;
  }
  close(pipe_fds[1]);
  char buf[4096];
  ssize_t n;
  while ((n = read(pipe_fds[0], buf, sizeof buf)) > 0) r.output.append(buf, static_cast<std::size_t>(n));
  close(pipe_fds[0]);
  int status = 0;
  struct rusage usage {};
  wait4(pid, &status, 0, &usage);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.max_rss_kb = usage.ru_maxrss;
  posix_spawn_file_actions_destroy(&actions);
  return r;
}

// A long-running child whose stdout goes to a file.
struct Background {
  pid_t pid = -1;
  fs::path log;
  ~Background() { Stop(); }
  void Stop() {
    if (pid <= 0) return;
    kill(pid, SIGTERM);
    int status;
    waitpid(pid, &status, 0);
    pid = -1;
  }
};

bool Start(Background& bg, const std::vector<std::string>& args, const fs::path& log) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  bg.log = log;
  int rc = posix_spawnp(&bg.pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  return rc == 0;
}

std::string Slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

long StatusKb(pid_t pid, const char* field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(field, 0) == 0) return std::atol(line.c_str() + std::strlen(field) + 1);
  return 0;
}

// A port nothing uses now, as the kernel picks one for a socket bound to
// port 0. A port computed from the pid could be one of the kernel's own
// ephemeral ports, held by some connection (one to the PostgreSQL server),
// and the server started on it would fail to bind.
int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  int port = 0;
  if (fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
    port = ntohs(addr.sin_port);
  if (fd >= 0) ::close(fd);
  return port;
}

bool WaitForPort(int port, double seconds) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    auto r = Run({"curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:" + std::to_string(port) + "/healthz"});
    if (r.output == "200") return true;
    auto b = Run({"curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:" + std::to_string(port) + "/"});
    if (b.output == "200") return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

struct WrkResult {
  double rps = 0;
  double p99_ms = 0;
  long non_2xx = 0;   // answers other than 2xx/3xx
  std::string error;  // wrk failed, or (for catalog runs) non-2xx answers
};

double ToMs(double value, const std::string& unit) {
  if (unit == "us") return value / 1000;
  if (unit == "s") return value * 1000;
  return value;
}

WrkResult ParseWrk(const RunResult& r) {
  WrkResult w;
  if (r.status != 0) {
    w.error = r.output;
    return w;
  }
  std::smatch m;
  if (std::regex_search(r.output, m, std::regex(R"(Requests/sec:\s+([\d.]+))"))) w.rps = std::stod(m[1]);
  if (std::regex_search(r.output, m, std::regex(R"(99%\s+([\d.]+)(us|ms|s))"))) w.p99_ms = ToMs(std::stod(m[1]), m[2]);
  if (std::regex_search(r.output, m, std::regex(R"(Non-2xx or 3xx responses:\s+(\d+))"))) w.non_2xx = std::stol(m[1]);
  return w;
}

// A catalog run: every answer must be a success.
WrkResult Wrk(const std::string& url, int duration) {
  WrkResult w = ParseWrk(Run({"wrk", "-t2", "-c64", "-d" + std::to_string(duration) + "s", "--latency", url}));
  if (w.error.empty() && w.non_2xx) w.error = std::to_string(w.non_2xx) + " non-2xx responses";
  return w;
}

// A wrk script that posts a login. `pause_ms` > 0 makes each connection wait
// that long between requests, to pace the logins.
fs::path WriteLoginScript(const fs::path& dir, const std::string& body, int pause_ms) {
  fs::path script = dir / ("login-" + std::to_string(pause_ms) + ".lua");
  std::ofstream out(script);
  out << "wrk.method = \"POST\"\n"
      << "wrk.headers[\"Content-Type\"] = \"application/json\"\n"
      << "wrk.body = '" << body << "'\n";
  if (pause_ms > 0) out << "function delay() return " << pause_ms << " end\n";
  return script;
}

}  // namespace

int main(int argc, char** argv) {
  long variants = 20000;
  long http_products = 2000;
  int duration = 2;
  bool skip_http = false;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--variants") && i + 1 < argc) variants = std::atol(argv[++i]);
    else if (!std::strcmp(argv[i], "--http-products") && i + 1 < argc) http_products = std::atol(argv[++i]);
    else if (!std::strcmp(argv[i], "--duration") && i + 1 < argc) duration = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--skip-http")) skip_http = true;
    else {
      std::fprintf(stderr, "usage: ecom_bench [--variants N] [--http-products N] [--duration S] [--skip-http]\n");
      return 2;
    }
  }
  fs::path self_dir = fs::canonical("/proc/self/exe").parent_path();
  const char* bin_env = std::getenv("ECOM_BIN_DIR");
  fs::path bin = bin_env ? fs::path(bin_env) : self_dir.parent_path() / "bin";
  std::string ecom = (bin / "ecom").string(), ecomd = (bin / "ecomd").string();
  fs::path work = fs::temp_directory_path() / ("ecom-bench-" + std::to_string(getpid()));
  fs::create_directories(work);
  int failures = 0;
  // ecomd refuses to start without auth.reset_key; the benchmark's daemons
  // seal no real reset mail, so a fixed key will do (one given in the
  // environment wins).
  setenv("ECOM_AUTH_RESET_KEY", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
         0);
  setenv("ECOM_PAYMENTS_ENCRYPTION_KEYS",
         "1:fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210", 0);

  // 1. Import.
  const long per_product = 5;
  fs::path csv = work / "catalog.csv";
  auto gen = Run({(self_dir / "gen_catalog").string(), "--products", std::to_string(variants / per_product),
                  "--variants", std::to_string(per_product), "-o", csv.string()});
  if (gen.status != 0) {
    std::fprintf(stderr, "gen_catalog failed: %s\n", gen.output.c_str());
    return 1;
  }
  std::vector<std::pair<std::string, std::string>> stores = {{"sqlite", "sqlite://" + (work / "import.db").string()}};
  std::string pg_schema;
  if (const char* pg = std::getenv("ECOM_TEST_PG_URL"); pg && *pg) {
    pg_schema = "bench_" + std::to_string(getpid());
    auto db = ecom::store::Open(pg, {.pool_size = 1});
    auto tx = db->Begin(ecom::store::TxMode::kWrite);
    tx->Exec("CREATE SCHEMA " + pg_schema);
    tx->Commit();
    stores.push_back({"postgresql", std::string(pg) + (std::strchr(pg, '?') ? "&" : "?") + "options=-csearch_path%3D" + pg_schema});
  }
  std::printf("\nImport of a Shopify CSV: %ld variants in %ld products (%.1f MB)\n", variants, variants / per_product,
              static_cast<double>(fs::file_size(csv)) / 1e6);
  std::printf("| store      | seconds | variants/s | peak RSS MB |\n|------------|---------|------------|-------------|\n");
  for (const auto& [name, url] : stores) {
    Run({ecom, "db", "migrate", "--db", url});
    auto r = Run({ecom, "catalog", "import", csv.string(), "--db", url});
    if (r.status != 0) {
      std::fprintf(stderr, "import into %s failed (%d): %s\n", name.c_str(), r.status, r.output.c_str());
      ++failures;
      continue;
    }
    std::printf("| %-10s | %7.2f | %10.0f | %11.1f |\n", name.c_str(), r.seconds, variants / r.seconds, r.max_rss_kb / 1024.0);
  }
  if (!pg_schema.empty()) {
    auto db = ecom::store::Open(std::getenv("ECOM_TEST_PG_URL"), {.pool_size = 1});
    auto tx = db->Begin(ecom::store::TxMode::kWrite);
    tx->Exec("DROP SCHEMA " + pg_schema + " CASCADE");
    tx->Commit();
  }

  // 2. HTTP.
  if (!skip_http) {
    fs::path http_csv = work / "http.csv";
    fs::path db = work / "http.db";
    std::string url = "sqlite://" + db.string();
    if (Run({(self_dir / "gen_catalog").string(), "--products", std::to_string(http_products), "--variants", "3", "-o",
             http_csv.string()}).status != 0 ||
        Run({ecom, "db", "migrate", "--db", url}).status != 0 ||
        Run({ecom, "catalog", "import", http_csv.string(), "--db", url}).status != 0) {
      std::fprintf(stderr, "preparing the HTTP catalog failed\n");
      return 1;
    }
    int port = FreePort();
    Background daemon;
    if (!Start(daemon, {ecomd, "--db", url, "--listen", "127.0.0.1:" + std::to_string(port)}, work / "ecomd.log") ||
        !WaitForPort(port, 15)) {
      std::fprintf(stderr, "ecomd did not start: %s\n", Slurp(work / "ecomd.log").c_str());
      return 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    long idle_rss = StatusKb(daemon.pid, "VmRSS:");
    std::string base = "http://127.0.0.1:" + std::to_string(port);
    std::string handle = "bench-" + std::to_string(http_products / 2);
    auto list_body = Run({"curl", "-s", base + "/v1/products?limit=20"}).output;
    auto one_body = Run({"curl", "-s", base + "/v1/products/" + handle}).output;
    struct Case {
      const char* name;
      std::string url;
      std::size_t body;
    };
    // The search runs last: when it is slow, requests wrk gave up on are
    // still being answered afterwards and would slow the next run.
    std::vector<Case> cases = {{"GET /v1/products?limit=20", base + "/v1/products?limit=20", list_body.size()},
                               {"GET /v1/products/{handle}", base + "/v1/products/" + handle, one_body.size()},
                               {"GET /v1/products?q=alpine jack", base + "/v1/products?q=alpine%20jack&limit=20", 0}};
    std::vector<WrkResult> results;
    for (auto& c : cases) {
      Wrk(c.url, 1);  // warm up
      results.push_back(Wrk(c.url, duration));
    }
    long loaded_rss = StatusKb(daemon.pid, "VmHWM:");

    // Logins: the rate the server sustains (argon2id, one hash per core), and
    // the product list measured again while about 20 logins a second run.
    const std::string login_body = R"({"email":"bench@example.com","password":"bench-password-1"})";
    auto registered = Run({"curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-H",
                           "Content-Type: application/json", "-d",
                           R"({"email":"bench@example.com","password":"bench-password-1","name":"Bench"})",
                           base + "/v1/auth/register"});
    WrkResult login_max, login_paced, list_with_logins;
    if (registered.output != "201") {
      std::fprintf(stderr, "registering the bench customer answered %s\n", registered.output.c_str());
      ++failures;
    } else {
      fs::path flat_out = WriteLoginScript(work, login_body, 0);
      login_max = ParseWrk(Run({"wrk", "-t2", "-c8", "-d" + std::to_string(duration) + "s", "--latency", "-s",
                                flat_out.string(), base + "/v1/auth/login"}));
      // Twenty connections, each pausing 950 ms after its login: at most
      // 20 a second (fewer if a login takes long; the table shows the rate).
      fs::path paced = WriteLoginScript(work, login_body, 950);
      Background logins;
      Start(logins, {"wrk", "-t2", "-c20", "-d" + std::to_string(duration + 2) + "s", "--latency", "-s", paced.string(),
                     base + "/v1/auth/login"},
            work / "paced-logins.log");
      std::this_thread::sleep_for(std::chrono::seconds(1));
      list_with_logins = Wrk(base + "/v1/products?limit=20", duration);
      int status = 0;
      waitpid(logins.pid, &status, 0);
      logins.pid = -1;
      login_paced = ParseWrk({WIFEXITED(status) ? WEXITSTATUS(status) : 1, 0, 0, Slurp(work / "paced-logins.log")});
    }
    daemon.Stop();

    std::vector<WrkResult> bare;
    for (auto& c : cases) {
      std::size_t size = c.body ? c.body : list_body.size();
      int bare_port = FreePort();
      Background server;
      Start(server, {(self_dir / "bare_server").string(), std::to_string(bare_port), std::to_string(size)},
            work / "bare.log");
      if (!WaitForPort(bare_port, 10)) {
        std::fprintf(stderr, "bare_server did not start\n");
        return 1;
      }
      Wrk("http://127.0.0.1:" + std::to_string(bare_port) + "/", 1);
      bare.push_back(Wrk("http://127.0.0.1:" + std::to_string(bare_port) + "/", duration));
    }
    std::printf("\nHTTP, wrk -t2 -c64 keep-alive, %ld products (%ld variants), %d s per run\n", http_products,
                http_products * 3, duration);
    std::printf("| request                          | body B | ecomd req/s | p99 ms | bare req/s | bare p99 ms | ratio |\n");
    std::printf("|----------------------------------|--------|-------------|--------|------------|-------------|-------|\n");
    for (std::size_t i = 0; i < cases.size(); ++i) {
      std::size_t size = cases[i].body ? cases[i].body : list_body.size();
      std::printf("| %-32s | %6zu | %11.0f | %6.2f | %10.0f | %11.2f | %4.0f%% |\n", cases[i].name, size, results[i].rps,
                  results[i].p99_ms, bare[i].rps, bare[i].p99_ms, bare[i].rps > 0 ? 100 * results[i].rps / bare[i].rps : 0);
      if (!results[i].error.empty()) {
        std::fprintf(stderr, "%s: %s\n", cases[i].name, results[i].error.c_str());
        ++failures;
      }
    }
    std::printf("\necomd RSS: idle %.1f MB, peak under load %.1f MB\n", idle_rss / 1024.0, loaded_rss / 1024.0);

    std::printf("\nLogins (POST /v1/auth/login, argon2id 19 MiB x 2 passes), %d s per run\n", duration);
    // A login that waits too long for a hashing slot is shed with 503
    // (auth_busy) by design; the table counts those answers.
    std::printf("| run                                            | req/s | p99 ms | not 2xx |\n");
    std::printf("|------------------------------------------------|-------|--------|---------|\n");
    std::printf("| logins, wrk -c8 flat out                       | %5.0f | %6.1f | %7ld |\n", login_max.rps,
                login_max.p99_ms, login_max.non_2xx);
    std::printf("| paced logins alongside the list below          | %5.0f | %6.1f | %7ld |\n", login_paced.rps,
                login_paced.p99_ms, login_paced.non_2xx);
    std::printf("| GET /v1/products?limit=20 while logins run     | %5.0f | %6.1f | %7ld |\n", list_with_logins.rps,
                list_with_logins.p99_ms, list_with_logins.non_2xx);
    for (const auto* r : {&login_max, &login_paced, &list_with_logins}) {
      if (!r->error.empty()) {
        std::fprintf(stderr, "logins: %s\n", r->error.c_str());
        ++failures;
      }
    }
  }
  std::error_code ec;
  fs::remove_all(work, ec);
  std::printf("\n%d passed, %d failed\n", failures ? 0 : 1, failures ? 1 : 0);
  return failures ? 1 : 0;
}
