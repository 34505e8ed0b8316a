// Reads ecom.yaml, ECOM_* variables and flag overrides into a Config.
#include "ecom/common/config.h"

#include <yaml-cpp/yaml.h>

#include <cctype>
#include <charconv>
#include <functional>

#include "ecom/common/money.h"

extern char** environ;

namespace ecom {
namespace {

using Setter = std::function<std::optional<std::string>(Config&, const std::string&)>;

std::optional<std::string> SetInt(std::int64_t& out, const std::string& v, std::int64_t min,
                                  std::int64_t max) {
  std::int64_t n = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || end != v.data() + v.size()) return "'" + v + "' is not a whole number";
  if (n < min || n > max)
    return "must be between " + std::to_string(min) + " and " + std::to_string(max);
  out = n;
  return std::nullopt;
}

std::optional<std::string> SetInt(int& out, const std::string& v, int min, int max) {
  std::int64_t n = 0;
  if (auto err = SetInt(n, v, min, max)) return err;
  out = static_cast<int>(n);
  return std::nullopt;
}

std::optional<std::string> SetBool(bool& out, const std::string& v) {
  if (v == "true" || v == "1" || v == "yes" || v == "on") out = true;
  else if (v == "false" || v == "0" || v == "no" || v == "off") out = false;
  else return "'" + v + "' is not true or false";
  return std::nullopt;
}

// A comma-separated list (a YAML sequence arrives joined by commas); blanks
// around items are dropped, as are empty items.
std::vector<std::string> SplitList(const std::string& v) {
  std::vector<std::string> items;
  std::size_t pos = 0;
  while (pos <= v.size()) {
    std::size_t comma = v.find(',', pos);
    std::string item = v.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    auto first = item.find_first_not_of(" \t"), last = item.find_last_not_of(" \t");
    if (first != std::string::npos) items.push_back(item.substr(first, last - first + 1));
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return items;
}

std::optional<std::string> SetPath(std::string& out, const std::string& v) {
  out = v;  // "" unsets it; whether the file exists is checked when it is opened
  return std::nullopt;
}

// `gateway=secret,...`. Neither part may be empty.
std::optional<std::string> SetWebhookSecrets(Config& c, const std::string& v) {
  std::map<std::string, std::string, std::less<>> secrets;
  for (const auto& item : SplitList(v)) {
    auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == item.size())
      return "each entry must be GATEWAY=SECRET";  // never echo the value: it holds secrets
    secrets[item.substr(0, eq)] = item.substr(eq + 1);
  }
  c.payments_webhook_secrets = std::move(secrets);
  return std::nullopt;
}

bool IsCountryCode(std::string_view c) {
  return c.size() == 2 && std::isupper(static_cast<unsigned char>(c[0])) &&
         std::isupper(static_cast<unsigned char>(c[1]));
}

// Splits `a|b|c` into its fields, keeping empty ones.
std::vector<std::string> SplitFields(const std::string& v) {
  std::vector<std::string> fields;
  std::size_t pos = 0;
  for (;;) {
    std::size_t bar = v.find('|', pos);
    fields.push_back(v.substr(pos, bar == std::string::npos ? std::string::npos : bar - pos));
    if (bar == std::string::npos) return fields;
    pos = bar + 1;
  }
}

// A decimal with at most `places` fraction digits and no sign.
bool IsDecimal(std::string_view v, int places) {
  auto dot = v.find('.');
  std::string_view whole = v.substr(0, dot);
  std::string_view frac = dot == std::string_view::npos ? std::string_view() : v.substr(dot + 1);
  auto digits = [](std::string_view s) {
    return s.find_first_not_of("0123456789") == std::string_view::npos;
  };
  if (whole.empty() || !digits(whole) || !digits(frac)) return false;
  return dot == std::string_view::npos ? true : !frac.empty() && static_cast<int>(frac.size()) <= places;
}

// `CODE|NAME|AMOUNT|COUNTRIES,...`, COUNTRIES space-separated or `*`.
std::optional<std::string> SetShippingMethods(Config& c, const std::string& v) {
  std::vector<ShippingMethodSetting> methods;
  for (const auto& item : SplitList(v)) {
    auto f = SplitFields(item);
    if (f.size() != 4) return "'" + item + "' is not CODE|NAME|AMOUNT|COUNTRIES";
    ShippingMethodSetting m{f[0], f[1], f[2], {}};
    if (m.code.empty() || m.code.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_-") !=
                              std::string::npos)
      return "'" + m.code + "' is not a method code (lower-case letters, digits, - and _)";
    if (m.name.empty()) return "method " + m.code + " has no name";
    if (!IsDecimal(m.amount, 3)) return "method " + m.code + ": '" + m.amount + "' is not an amount";
    if (f[3] != "*") {
      std::size_t pos = 0;
      while (pos < f[3].size()) {
        std::size_t sp = f[3].find(' ', pos);
        std::string country = f[3].substr(pos, sp == std::string::npos ? std::string::npos : sp - pos);
        if (!country.empty()) {
          if (!IsCountryCode(country))
            return "method " + m.code + ": '" + country + "' is not a country code such as US";
          m.countries.push_back(country);
        }
        if (sp == std::string::npos) break;
        pos = sp + 1;
      }
      if (m.countries.empty()) return "method " + m.code + " names no countries (use * for all)";
    }
    for (const auto& other : methods)
      if (other.code == m.code) return "method " + m.code + " is defined twice";
    methods.push_back(std::move(m));
  }
  c.shipping_methods = std::move(methods);
  return std::nullopt;
}

// `COUNTRY|REGION|PERCENT|inclusive or exclusive|shipping or "",...`.
std::optional<std::string> SetTaxRates(Config& c, const std::string& v) {
  std::vector<TaxRateSetting> rates;
  for (const auto& item : SplitList(v)) {
    auto f = SplitFields(item);
    if (f.size() != 5) return "'" + item + "' is not COUNTRY|REGION|PERCENT|inclusive|shipping";
    TaxRateSetting r{f[0], f[1], f[2], false, false};
    if (!IsCountryCode(r.country)) return "'" + r.country + "' is not a country code such as DE";
    if (!IsDecimal(r.percent, 4)) return "'" + r.percent + "' is not a percentage such as 8.875";
    if (f[3] == "inclusive") r.inclusive = true;
    else if (f[3] != "exclusive") return "'" + f[3] + "' is not inclusive or exclusive";
    if (f[4] == "shipping") r.on_shipping = true;
    else if (!f[4].empty()) return "'" + f[4] + "' is not shipping or empty";
    for (const auto& other : rates)
      if (other.country == r.country && other.region == r.region)
        return "the rate for " + r.country + (r.region.empty() ? "" : "-" + r.region) +
               " is defined twice";
    rates.push_back(std::move(r));
  }
  c.tax_rates = std::move(rates);
  return std::nullopt;
}

// The prefix under which a YAML mapping names one gateway's secret:
// payments: {webhook_secrets: {test: "..."}}.
constexpr std::string_view kWebhookSecretPrefix = "payments.webhook_secrets.";

struct KeyDef {
  ConfigKey key;
  Setter set;
};

const std::vector<KeyDef>& Keys() {
  static const std::vector<KeyDef> kKeys = {
      {{"database.url",
        "where the store lives: sqlite:///path/file.db, a bare path, or postgresql://..."},
       [](Config& c, const std::string& v) -> std::optional<std::string> {
         if (v.empty()) return "must not be empty";
         c.database_url = v;
         return std::nullopt;
       }},
      {{"database.pool_size", "reader connections each process keeps open, and on PostgreSQL as many for writers (1-256)"},
       [](Config& c, const std::string& v) { return SetInt(c.database_pool_size, v, 1, 256); }},
      {{"database.migrate_on_start", "ecomd applies pending migrations at start (true/false)"},
       [](Config& c, const std::string& v) { return SetBool(c.database_migrate_on_start, v); }},
      {{"http.listen", "HOST:PORT the daemon listens on"},
       [](Config& c, const std::string& v) -> std::optional<std::string> {
         auto colon = v.rfind(':');
         if (colon == std::string::npos || colon == 0 || colon + 1 == v.size())
           return "'" + v + "' is not HOST:PORT";
         int port = 0;
         if (SetInt(port, v.substr(colon + 1), 0, 65535)) return "'" + v + "' has no valid port";
         c.http_listen = v;
         return std::nullopt;
       }},
      {{"http.threads", "worker threads (cpp-httplib holds one per open connection)"},
       [](Config& c, const std::string& v) { return SetInt(c.http_threads, v, 2, 4096); }},
      {{"http.max_body_bytes", "request bodies larger than this get 413"},
       [](Config& c, const std::string& v) {
         return SetInt(c.http_max_body_bytes, v, 1024, std::int64_t{1} << 32);
       }},
      {{"http.keep_alive_timeout_s", "seconds an idle keep-alive connection is kept"},
       [](Config& c, const std::string& v) {
         return SetInt(c.http_keep_alive_timeout_s, v, 1, 3600);
       }},
      {{"http.trusted_proxies",
        "comma-separated CIDR ranges of reverse proxies whose X-Forwarded-For is believed"},
       [](Config& c, const std::string& v) -> std::optional<std::string> {
         c.http_trusted_proxies = SplitList(v);
         return std::nullopt;
       }},
      {{"http.cors_origins",
        "comma-separated origins (https://shop.example) browsers may call the API from"},
       [](Config& c, const std::string& v) -> std::optional<std::string> {
         for (const auto& origin : SplitList(v))
           if (origin.find("://") == std::string::npos || origin.back() == '/')
             return "'" + origin + "' is not an origin such as https://shop.example";
         c.http_cors_origins = SplitList(v);
         return std::nullopt;
       }},
      {{"http.rate_limit_per_token", "requests a second each token may send; 0 for no limit"},
       [](Config& c, const std::string& v) {
         return SetInt(c.http_rate_limit_per_token, v, 0, 1000000);
       }},
      {{"http.max_header_bytes", "requests whose header fields total more get 431"},
       [](Config& c, const std::string& v) {
         return SetInt(c.http_max_header_bytes, v, 1024, 1 << 20);
       }},
      {{"http.max_url_bytes", "request targets longer than this get 414 (at most 8192)"},
       [](Config& c, const std::string& v) { return SetInt(c.http_max_url_bytes, v, 256, 8192); }},
      {{"http.tls_cert", "PEM certificate chain; with http.tls_key, ecomd serves HTTPS"},
       [](Config& c, const std::string& v) { return SetPath(c.http_tls_cert, v); }},
      {{"http.tls_key", "PEM private key of http.tls_cert"},
       [](Config& c, const std::string& v) { return SetPath(c.http_tls_key, v); }},
      {{"auth.session_ttl_s", "seconds a session lives after its last use (sliding)"},
       [](Config& c, const std::string& v) {
         return SetInt(c.auth_session_ttl_s, v, 60, std::int64_t{366} * 24 * 3600);
       }},
      {{"auth.reset_key", "64 hex digits sealing password reset tokens; ecomd needs it"},
       [](Config& c, const std::string& v) -> std::optional<std::string> {
         bool hex =
             v.size() == 64 && v.find_first_not_of("0123456789abcdefABCDEF") == std::string::npos;
         if (!hex) return "must be 64 hex digits (openssl rand -hex 32)";  // never echo a key
         c.auth_reset_key = v;
         return std::nullopt;
       }},
      {{"payments.webhook_secrets",
        "GATEWAY=SECRET,... : the secret each payment gateway signs its webhooks with"},
       SetWebhookSecrets},
      {{"payments.gateways", "comma-separated payment gateways checkout may use, the first by default"},
       [](Config& c, const std::string& v) -> std::optional<std::string> {
         auto list = SplitList(v);
         if (list.empty()) return "must name at least one gateway";
         c.payments_gateways = std::move(list);
         return std::nullopt;
       }},
      {{"payments.encryption_keys",
        "VERSION:HEX64,... keys sealing payment details; the highest version seals new ones"},
       [](Config& c, const std::string& v) -> std::optional<std::string> {
         c.payments_encryption_keys = v;  // checked when the key ring is built; never echoed
         return std::nullopt;
       }},
      {{"payments.encryption_key_file", "a file holding payments.encryption_keys"},
       [](Config& c, const std::string& v) { return SetPath(c.payments_encryption_key_file, v); }},
      {{"orders.payment_timeout_s", "seconds an order may stay unpaid before it is cancelled"},
       [](Config& c, const std::string& v) {
         return SetInt(c.orders_payment_timeout_s, v, 60, std::int64_t{30} * 24 * 3600);
       }},
      {{"carts.ttl_s", "seconds an untouched cart lives"},
       [](Config& c, const std::string& v) {
         return SetInt(c.carts_ttl_s, v, 60, std::int64_t{366} * 24 * 3600);
       }},
      {{"shipping.methods", "flat-rate methods CODE|NAME|AMOUNT|COUNTRIES (space-separated or *), comma-separated"},
       SetShippingMethods},
      {{"tax.rates", "tax rates COUNTRY|REGION|PERCENT|inclusive or exclusive|shipping or empty, comma-separated"},
       SetTaxRates},
      {{"shop.currency", "ISO 4217 currency of the shop's prices (USD, EUR, JPY, ...)"},
       [](Config& c, const std::string& v) -> std::optional<std::string> {
         if (!CurrencyExponent(v)) return "'" + v + "' is not an ISO 4217 currency code";
         c.shop_currency = v;
         return std::nullopt;
       }},
      {{"log.level", "trace, debug, info, warn or error"},
       [](Config& c, const std::string& v) -> std::optional<std::string> {
         if (v != "trace" && v != "debug" && v != "info" && v != "warn" && v != "error")
           return "'" + v + "' is not one of trace, debug, info, warn, error";
         c.log_level = v;
         return std::nullopt;
       }},
  };
  return kKeys;
}

const KeyDef* Find(const std::string& key) {
  for (const auto& k : Keys())
    if (key == k.key.key) return &k;
  return nullptr;
}

// Flattens a YAML mapping into dotted keys.
void Flatten(const YAML::Node& node, const std::string& prefix,
             std::vector<std::pair<std::string, std::string>>& out,
             std::vector<FieldError>& errors) {
  if (node.IsMap()) {
    for (const auto& kv : node) {
      std::string key = kv.first.as<std::string>();
      Flatten(kv.second, prefix.empty() ? key : prefix + "." + key, out, errors);
    }
  } else if (node.IsScalar()) {
    out.emplace_back(prefix, node.Scalar());
  } else if (node.IsNull()) {
    out.emplace_back(prefix, "");
  } else if (node.IsSequence()) {
    // Lists (http.cors_origins, http.trusted_proxies) read as their
    // comma-separated form.
    std::string joined;
    for (const auto& item : node) {
      if (!item.IsScalar()) {
        errors.push_back({prefix, "must be a list of single values"});
        return;
      }
      joined += (joined.empty() ? "" : ",") + item.Scalar();
    }
    out.emplace_back(prefix, joined);
  } else {
    errors.push_back({prefix, "must be a single value"});
  }
}

}  // namespace

