// Loads the configuration and opens the store for a command.
#include "context.h"

#include <fmt/core.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <stdexcept>

#include "ecom/store/migrate.h"
#include "exit_codes.h"
#include "payments/test/test_gateway.h"

namespace ecom::cli {
namespace {

std::string LoginName() {
  if (const char* user = std::getenv("USER"); user && *user) return user;
  if (const passwd* pw = getpwuid(getuid()); pw && pw->pw_name && *pw->pw_name) return pw->pw_name;
  return "unknown";
}

}  // namespace

void AddGlobalOptions(CLI::App& app, GlobalOptions& options) {
  app.add_option("--db", options.db_url,
                 "Database URL (sqlite:///path/file.db, a file path, or postgresql://...); "
                 "overrides ECOM_DATABASE_URL and database.url")
      ->type_name("URL");
  app.add_option("--config", options.config_file, "Read settings from this ecom.yaml")
      ->type_name("FILE");
  app.add_flag("--json", options.json, "Machine-readable JSON on stdout");
  app.add_option("--actor", options.actor,
                 "Who is acting, recorded as cli:NAME in the stock ledger and events "
                 "(default: the login name)")
      ->type_name("NAME");
}

CLI::App* AddVerb(CLI::App& noun, const std::string& name, const std::string& description,
                  Invocation& invocation) {
  CLI::App* verb = noun.add_subcommand(name, description);
  AddGlobalOptions(*verb, invocation.global);
  verb->footer(ExitCodesHelp());
  return verb;
}

std::string CheckInputFile(const std::string& path) {
  if (path == "-") return "";
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return "no such file: " + path;
  if (S_ISDIR(st.st_mode)) return path + " is a directory";
  if (access(path.c_str(), R_OK) != 0) return "cannot read " + path;
  return "";
}

Result<std::unique_ptr<Context>> Context::Open(const GlobalOptions& options) {
  ConfigSources sources;
  if (!options.config_file.empty()) sources.file = options.config_file;
  sources.env = ProcessEnvironment();
  if (!options.db_url.empty()) sources.overrides["database.url"] = options.db_url;

  Result<LoadedConfig> loaded = LoadConfig(sources);
  if (!loaded.ok()) {
    Error error = std::move(loaded).error();
    error.reason = kInvalidConfigReason;  // a usage problem, whatever core calls it
    return error;
  }
  for (const auto& warning : loaded->warnings) fmt::print(stderr, "ecom: warning: {}\n", warning);

  std::unique_ptr<Context> ctx(new Context());
  ctx->config_ = loaded->config;
  ctx->json_ = options.json;
  ctx->actor_ = Actor{"cli:" + (options.actor.empty() ? LoginName() : options.actor)};
  ctx->clock_ = SystemClock();
  ctx->ids_ = MakeIdGenerator(ctx->clock_);

  store::DatabaseOptions db_options;
  db_options.pool_size = ctx->config_.database_pool_size;
  try {
    ctx->db_ = store::Open(ctx->config_.database_url, db_options);
  } catch (const std::invalid_argument& e) {
    return UsageError(fmt::format("bad database URL: {}", e.what()));
  } catch (const store::DbError& e) {
    return Error{ErrorCode::kUnavailable, "store_unavailable", e.what(), {}};
  }
  return ctx;
}

Status Context::EnsureSchema() {
  store::SchemaStatus status = store::GetSchemaStatus(*db_);
  if (status.current == status.latest) return Ok();
  if (status.current > status.latest) {
    return Error{
        ErrorCode::kUnavailable,
        "schema_too_new",
        fmt::format("the database {} is at schema version {}, newer than this ecom knows ({}); "
                    "upgrade ecom",
                    db_->description(), status.current, status.latest),
        {}};
  }
  if (status.current == 0) {
    std::vector<int> applied = store::Migrate(*db_, *clock_);
    if (!applied.empty())
      fmt::print(stderr, "ecom: set up a new database at {} (schema version {})\n",
                 db_->description(), applied.back());
    return Ok();
  }
  return Error{ErrorCode::kUnavailable,
               "schema_outdated",
               fmt::format("the database {} is at schema version {} but this ecom needs {}; "
                           "run 'ecom db migrate'",
                           db_->description(), status.current, status.latest),
               {}};
}

catalog::CatalogService& Context::catalog() {
  if (!catalog_)
    catalog_ = std::make_unique<catalog::CatalogService>(*db_, clock_, ids_, config_.shop_currency);
  return *catalog_;
}

inventory::InventoryService& Context::inventory() {
  if (!inventory_) inventory_ = std::make_unique<inventory::InventoryService>(*db_, clock_, ids_);
  return *inventory_;
}

auth::ApiKeyService& Context::api_keys() {
  if (!api_keys_) api_keys_ = std::make_unique<auth::ApiKeyService>(*db_, clock_, ids_);
  return *api_keys_;
}

const std::shared_ptr<auth::PasswordHasher>& Context::hasher() {
  // The product's argon2id parameters, so that a hash made here is one the
  // daemon need not replace at the next login.
  if (!hasher_) hasher_ = std::make_shared<auth::PasswordHasher>();
  return hasher_;
}

auth::CustomerService& Context::customers() {
  if (!customers_) customers_ = std::make_unique<auth::CustomerService>(*db_, clock_, ids_, hasher());
  return *customers_;
}

auth::StaffService& Context::staff() {
  if (!staff_) staff_ = std::make_unique<auth::StaffService>(*db_, clock_, ids_, hasher());
  return *staff_;
}

namespace {

// A configuration problem met while building a service: exit 2, like a bad
// setting found by LoadConfig.
Error ConfigError(const std::string& what, const Error& cause) {
  Error error = cause;
  error.code = ErrorCode::kInvalidArgument;
  error.reason = kInvalidConfigReason;
  error.message = what + ": " + cause.message;
  return error;
}

}  // namespace

Result<orders::OrderService*> Context::orders() {
  if (orders_) return orders_.get();
  // The same construction as ecomd's (daemon/main.cc), so that the CLI and the
  // daemon read and change orders alike.
  if (!vault_) {
    auto vault = payments::PaymentVault::Load(config_, db_->dialect());
    if (!vault) return ConfigError("cannot open the payment vault", vault.error());
    vault_ = std::make_unique<payments::PaymentVault>(std::move(*vault));
  }
  if (auto valid = orders::PricingSettings::Validate(config_); !valid)
    return ConfigError("invalid shipping or tax settings", valid.error());
  pricing_ = std::make_unique<orders::PricingSettings>(*db_, clock_, config_);
  orders::CartOptions cart_options;
  cart_options.ttl = std::chrono::seconds(config_.carts_ttl_s);
  cart_options.default_currency = config_.shop_currency;
  carts_ = std::make_unique<orders::CartService>(*db_, clock_, ids_, *pricing_, cart_options);
  gateways_ = std::make_unique<orders::Gateways>();
  for (const auto& name : config_.payments_gateways) {
    if (name != "test")
      return Error{ErrorCode::kInvalidArgument, kInvalidConfigReason,
                   fmt::format("payments.gateways: unknown payment gateway '{}' (known: test)", name),
                   {}};
    auto secret = config_.payments_webhook_secrets.find(name);
    gateways_->Add(std::make_shared<payments::TestGateway>(
        *db_, secret == config_.payments_webhook_secrets.end() ? "" : secret->second, clock_, ids_));
  }
  orders::OrderOptions order_options;
  order_options.payment_timeout = std::chrono::seconds(config_.orders_payment_timeout_s);
  orders_ = std::make_unique<orders::OrderService>(*db_, clock_, ids_, *carts_, *pricing_, *gateways_,
                                                   *vault_, order_options);
  return orders_.get();
}

}  // namespace ecom::cli
