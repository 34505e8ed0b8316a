// The JSON shape of an API key, for every adapter that lists keys.
#pragma once

#include <nlohmann/json.hpp>

#include "ecom/auth/api_key_service.h"

namespace ecom::auth {

// {"id","name","prefix","scopes":[...],"created_at","expires_at",
//  "last_used_at","revoked_at"}; the last three may be null. Never the secret.
nlohmann::json ToJson(const ApiKey& key);

}  // namespace ecom::auth
