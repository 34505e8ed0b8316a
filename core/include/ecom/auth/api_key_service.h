// API keys for staff tools and integrations: shown once, stored as a SHA-256
// digest, scoped, revocable, optionally expiring.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ecom/common/clock.h"
#include "ecom/common/result.h"
#include "ecom/store/database.h"

namespace ecom::auth {

// The scopes a key may hold. `admin` implies every other.
const std::vector<std::string>& KnownScopes();

struct ApiKey {
  std::string id;      // key_...
  std::string name;
  std::string prefix;  // first characters of the secret, to recognise it in lists
  std::vector<std::string> scopes;
  std::string created_at;
  std::optional<std::string> expires_at;
  std::optional<std::string> last_used_at;
  std::optional<std::string> revoked_at;

  bool HasScope(std::string_view scope) const;
};

struct CreatedApiKey {
  ApiKey key;
  std::string secret;  // `ek_...`: shown to the caller once, never stored
};

// Thread-safe.
class ApiKeyService {
 public:
  ApiKeyService(store::Database& db, std::shared_ptr<Clock> clock, std::shared_ptr<IdGenerator> ids);

  // kInvalidArgument for an empty name, no scopes or an unknown scope.
  Result<CreatedApiKey> Create(std::string_view name, const std::vector<std::string>& scopes,
                               std::optional<TimePoint> expires_at);
  Result<std::vector<ApiKey>> List();
  // By id or name. kNotFound if none.
  Result<ApiKey> Revoke(std::string_view id_or_name);

  // Checks a presented secret. kUnauthenticated (`invalid_token`) if unknown,
  // revoked or expired. Records last use at most once a minute per key.
  Result<ApiKey> Authenticate(std::string_view secret);

 private:
  store::Database& db_;
  std::shared_ptr<Clock> clock_;
  std::shared_ptr<IdGenerator> ids_;
};

}  // namespace ecom::auth
