// Scope checks and the principal of an API key.
#include "ecom/auth/principal.h"

namespace ecom::auth {

const char* ToString(PrincipalKind kind) {
  switch (kind) {
    case PrincipalKind::kCustomer:
      return "customer";
    case PrincipalKind::kStaff:
      return "staff";
    case PrincipalKind::kApiKey:
      return "api_key";
  }
  return "customer";
}

bool GrantsScope(const std::vector<std::string>& held, std::string_view wanted) {
  for (const auto& s : held) {
    if (s == wanted || s == "admin") return true;
    // A write scope implies reading the same resource.
    auto colon = wanted.find(':');
    if (colon != std::string_view::npos && wanted.substr(colon + 1) == "read" &&
        s == std::string(wanted.substr(0, colon)) + ":write")
      return true;
  }
  return false;
}

Actor Principal::actor() const {
  switch (kind) {
    case PrincipalKind::kCustomer:
      return Actor{"customer:" + id};
    case PrincipalKind::kStaff:
      return Actor{"staff:" + id};
    case PrincipalKind::kApiKey:
      return Actor{"apikey:" + id};
  }
  return Actor{"anonymous"};
}

Principal PrincipalFor(const ApiKey& key) {
  Principal p;
  p.kind = PrincipalKind::kApiKey;
  p.id = key.id;
  p.scopes = key.scopes;
  p.expires_at = key.expires_at;
  return p;
}

}  // namespace ecom::auth
