// What every `ecom` command shares: the global flags, the configuration they
// select, the opened store and the core services over it.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "ecom/auth/api_key_service.h"
#include "ecom/auth/customer_service.h"
#include "ecom/auth/password_hasher.h"
#include "ecom/auth/staff_service.h"
#include "ecom/catalog/catalog_service.h"
#include "ecom/common/actor.h"
#include "ecom/common/clock.h"
#include "ecom/common/config.h"
#include "ecom/common/result.h"
#include "ecom/inventory/inventory_service.h"
#include "ecom/orders/cart_service.h"
#include "ecom/orders/order_service.h"
#include "ecom/orders/pricing.h"
#include "ecom/payments/vault.h"
#include "ecom/store/database.h"

namespace CLI {
class App;
}

namespace ecom::cli {

// Flags every command takes.
struct GlobalOptions {
  std::string db_url;       // --db: overrides database.url
  std::string config_file;  // --config: an ecom.yaml
  bool json = false;        // --json: machine-readable output on stdout
  std::string actor;        // --actor: recorded as cli:NAME (default: the login name)
};

// Adds --db, --config, --json and --actor to `app`, bound to `options`.
void AddGlobalOptions(CLI::App& app, GlobalOptions& options);

// The configuration, store and services of one command run. Not thread-safe;
// a command uses it from one thread.
class Context {
 public:
  // Loads the configuration (file from --config, then ECOM_* variables, then
  // flags) and opens the store it names. A bad configuration or database URL
  // is a usage error; an unreachable store is kUnavailable. Configuration
  // warnings (unknown ECOM_* variables) go to stderr.
  static Result<std::unique_ptr<Context>> Open(const GlobalOptions& options);

  // Makes sure the schema is what this build expects. An empty database is
  // migrated on the spot (so a first run needs no setup); a database behind
  // or ahead of this build is refused with advice.
  Status EnsureSchema();

  const Config& config() const { return config_; }
  store::Database& db() { return *db_; }
  const std::shared_ptr<Clock>& clock() const { return clock_; }
  const std::shared_ptr<IdGenerator>& ids() const { return ids_; }
  const Actor& actor() const { return actor_; }
  bool json() const { return json_; }

  catalog::CatalogService& catalog();
  inventory::InventoryService& inventory();
  auth::ApiKeyService& api_keys();
  auth::CustomerService& customers();
  auth::StaffService& staff();
  // Orders and payments, over pricing, carts, the configured payment gateways
  // and the payment vault, built as ecomd builds them. A payment key that is
  // missing or unreadable, an unknown gateway or bad shipping or tax settings
  // is a configuration error (exit 2).
  Result<orders::OrderService*> orders();

 private:
  // One per run, shared by the services that hash passwords.
  const std::shared_ptr<auth::PasswordHasher>& hasher();

  Context() = default;

  Config config_;
  std::unique_ptr<store::Database> db_;
  std::shared_ptr<Clock> clock_;
  std::shared_ptr<IdGenerator> ids_;
  Actor actor_;
  bool json_ = false;
  std::unique_ptr<catalog::CatalogService> catalog_;
  std::unique_ptr<inventory::InventoryService> inventory_;
  std::unique_ptr<auth::ApiKeyService> api_keys_;
  std::shared_ptr<auth::PasswordHasher> hasher_;
  std::unique_ptr<auth::CustomerService> customers_;
  std::unique_ptr<auth::StaffService> staff_;
  // What the order service stands on; declared before it, so gone after it.
  std::unique_ptr<payments::PaymentVault> vault_;
  std::unique_ptr<orders::PricingSettings> pricing_;
  std::unique_ptr<orders::CartService> carts_;
  std::unique_ptr<orders::Gateways> gateways_;
  std::unique_ptr<orders::OrderService> orders_;
};

// What a parsed command runs once the store is open; returns the exit code.
using Action = std::function<int(Context&)>;

// The command chosen on the command line.
struct Invocation {
  GlobalOptions global;
  Action action;
  bool needs_schema = true;  // false for `db` commands, which manage the schema
};

// Adds the verb `name` under `noun`, with the global flags and the exit codes
// in its help.
CLI::App* AddVerb(CLI::App& noun, const std::string& name, const std::string& description,
                  Invocation& invocation);

// A CLI11 check for an input file argument: "" if `path` is "-" (stdin) or a
// readable regular file, else what is wrong with it.
std::string CheckInputFile(const std::string& path);

// Each noun adds its verbs to the root app; a verb's callback fills
// `invocation.action`.
void AddDbCommands(CLI::App& app, Invocation& invocation);
void AddCatalogCommands(CLI::App& app, Invocation& invocation);
void AddProductCommands(CLI::App& app, Invocation& invocation);
void AddStockCommands(CLI::App& app, Invocation& invocation);
void AddApiKeyCommands(CLI::App& app, Invocation& invocation);
void AddStaffCommands(CLI::App& app, Invocation& invocation);
void AddCustomerCommands(CLI::App& app, Invocation& invocation);
void AddOrderCommands(CLI::App& app, Invocation& invocation);
void AddPaymentCommands(CLI::App& app, Invocation& invocation);

}  // namespace ecom::cli
