// Who is calling, once authenticated: a customer or staff member holding a
// session, or an integration holding an API key. Adapters authorise with it.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ecom/auth/api_key_service.h"
#include "ecom/common/actor.h"

namespace ecom::auth {

enum class PrincipalKind { kCustomer, kStaff, kApiKey };
const char* ToString(PrincipalKind kind);  // customer, staff, api_key

// True if `held` grants `wanted`: `admin` grants every scope and a write scope
// grants reading the same resource (`orders:write` grants `orders:read`).
bool GrantsScope(const std::vector<std::string>& held, std::string_view wanted);

struct Principal {
  PrincipalKind kind = PrincipalKind::kCustomer;
  std::string id{};                         // cus_..., stf_... or key_...
  std::optional<std::string> session_id{};  // ses_... for customers and staff
  std::optional<std::string> role{};        // staff only
  // Staff: the scopes of their role; API keys: their own. Customers hold
  // none: they act on their own objects only.
  std::vector<std::string> scopes{};
  std::optional<std::string> expires_at{};  // RFC 3339; when this credential lapses

  bool HasScope(std::string_view scope) const { return GrantsScope(scopes, scope); }
  bool is_customer() const { return kind == PrincipalKind::kCustomer; }
  // `customer:cus_...`, `staff:stf_...` or `apikey:key_...`, for ledgers and
  // timelines. Never a secret.
  Actor actor() const;
};

// The principal of an authenticated API key (see ApiKeyService::Authenticate).
Principal PrincipalFor(const ApiKey& key);

}  // namespace ecom::auth
