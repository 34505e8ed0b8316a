// ecomd as a process: graceful stop, refusing to start, exit codes.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string_view>
#include <thread>

#include "daemon_fixture.h"

namespace ecom::daemon::testing {
namespace {

using namespace std::chrono_literals;

int Connect(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

void SendAll(int fd, const std::string& data) {
  std::size_t sent = 0;
  while (sent < data.size()) {
    ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    ASSERT_GT(n, 0);
    sent += static_cast<std::size_t>(n);
  }
}

std::string ReadAll(int fd) {
  std::string out;
  char buf[4096];
  while (true) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

class ProcessTest : public DaemonTest {};

TEST_P(ProcessTest, SigtermLetsTheRequestInFlightFinishThenExitsZero) {
  // A request whose body is still arriving when the signal comes.
  std::string body = ProductBody("In Flight", "FLIGHT-1", 700).dump();
  std::string head =
      "POST /v1/products HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + admin_key_ +
      "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
      "\r\nConnection: close\r\n\r\n";
  int fd = Connect(port());
  ASSERT_GE(fd, 0);
  SendAll(fd, head + body.substr(0, 10));
  std::this_thread::sleep_for(200ms);

  ASSERT_EQ(kill(daemon_pid(), SIGTERM), 0);
  std::this_thread::sleep_for(300ms);
  int status = 0;
  EXPECT_EQ(waitpid(daemon_pid(), &status, WNOHANG), 0) << "ecomd exited with a request in flight";
  int late = Connect(port());
  EXPECT_LT(late, 0) << "ecomd still accepts connections after SIGTERM";
  if (late >= 0) ::close(late);

  SendAll(fd, body.substr(10));
  std::string response = ReadAll(fd);
  ::close(fd);
  EXPECT_EQ(response.rfind("HTTP/1.1 201", 0), 0u) << response;
  EXPECT_EQ(WaitForExit(10s), 0);
  EXPECT_NE(DaemonLog().find("\"msg\":\"stopped\""), std::string::npos);
}

TEST_P(ProcessTest, PutWithoutContentLengthIsAnsweredAtOnce) {
  // No Content-Length and no Transfer-Encoding: the request has no body, and
  // the server must not wait for one.
  int fd = Connect(port());
  ASSERT_GE(fd, 0);
  timeval timeout{.tv_sec = 3, .tv_usec = 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  SendAll(fd,
          "PUT /v1/collections/none/products/none HTTP/1.1\r\nHost: localhost\r\n"
          "Authorization: Bearer " +
              admin_key_ + "\r\nConnection: close\r\n\r\n");
  auto start = std::chrono::steady_clock::now();
  std::string response = ReadAll(fd);
  ::close(fd);
  EXPECT_EQ(response.rfind("HTTP/1.1 404", 0), 0u) << response;
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
}

// Reads from `fd` until `needle` has arrived, the peer closes, or nothing
// comes for 3 s; what was read.
std::string ReadUntil(int fd, std::string_view needle) {
  timeval timeout{.tv_sec = 3, .tv_usec = 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  std::string out;
  char buf[4096];
  while (out.find(needle) == std::string::npos) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

std::size_t Count(std::string_view text, std::string_view what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string_view::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST_P(ProcessTest, AStopDoesNotWaitForIdleKeepAliveConnections) {
  ASSERT_EQ(StopDaemon(), 0);
  ASSERT_TRUE(StartDaemon({}, {{"ECOM_HTTP_KEEP_ALIVE_TIMEOUT_S", "60"}}));
  int fd = Connect(port());
  ASSERT_GE(fd, 0);
  SendAll(fd, "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n");
  std::string first = ReadUntil(fd, "\r\n\r\n");
  ASSERT_EQ(first.rfind("HTTP/1.1 200", 0), 0u) << first;
  // The connection stays open and idle, for up to a minute.
  auto start = std::chrono::steady_clock::now();
  ASSERT_EQ(kill(daemon_pid(), SIGTERM), 0);
  EXPECT_EQ(WaitForExit(5s), 0);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  ::close(fd);
}

TEST_P(ProcessTest, PipelinedRequestsAreAnsweredInOrder) {
  int fd = Connect(port());
  ASSERT_GE(fd, 0);
  // Both requests in one segment: the second is read along with the first.
  SendAll(fd,
          "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n"
          "GET /v1/products/none HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
  std::string responses = ReadUntil(fd, "product_not_found");
  ::close(fd);
  EXPECT_EQ(responses.rfind("HTTP/1.1 200", 0), 0u) << responses;
  EXPECT_NE(responses.find("HTTP/1.1 404"), std::string::npos) << responses;
  EXPECT_LT(responses.find("HTTP/1.1 200"), responses.find("HTTP/1.1 404")) << responses;
  EXPECT_EQ(Count(responses, "HTTP/1.1 "), 2u) << responses;
}

TEST_P(ProcessTest, ExpectContinueIsAnsweredBeforeTheBodyIsSent) {
  std::string body = R"({"name":"Continued"})";
  int fd = Connect(port());
  ASSERT_GE(fd, 0);
  SendAll(fd, "POST /v1/categories HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + admin_key_ +
                  "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
                  "\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n");
  std::string interim = ReadUntil(fd, "\r\n\r\n");
  EXPECT_EQ(interim, "HTTP/1.1 100 Continue\r\n\r\n");
  SendAll(fd, body);
  std::string response = ReadAll(fd);
  ::close(fd);
  EXPECT_EQ(response.rfind("HTTP/1.1 201", 0), 0u) << response;
}

INSTANTIATE_TEST_SUITE_P(Stores, ProcessTest, ::testing::ValuesIn(TestStores()),
                         [](const auto& info) { return info.param; });

// Runs ecomd to completion; its exit code and what it printed. Unless told
// otherwise it runs with the tests' auth.reset_key.
std::pair<int, std::string> RunEcomd(const std::vector<std::string>& args,
                                     bool with_reset_key = true) {
  std::string templ = (std::filesystem::temp_directory_path() / "ecomd-run-XXXXXX").string();
  int fd = mkstemp(templ.data());
  std::vector<std::string> all = {EcomdPath()};
  if (with_reset_key) all.push_back(std::string("--set=auth.reset_key=") + kTestResetKeyHex);
  all.push_back(std::string("--set=payments.encryption_keys=") + kTestPaymentKeys);
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fd, 1);
    dup2(fd, 2);
    execv(argv[0], argv.data());
    _exit(127);
  }
  ::close(fd);
  int status = 0;
  for (int i = 0; i < 3000 && waitpid(pid, &status, WNOHANG) != pid; ++i)
    std::this_thread::sleep_for(10ms);
  if (!WIFEXITED(status)) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
  }
  std::ifstream in(templ);
  std::stringstream out;
  out << in.rdbuf();
  ::unlink(templ.c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out.str()};
}

TEST(EcomdStartTest, RefusesToStartOnAnUnmigratedStoreWithNoMigrate) {
  std::string dir = (std::filesystem::temp_directory_path() / "ecomd-nomigrate-XXXXXX").string();
  ASSERT_NE(mkdtemp(dir.data()), nullptr);
  auto [code, output] = RunEcomd({"--db", std::string("sqlite://") + dir + "/empty.db", "--listen",
                                  "127.0.0.1:0", "--no-migrate"});
  std::filesystem::remove_all(dir);
  EXPECT_EQ(code, 1) << output;
  EXPECT_NE(output.find("schema is not current"), std::string::npos) << output;
  EXPECT_EQ(output.find("\"msg\":\"listening\""), std::string::npos) << output;
}

TEST(EcomdStartTest, BadConfigurationExitsTwo) {
  auto [code, output] = RunEcomd({"--listen", "nowhere"});
  EXPECT_EQ(code, 2) << output;
  EXPECT_NE(output.find("http.listen"), std::string::npos) << output;

  auto [flag_code, flag_output] = RunEcomd({"--no-such-flag"});
  EXPECT_EQ(flag_code, 2) << flag_output;
}

TEST(EcomdStartTest, RefusesToStartWithoutAResetKey) {
  auto [code, output] = RunEcomd({"--listen", "127.0.0.1:0"}, /*with_reset_key=*/false);
  EXPECT_EQ(code, 2) << output;
  EXPECT_NE(output.find("auth.reset_key"), std::string::npos) << output;
  EXPECT_EQ(output.find("\"msg\":\"listening\""), std::string::npos) << output;
}

TEST(EcomdStartTest, AMalformedResetKeyIsABadConfigurationAndIsNotEchoed) {
  std::string key(63, 'a');
  key += 'z';
  auto [code, output] = RunEcomd({"--set", "auth.reset_key=" + key}, /*with_reset_key=*/false);
  EXPECT_EQ(code, 2) << output;
  EXPECT_NE(output.find("auth.reset_key"), std::string::npos) << output;
  EXPECT_EQ(output.find(key), std::string::npos) << output;
}

TEST(EcomdStartTest, MissingConfigFileExitsTwo) {
  auto [code, output] = RunEcomd({"--config", "/nonexistent/ecom.yaml"});
  EXPECT_EQ(code, 2) << output;
}

}  // namespace
}  // namespace ecom::daemon::testing
