// ecomd: the ecom HTTP API daemon. Reads flags and configuration, opens and
// migrates the store, serves until SIGTERM or SIGINT.
//
// Exit codes: 0 stopped cleanly; 1 could not start (store unreachable, schema
// not current, address in use); 2 bad flags or configuration.
#include <pthread.h>
#include <signal.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <cstdio>
#include <iostream>
#include <memory>
#include <thread>

#include "daemon/client_address.h"
#include "daemon/handlers.h"
#include "daemon/logging.h"
#include "daemon/metrics.h"
#include "daemon/router.h"
#include "daemon/server.h"
#include "ecom/auth/api_key_service.h"
#include "ecom/auth/customer_service.h"
#include "ecom/auth/password_hasher.h"
#include "ecom/auth/password_reset_service.h"
#include "ecom/auth/session_service.h"
#include "ecom/catalog/catalog_service.h"
#include "ecom/common/config.h"
#include "ecom/inventory/inventory_service.h"
#include "ecom/orders/cart_service.h"
#include "ecom/orders/order_service.h"
#include "ecom/orders/pricing.h"
#include "ecom/payments/vault.h"
#include "payments/test/test_gateway.h"
#include "ecom/store/database.h"
#include "ecom/store/migrate.h"

namespace {

using ecom::daemon::Log;
using ecom::daemon::LogLevel;

constexpr int kExitOk = 0;
constexpr int kExitStartFailure = 1;
constexpr int kExitUsage = 2;

int Fail(const std::string& msg, nlohmann::ordered_json fields = nlohmann::ordered_json::object()) {
  Log(LogLevel::kError, msg, std::move(fields));
  ecom::daemon::ShutdownLogging();
  return kExitStartFailure;
}

std::string ListenUrl(const std::string& host, int port, bool tls) {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return (tls ? "https://" : "http://") + h + ":" + std::to_string(port);
}

// The settings ecomd cannot serve without, checked before the store is
// touched. Empty if all is well; else what to tell the operator.
std::string MissingSettings(const ecom::Config& config) {
  // No generated fallback: each replica would seal reset tokens with a key of
  // its own, and a key that changes at restart breaks the reset mails in flight.
  if (config.auth_reset_key.empty())
    return "auth.reset_key is not set: set ECOM_AUTH_RESET_KEY (or auth.reset_key in ecom.yaml) "
           "to 64 hex digits, e.g. from 'openssl rand -hex 32', the same on every replica";
  return "";
}

// Guest cart tokens, for the router's cart-holder rule.
class CartTokenCheck : public ecom::daemon::CartTokens {
 public:
  explicit CartTokenCheck(ecom::orders::CartService& carts) : carts_(carts) {}
  ecom::Result<bool> Holds(std::string_view id, std::string_view token) override {
    return carts_.TokenOpens(id, token);
  }

 private:
  ecom::orders::CartService& carts_;
};

// Runs OrderService::Sweep every few seconds until stopped: settles what a
// dead process left unsettled, cancels unpaid orders past their time.
class Sweeper {
 public:
  explicit Sweeper(ecom::orders::OrderService& orders) : thread_([this, &orders] { Loop(orders); }) {}
  ~Sweeper() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

