// API keys: random secrets shown once, kept as SHA-256 digests.
#include "ecom/auth/api_key_service.h"

#include <sodium.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "ecom/auth/principal.h"
#include "ecom/common/text.h"

namespace ecom::auth {
namespace {

std::string Hex(const unsigned char* data, std::size_t n) {
  std::string out(n * 2, '\0');
  sodium_bin2hex(out.data(), out.size() + 1, data, n);
  return out;
}

std::string Digest(std::string_view secret) {
  unsigned char hash[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(hash, reinterpret_cast<const unsigned char*>(secret.data()), secret.size());
  return Hex(hash, sizeof hash);
}

constexpr const char* kColumns =
    "SELECT id, name, prefix, scopes, created_at, expires_at, last_used_at, revoked_at FROM api_keys ";

ApiKey ReadKey(const store::Rows& r) {
  ApiKey k;
  k.id = r.Text(0);
  k.name = r.Text(1);
  k.prefix = r.Text(2);
  k.scopes = nlohmann::json::parse(r.View(3)).get<std::vector<std::string>>();
  k.created_at = r.Text(4);
  k.expires_at = r.OptText(5);
  k.last_used_at = r.OptText(6);
  k.revoked_at = r.OptText(7);
  return k;
}

Error InvalidToken() { return {ErrorCode::kUnauthenticated, "invalid_token", "the API key is not valid", {}}; }

}  // namespace

const std::vector<std::string>& KnownScopes() {
  static const std::vector<std::string> kScopes = {
      "catalog:read", "catalog:write", "inventory:read", "inventory:write", "orders:read", "orders:write",
      "payments:refund", "customers:read", "settings:write", "admin"};
  return kScopes;
}

bool ApiKey::HasScope(std::string_view scope) const { return GrantsScope(scopes, scope); }

ApiKeyService::ApiKeyService(store::Database& db, std::shared_ptr<Clock> clock, std::shared_ptr<IdGenerator> ids)
    : db_(db), clock_(std::move(clock)), ids_(std::move(ids)) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
}

Result<CreatedApiKey> ApiKeyService::Create(std::string_view name, const std::vector<std::string>& scopes,
                                            std::optional<TimePoint> expires_at) {
  std::vector<FieldError> errors;
  if (Trim(name).empty()) errors.push_back({"name", "is required"});
  if (name.size() > 100 || !IsValidUtf8(name)) errors.push_back({"name", "at most 100 bytes of UTF-8"});
  if (scopes.empty()) errors.push_back({"scope", "give at least one scope"});
  for (const auto& s : scopes)
    if (std::find(KnownScopes().begin(), KnownScopes().end(), s) == KnownScopes().end())
      errors.push_back({"scope", "unknown scope '" + s + "'"});
  if (expires_at && *expires_at <= clock_->Now()) errors.push_back({"expires_at", "must be in the future"});
  if (!errors.empty()) return Error::Invalid("the API key is not valid", std::move(errors));

  unsigned char random[32];
  randombytes_buf(random, sizeof random);
  CreatedApiKey created;
  created.secret = "ek_" + Hex(random, sizeof random);
  sodium_memzero(random, sizeof random);
  ApiKey& k = created.key;
  k.id = ids_->Next("key");
  k.name = std::string(Trim(name));
  k.prefix = created.secret.substr(0, 11);
  std::vector<std::string> sorted = scopes;
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  k.scopes = sorted;
  k.created_at = FormatTime(clock_->Now());
  if (expires_at) k.expires_at = FormatTime(*expires_at);
  std::string digest = Digest(created.secret);
  std::string scopes_json = nlohmann::json(k.scopes).dump();
  auto tx = db_.Begin(store::TxMode::kWrite);
  tx->Exec("INSERT INTO api_keys (id, name, prefix, secret_hash, scopes, created_at, expires_at) "
           "VALUES ($1, $2, $3, $4, $5, $6, $7)",
           {std::string_view(k.id), std::string_view(k.name), std::string_view(k.prefix), std::string_view(digest),
            std::string_view(scopes_json), std::string_view(k.created_at), store::Nullable(k.expires_at)});
  tx->Commit();
  return created;
}

Result<std::vector<ApiKey>> ApiKeyService::List() {
  auto tx = db_.Begin(store::TxMode::kRead);
  std::vector<ApiKey> out;
  auto rows = tx->Query(std::string(kColumns) + "ORDER BY id");
  while (rows->Next()) out.push_back(ReadKey(*rows));
  return out;
}

Result<ApiKey> ApiKeyService::Revoke(std::string_view id_or_name) {
  return store::InWriteTransaction(db_, [&](store::Transaction& tx) -> Result<ApiKey> {
    std::vector<ApiKey> matches;
    {
      auto rows = tx.Query(std::string(kColumns) + "WHERE id = $1 OR name = $1", {id_or_name});
      while (rows->Next()) matches.push_back(ReadKey(*rows));
    }
    if (matches.empty()) return Error::NotFound("key_not_found", "no API key '" + std::string(id_or_name) + "'");
    if (matches.size() > 1)
      return Error::Conflict("ambiguous_name", "several keys are named '" + std::string(id_or_name) + "'; use the id");
    ApiKey k = matches.front();
    if (!k.revoked_at) {
      k.revoked_at = FormatTime(clock_->Now());
      tx.Exec("UPDATE api_keys SET revoked_at = $2 WHERE id = $1",
              {std::string_view(k.id), std::string_view(*k.revoked_at)});
    }
    return k;
  });
}

Result<ApiKey> ApiKeyService::Authenticate(std::string_view secret) {
  if (secret.size() != 67 || secret.substr(0, 3) != "ek_") return InvalidToken();
  std::string digest = Digest(secret);
  TimePoint now = clock_->Now();
  ApiKey k;
  {
    auto tx = db_.Begin(store::TxMode::kRead);
    auto rows = tx->Query(std::string(kColumns) + "WHERE secret_hash = $1", {std::string_view(digest)});
    if (!rows->Next()) return InvalidToken();
    k = ReadKey(*rows);
  }
  if (k.revoked_at) return InvalidToken();
  TimePoint expires;
  if (k.expires_at && ParseTime(*k.expires_at, &expires) && expires <= now) return InvalidToken();
  // Record use at most once a minute, so reads do not become disk writes.
  TimePoint last;
  if (!k.last_used_at || !ParseTime(*k.last_used_at, &last) || now - last >= std::chrono::minutes(1)) {
    k.last_used_at = FormatTime(now);
    auto tx = db_.Begin(store::TxMode::kWrite);
    tx->Exec("UPDATE api_keys SET last_used_at = $2 WHERE id = $1",
             {std::string_view(k.id), std::string_view(*k.last_used_at)});
    tx->Commit();
  }
  return k;
}

}  // namespace ecom::auth
