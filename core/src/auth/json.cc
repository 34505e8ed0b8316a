// The one JSON mapping of API keys.
#include "ecom/auth/json.h"

namespace ecom::auth {
namespace {

nlohmann::json OptionalText(const std::optional<std::string>& s) {
  return s ? nlohmann::json(*s) : nlohmann::json(nullptr);
}

}  // namespace

nlohmann::json ToJson(const ApiKey& key) {
  return {{"id", key.id},
          {"name", key.name},
          {"prefix", key.prefix},
          {"scopes", key.scopes},
          {"created_at", key.created_at},
          {"expires_at", OptionalText(key.expires_at)},
          {"last_used_at", OptionalText(key.last_used_at)},
          {"revoked_at", OptionalText(key.revoked_at)}};
}

}  // namespace ecom::auth
