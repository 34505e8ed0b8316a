// The configuration of ecom and ecomd: typed fields with defaults, read from an
// optional ecom.yaml, then ECOM_* environment variables, then flags.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ecom/common/result.h"

namespace ecom {

// A flat-rate shipping method defined in the file (shipping.methods).
struct ShippingMethodSetting {
  std::string code;                    // what checkout names: `express`
  std::string name;                    // for people: "Express (2 days)"
  std::string amount;                  // decimal in shop.currency: "12.50"
  std::vector<std::string> countries;  // ISO 3166-1 alpha-2; empty: every country
};

// A tax rate defined in the file (tax.rates).
struct TaxRateSetting {
  std::string country;      // ISO 3166-1 alpha-2
  std::string region;       // ISO 3166-2 subdivision code after the dash (NY), "" for the whole country
  std::string percent;      // decimal percent, at most 4 fraction digits: "8.875"
  bool inclusive = false;   // prices already include it (EU style)
  bool on_shipping = false; // shipping is taxed at this rate too
};

struct Config {
  // database.url: where the store lives (sqlite:///path, a bare path, or postgresql://...).
  std::string database_url = "sqlite://var/ecom.db";
  // database.pool_size: reader connections each process keeps open (and on
  // PostgreSQL as many again for writers).
  int database_pool_size = 8;
  // database.migrate_on_start: ecomd applies pending migrations when it starts.
  bool database_migrate_on_start = true;
  // http.listen: HOST:PORT the daemon listens on.
  std::string http_listen = "127.0.0.1:8080";
  // http.threads: worker threads; cpp-httplib holds one per open connection.
  int http_threads = 64;
  // http.max_body_bytes: larger request bodies are refused with 413.
  std::int64_t http_max_body_bytes = 1 << 20;
  // http.keep_alive_timeout_s: idle keep-alive connections are closed after this.
  int http_keep_alive_timeout_s = 5;
  // http.trusted_proxies: CIDR ranges of reverse proxies whose X-Forwarded-For
  // is believed; empty: the socket peer is always the client.
  std::vector<std::string> http_trusted_proxies;
  // http.cors_origins: origins (scheme://host[:port]) browsers may call the API
  // from; empty: no cross-origin access.
  std::vector<std::string> http_cors_origins;
  // http.rate_limit_per_token: requests a second each token may send (with
  // bursts as large); 0: unlimited.
  int http_rate_limit_per_token = 0;
  // http.max_header_bytes: requests whose header fields total more get 431.
  int http_max_header_bytes = 16384;
  // http.max_url_bytes: request targets longer than this get 414.
  int http_max_url_bytes = 8192;
  // http.tls_cert / http.tls_key: PEM files; when both are set ecomd serves
  // HTTPS only.
  std::string http_tls_cert;
  std::string http_tls_key;
  // auth.session_ttl_s: a session lapses this long after its last use.
  std::int64_t auth_session_ttl_s = 30 * 24 * 3600;
  // auth.reset_key: 64 hex digits, the key that seals password reset tokens in
  // events. ecomd refuses to start without one.
  std::string auth_reset_key;
  // payments.webhook_secrets: gateway name -> the secret its webhooks are
  // signed with (`name=secret,...`, or a YAML mapping).
  std::map<std::string, std::string, std::less<>> payments_webhook_secrets;
  // payments.gateways: the gateways checkout may use, the first by default.
  std::vector<std::string> payments_gateways = {"test"};
  // payments.encryption_keys: `VERSION:HEX64,...`; the highest version seals
  // new payment details, every listed one opens old ones. A secret.
  std::string payments_encryption_keys;
  // payments.encryption_key_file: a file holding the same; on SQLite a key
  // is generated at ./var/payment.key when neither is set.
  std::string payments_encryption_key_file;
  // orders.payment_timeout_s: an order still unpaid this long after it was
  // placed is cancelled and its stock released (after asking the gateway).
  std::int64_t orders_payment_timeout_s = 1800;
  // carts.ttl_s: a cart untouched this long expires.
  std::int64_t carts_ttl_s = 14 * 24 * 3600;
  // shipping.methods: flat-rate methods besides the built-in `standard`.
  std::vector<ShippingMethodSetting> shipping_methods;
  // tax.rates: rates by country and region; none means no tax.
  std::vector<TaxRateSetting> tax_rates;
  // shop.currency: ISO 4217 currency of the shop's prices and imports.
  std::string shop_currency = "USD";
  // log.level: trace, debug, info, warn, error.
  std::string log_level = "info";
};

// Every key Config knows, with its one-line description (for --help and docs).
struct ConfigKey {
  const char* key;
  const char* description;
};
const std::vector<ConfigKey>& ConfigKeys();

// The ECOM_* variable for a dotted key: database.url -> ECOM_DATABASE_URL.
std::string EnvNameFor(const std::string& key);

struct ConfigSources {
  std::optional<std::string> file;              // ecom.yaml path; missing file is an error
  std::map<std::string, std::string> env;       // the process environment (ECOM_* only matter)
  std::map<std::string, std::string> overrides; // dotted key -> value, from flags
};

struct LoadedConfig {
  Config config;
  std::vector<std::string> warnings;  // e.g. unknown ECOM_* variables
};

// Builds the configuration. Unknown keys in the file and malformed values are
// errors, all reported together (Error::fields, one per problem); unknown ECOM_*
// variables are only warnings.
Result<LoadedConfig> LoadConfig(const ConfigSources& sources);

// Reads the process environment into a map.
std::map<std::string, std::string> ProcessEnvironment();

}  // namespace ecom