 private:
  void Loop(ecom::orders::OrderService& orders) {
    std::unique_lock lock(mu_);
    while (!cv_.wait_for(lock, std::chrono::seconds(5), [this] { return stop_; })) {
      lock.unlock();
      try {
        auto report = orders.Sweep();
        if (report.payments_settled + report.refunds_settled + report.orders_expired > 0)
          Log(LogLevel::kInfo, "sweep",
              {{"payments_settled", report.payments_settled},
               {"refunds_settled", report.refunds_settled},
               {"orders_expired", report.orders_expired},
               {"carts_expired", report.carts_expired}});
      } catch (const std::exception& e) {
        Log(LogLevel::kWarn, "sweep failed", {{"error", e.what()}});
      }
      lock.lock();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

int Serve(const ecom::Config& config) {
  auto clock = ecom::SystemClock();
  auto ids = ecom::MakeIdGenerator(clock);

  std::unique_ptr<ecom::store::Database> db;
  try {
    ecom::store::DatabaseOptions options;
    options.pool_size = config.database_pool_size;
    db = ecom::store::Open(config.database_url, options);
  } catch (const std::exception& e) {
    return Fail("cannot open the store", {{"error", e.what()}});
  }
  Log(LogLevel::kInfo, "store opened",
      {{"database", db->description()}, {"pool_size", config.database_pool_size}});

  try {
    if (config.database_migrate_on_start) {
      std::vector<int> applied = ecom::store::Migrate(*db, *clock);
      if (!applied.empty()) Log(LogLevel::kInfo, "migrations applied", {{"versions", applied}});
    }
    ecom::store::SchemaStatus schema = ecom::store::GetSchemaStatus(*db);
    if (!schema.up_to_date()) {
      std::string advice = schema.current > schema.latest
                               ? "the store is newer than this build; upgrade ecomd"
                               : "run 'ecom db migrate' or start without --no-migrate";
      return Fail("the store schema is not current",
                  {{"current", schema.current}, {"expected", schema.latest}, {"advice", advice}});
    }
  } catch (const std::exception& e) {
    return Fail("cannot migrate the store", {{"error", e.what()}});
  }

  auto proxies = ecom::daemon::TrustedProxies::Parse(config.http_trusted_proxies);
  if (!proxies) return Fail("invalid http.trusted_proxies", {{"error", proxies.error().message}});
  auto reset_key = ecom::auth::ResetTokenKeyFromHex(config.auth_reset_key);
  if (!reset_key) return Fail("auth.reset_key is not 64 hex digits");

  ecom::catalog::CatalogService catalog(*db, clock, ids, config.shop_currency);
  ecom::inventory::InventoryService inventory(*db, clock, ids);
  ecom::auth::ApiKeyService api_keys(*db, clock, ids);
  // One hasher for the process: its slots bound the argon2 work running at once.
  auto hasher = std::make_shared<ecom::auth::PasswordHasher>();
  ecom::auth::AuthOptions auth_options;
  auth_options.session_ttl = std::chrono::seconds(config.auth_session_ttl_s);
  ecom::auth::SessionService sessions(*db, clock, ids, hasher, auth_options);
  ecom::auth::CustomerService customers(*db, clock, ids, hasher, auth_options);
  ecom::auth::PasswordResetService resets(*db, clock, ids, hasher, *reset_key, auth_options);

  std::vector<std::string> route_labels;
  for (std::size_t i = 0; i < ecom::daemon::Routes().size(); ++i)
    route_labels.push_back(ecom::daemon::RouteName(i));
  ecom::daemon::Metrics metrics(route_labels);
  auto vault = ecom::payments::PaymentVault::Load(config, db->dialect());
  if (!vault) return Fail("no payment encryption key", {{"error", vault.error().message}});
  if (auto s = ecom::orders::PricingSettings::Validate(config); !s)
    return Fail("invalid shipping or tax settings", {{"error", s.error().message}});
  ecom::orders::PricingSettings pricing(*db, clock, config);
  ecom::orders::CartOptions cart_options;
  cart_options.ttl = std::chrono::seconds(config.carts_ttl_s);
  cart_options.default_currency = config.shop_currency;
  ecom::orders::CartService carts(*db, clock, ids, pricing, cart_options);
  ecom::orders::Gateways gateways;
  for (const auto& name : config.payments_gateways) {
    if (name != "test") return Fail("unknown payment gateway", {{"gateway", name}});
    auto secret = config.payments_webhook_secrets.find(name);
    gateways.Add(std::make_shared<ecom::payments::TestGateway>(
        *db, secret == config.payments_webhook_secrets.end() ? "" : secret->second, clock, ids));
  }
  ecom::orders::OrderOptions order_options;
  order_options.payment_timeout = std::chrono::seconds(config.orders_payment_timeout_s);
  ecom::orders::OrderService orders(*db, clock, ids, carts, pricing, gateways, *vault, order_options);
  CartTokenCheck cart_tokens(carts);

  ecom::daemon::Handlers handlers(
      {*db, catalog, inventory, metrics, sessions, customers, resets, pricing, carts, orders, clock});
  ecom::daemon::Router router(
      handlers,
      {.api_keys = api_keys,
       .sessions = sessions,
       .clock = clock,
       .trusted_proxies = std::move(*proxies),
       .rate_limit_per_token = config.http_rate_limit_per_token,
       .access = {.carts = &cart_tokens, .webhook_secrets = &config.payments_webhook_secrets}});
  ecom::daemon::Server server(config, router, metrics, *ids);

  auto port = server.Bind();
  if (!port)
    return Fail("cannot listen", {{"listen", config.http_listen}, {"error", port.error().message}});

  // SIGTERM and SIGINT are blocked in every thread (main() blocked them before
  // any thread started) and taken here with sigwait: a graceful stop runs as
  // ordinary code, not in a signal handler. A second signal forces the exit.
  std::atomic<bool> done{false};
  std::thread watcher([&] {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    int signal = 0;
    if (sigwait(&set, &signal) != 0 || done) return;
    Log(LogLevel::kInfo, "stopping", {{"signal", signal == SIGTERM ? "SIGTERM" : "SIGINT"}});
    server.Stop();  // returns at once; Run() returns when requests in flight are done
    if (sigwait(&set, &signal) != 0 || done) return;
    Log(LogLevel::kWarn, "second signal: exiting without waiting for requests in flight");
    ecom::daemon::ShutdownLogging();
    std::_Exit(kExitStartFailure);
  });

  Log(LogLevel::kInfo, "listening",
      {{"url", ListenUrl(server.host(), *port, !config.http_tls_cert.empty())},
       {"host", server.host()},
       {"port", *port},
       {"tls", !config.http_tls_cert.empty()}});
  {
    Sweeper sweeper(orders);
    server.Run();
  }

  done = true;
  pthread_kill(watcher.native_handle(), SIGTERM);  // wakes the watcher if no signal came
  watcher.join();
  Log(LogLevel::kInfo, "stopped");
  ecom::daemon::ShutdownLogging();
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"ecomd: the ecom HTTP API daemon.", "ecomd"};
  std::string config_file, db_url, listen, log_level;
  std::vector<std::string> settings;
  bool no_migrate = false;
  app.add_option("--config", config_file, "Read settings from this ecom.yaml")->type_name("FILE");
  app.add_option(
         "--db", db_url,
         "Database URL: sqlite:///path/file.db, a file path, or postgresql://... (database.url)")
      ->type_name("URL");
  app.add_option("--listen", listen,
                 "HOST:PORT to listen on; port 0 picks a free port (http.listen)")
      ->type_name("HOST:PORT");
  app.add_flag(
      "--no-migrate", no_migrate,
      "Do not apply pending migrations at start; refuse to start unless the schema is current "
      "(database.migrate_on_start=false)");
  app.add_option("--log-level", log_level, "trace, debug, info, warn or error (log.level)")
      ->type_name("LEVEL");
  app.add_option(
         "--set", settings,
         "Set any configuration key: --set http.cors_origins=https://shop.example "
         "(repeatable; secrets are better passed as ECOM_* variables, which ps does not show)")
      ->type_name("KEY=VALUE");
  app.set_version_flag("--version", ECOM_VERSION);
  app.footer(
      "Settings come from defaults, then --config, then ECOM_* environment variables "
      "(ECOM_DATABASE_URL, ECOM_HTTP_LISTEN, ...), then flags.\n"
      "Exit codes: 0 stopped cleanly, 1 could not start, 2 bad flags or configuration.");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? kExitOk : kExitUsage;
  }

  ecom::ConfigSources sources;
  sources.env = ecom::ProcessEnvironment();
  if (app.count("--config")) sources.file = config_file;
  for (const auto& setting : settings) {
    auto eq = setting.find('=');
    if (eq == std::string::npos || eq == 0) {
      std::cerr << "ecomd: --set needs KEY=VALUE, got '" << setting.substr(0, eq) << "'\n";
      return kExitUsage;
    }
    sources.overrides[setting.substr(0, eq)] = setting.substr(eq + 1);
  }
  if (app.count("--db")) sources.overrides["database.url"] = db_url;
  if (app.count("--listen")) sources.overrides["http.listen"] = listen;
  if (app.count("--log-level")) sources.overrides["log.level"] = log_level;
  if (no_migrate) sources.overrides["database.migrate_on_start"] = "false";
  auto loaded = ecom::LoadConfig(sources);
  if (!loaded) {
    std::cerr << "ecomd: " << loaded.error().message << "\n";
    return kExitUsage;
  }

  // Block the stop signals before any thread exists, so that every thread
  // inherits the mask and only the watcher in Serve() receives them.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  if (std::string missing = MissingSettings(loaded->config); !missing.empty()) {
    std::cerr << "ecomd: " << missing << "\n";
    return kExitUsage;
  }

  ecom::daemon::InitLogging(loaded->config.log_level);
  for (const auto& warning : loaded->warnings) Log(LogLevel::kWarn, warning);
  return Serve(loaded->config);
}
