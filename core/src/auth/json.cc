// The one JSON mapping of API keys, customers, addresses, staff and principals.
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

nlohmann::json ToJson(const Customer& c) {
  return {{"id", c.id},
          {"email", OptionalText(c.email)},
          {"name", c.name},
          {"status", ToString(c.status)},
          {"created_at", c.created_at},
          {"updated_at", c.updated_at},
          {"last_login_at", OptionalText(c.last_login_at)},
          {"deleted_at", OptionalText(c.deleted_at)}};
}

nlohmann::json ToJson(const Address& a) {
  return {{"id", a.id},
          {"name", a.name},
          {"company", a.company},
          {"line1", a.line1},
          {"line2", a.line2},
          {"city", a.city},
          {"region", a.region},
          {"postal_code", a.postal_code},
          {"country", a.country},
          {"phone", a.phone},
          {"created_at", a.created_at},
          {"updated_at", a.updated_at}};
}

nlohmann::json ToJson(const StaffMember& s) {
  return {{"id", s.id},
          {"email", s.email},
          {"name", s.name},
          {"role", s.role},
          {"scopes", s.scopes},
          {"created_at", s.created_at},
          {"updated_at", s.updated_at},
          {"last_login_at", OptionalText(s.last_login_at)},
          {"disabled_at", OptionalText(s.disabled_at)}};
}

nlohmann::json ToJson(const Principal& p) {
  return {{"kind", ToString(p.kind)},
          {"id", p.id},
          {"role", OptionalText(p.role)},
          {"scopes", p.scopes},
          {"expires_at", OptionalText(p.expires_at)}};
}

}  // namespace ecom::auth