const std::vector<ConfigKey>& ConfigKeys() {
  static const std::vector<ConfigKey> kList = [] {
    std::vector<ConfigKey> list;
    for (const auto& k : Keys()) list.push_back(k.key);
    return list;
  }();
  return kList;
}

std::string EnvNameFor(const std::string& key) {
  std::string out = "ECOM_";
  for (char c : key) out.push_back(c == '.' ? '_' : static_cast<char>(std::toupper(c)));
  return out;
}

std::map<std::string, std::string> ProcessEnvironment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string_view entry(*e);
    auto eq = entry.find('=');
    if (eq != std::string_view::npos) env.emplace(entry.substr(0, eq), entry.substr(eq + 1));
  }
  return env;
}

Result<LoadedConfig> LoadConfig(const ConfigSources& sources) {
  LoadedConfig loaded;
  std::vector<FieldError> errors;
  auto apply = [&](const std::string& key, const std::string& value, const std::string& where) {
    if (key.rfind(kWebhookSecretPrefix, 0) == 0 && key.size() > kWebhookSecretPrefix.size()) {
      if (value.empty())
        errors.push_back({key, where + ": must not be empty"});
      else
        loaded.config.payments_webhook_secrets[key.substr(kWebhookSecretPrefix.size())] = value;
      return;
    }
    const KeyDef* def = Find(key);
    if (!def) {
      errors.push_back({key, where + ": unknown setting"});
      return;
    }
    if (auto err = def->set(loaded.config, value)) errors.push_back({key, where + ": " + *err});
  };

  if (sources.file) {
    try {
      YAML::Node root = YAML::LoadFile(*sources.file);
      if (!root.IsNull() && !root.IsMap()) {
        errors.push_back({"", *sources.file + ": the top level must be a mapping"});
      } else {
        std::vector<std::pair<std::string, std::string>> entries;
        Flatten(root, "", entries, errors);
        for (auto& [k, v] : entries) apply(k, v, *sources.file);
      }
    } catch (const YAML::BadFile&) {
      errors.push_back({"", "cannot read config file " + *sources.file});
    } catch (const YAML::Exception& e) {
      errors.push_back({"", *sources.file + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg});
    }
  }

  for (const auto& [name, value] : sources.env) {
    if (name.rfind("ECOM_", 0) != 0) continue;
    const KeyDef* match = nullptr;
    for (const auto& k : Keys())
      if (EnvNameFor(k.key.key) == name) match = &k;
    if (!match) {
      loaded.warnings.push_back("ignoring unknown environment variable " + name);
      continue;
    }
    apply(match->key.key, value, name);
  }

  for (const auto& [key, value] : sources.overrides) apply(key, value, "flag");

  if (loaded.config.http_tls_cert.empty() != loaded.config.http_tls_key.empty())
    errors.push_back({"http.tls_cert", "http.tls_cert and http.tls_key must be set together"});

  if (!errors.empty()) {
    std::string message = "invalid configuration:";
    for (const auto& e : errors) message += "\n  " + (e.field.empty() ? "" : e.field + ": ") + e.message;
    return Error{ErrorCode::kInvalidArgument, "invalid_config", message, errors};
  }
  return loaded;
}

}  // namespace ecom
