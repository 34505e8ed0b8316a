// HTTPS: with http.tls_cert and http.tls_key ecomd serves TLS, checked with a
// self-signed certificate made here and a client that verifies it.
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <iterator>

#include "daemon_fixture.h"

namespace ecom::daemon::testing {
namespace {

class TlsTest : public DaemonTest {
 protected:
  // A self-signed certificate for 127.0.0.1 (and localhost), valid a day.
  bool MakeCertificate() {
    cert_ = (dir() / "cert.pem").string();
    key_ = (dir() / "key.pem").string();
    std::string command =
        "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 "
        "-addext subjectAltName=IP:127.0.0.1,DNS:localhost -keyout '" +
        key_ + "' -out '" + cert_ + "' > '" + (dir() / "openssl.log").string() + "' 2>&1";
    return std::system(command.c_str()) == 0;
  }

  std::string cert_, key_;
};

TEST_P(TlsTest, ServesHttpsThatVerifiesAgainstItsCertificate) {
  ASSERT_TRUE(MakeCertificate());
  StopDaemon();
  ASSERT_TRUE(StartDaemon({}, {{"ECOM_HTTP_TLS_CERT", cert_}, {"ECOM_HTTP_TLS_KEY", key_}}));
  EXPECT_NE(DaemonLog().find("\"tls\":true"), std::string::npos);

  httplib::SSLClient client("127.0.0.1", port());
  client.set_ca_cert_path(cert_.c_str());
  client.enable_server_certificate_verification(true);
  client.set_connection_timeout(5);
  auto res = client.Get("/v1/categories", {{"Authorization", "Bearer " + admin_key_}});
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Strict-Transport-Security"), "max-age=31536000");
  EXPECT_EQ(res->get_header_value("X-Content-Type-Options"), "nosniff");

  // Plain HTTP gets no answer on the TLS port.
  EXPECT_EQ(Get("/healthz").status, 0);
}

TEST_P(TlsTest, AClientThatTrustsAnotherCertificateRefusesTheConnection) {
  ASSERT_TRUE(MakeCertificate());
  std::string served_cert = cert_, served_key = key_;
  StopDaemon();
  ASSERT_TRUE(
      StartDaemon({}, {{"ECOM_HTTP_TLS_CERT", served_cert}, {"ECOM_HTTP_TLS_KEY", served_key}}));
  std::filesystem::create_directories(dir() / "other");
  cert_ = (dir() / "other" / "cert.pem").string();
  key_ = (dir() / "other" / "key.pem").string();
  std::string command =
      "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 "
      "-addext subjectAltName=IP:127.0.0.1 -keyout '" +
      key_ + "' -out '" + cert_ + "' > /dev/null 2>&1";
  ASSERT_EQ(std::system(command.c_str()), 0);

  httplib::SSLClient client("127.0.0.1", port());
  client.set_ca_cert_path(cert_.c_str());
  client.enable_server_certificate_verification(true);
  EXPECT_FALSE(client.Get("/healthz"));
}

TEST_P(TlsTest, AnUnreadableCertificateStopsTheStart) {
  std::string missing = (dir() / "missing.pem").string();
  std::string out = (dir() / "start.log").string();
  std::string command =
      "env -u ECOM_HTTP_TLS_CERT ECOM_AUTH_RESET_KEY=" + std::string(kTestResetKeyHex) +
      " ECOM_PAYMENTS_ENCRYPTION_KEYS=" + kTestPaymentKeys +
      " ECOM_HTTP_TLS_CERT='" + missing + "' ECOM_HTTP_TLS_KEY='" + missing + "' '" + EcomdPath() +
      "' --db '" + db_url() + "' --listen 127.0.0.1:0 > '" + out + "' 2>&1";
  int status = std::system(command.c_str());
  std::ifstream in(out);
  std::string log((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1) << log;
  EXPECT_NE(log.find("http.tls_cert"), std::string::npos) << log;
  EXPECT_EQ(log.find("\"msg\":\"listening\""), std::string::npos) << log;
}

INSTANTIATE_TEST_SUITE_P(Stores, TlsTest, ::testing::Values("sqlite"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace ecom::daemon::testing
