// The JSON shapes of the auth domain, for every adapter that shows them.
// None ever carries a secret: no password, hash, token or key secret.
#pragma once

#include <nlohmann/json.hpp>

#include "ecom/auth/api_key_service.h"
#include "ecom/auth/customer_service.h"
#include "ecom/auth/principal.h"
#include "ecom/auth/staff_service.h"

namespace ecom::auth {

// {"id","name","prefix","scopes":[...],"created_at","expires_at",
//  "last_used_at","revoked_at"}; the last three may be null. Never the secret.
nlohmann::json ToJson(const ApiKey& key);

// {"id","email","name","status","created_at","updated_at","last_login_at",
//  "deleted_at"}; email is null once deleted.
nlohmann::json ToJson(const Customer& customer);

// {"id","name","company","line1","line2","city","region","postal_code",
//  "country","phone","created_at","updated_at"}.
nlohmann::json ToJson(const Address& address);

// {"id","email","name","role","scopes":[...],"created_at","updated_at",
//  "last_login_at","disabled_at"}.
nlohmann::json ToJson(const StaffMember& staff);

// {"kind":"customer"|"staff"|"api_key","id","role","scopes":[...],"expires_at"}.
nlohmann::json ToJson(const Principal& principal);

}  // namespace ecom::auth
