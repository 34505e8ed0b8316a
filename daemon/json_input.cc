// Strict JSON body readers.
#include "daemon/json_input.h"

#include <algorithm>
#include <array>

namespace ecom::daemon {
namespace {

// Members the server sets and no request may: ids, states, ownership,
// credentials and timestamps. Refusing them by name tells a client that
// tries why.
constexpr std::array<std::string_view, 17> kServerOwned = {"id",
                                                           "status",
                                                           "role",
                                                           "scopes",
                                                           "customer_id",
                                                           "password_hash",
                                                           "token",
                                                           "token_hash",
                                                           "session_id",
                                                           "created_at",
                                                           "updated_at",
                                                           "deleted_at",
                                                           "last_login_at",
                                                           "disabled_at",
                                                           "email_key",
                                                           "price",
                                                           "kind"};

bool ServerOwned(std::string_view name) {
  return std::find(kServerOwned.begin(), kServerOwned.end(), name) != kServerOwned.end();
}

}  // namespace

Status OnlyFields(const nlohmann::json& body, std::initializer_list<std::string_view> allowed) {
  if (!body.is_object())
    return Error::Invalid("the request body must be a JSON object", {{"", "must be an object"}});
  std::vector<FieldError> fields;
  bool read_only = false;
  for (const auto& [name, value] : body.items()) {
    if (std::find(allowed.begin(), allowed.end(), name) != allowed.end()) continue;
    if (ServerOwned(name)) {
      read_only = true;
      fields.push_back({name, "may not be set by the caller"});
    } else {
      fields.push_back({name, "is not a field of this request"});
    }
  }
  if (fields.empty()) return Ok();
  std::string message = "the request sets " +
                        std::string(fields.size() == 1 ? "a field" : "fields") + " it may not: ";
  for (std::size_t i = 0; i < fields.size(); ++i)
    message += (i ? ", " : "") + ("'" + fields[i].field + "'");
  return Error{ErrorCode::kInvalidArgument, read_only ? "read_only_field" : "unknown_field",
               std::move(message), std::move(fields)};
}

Result<std::string> RequiredString(const nlohmann::json& body, std::string_view name) {
  auto it = body.find(name);
  if (it == body.end())
    return Error::Invalid("'" + std::string(name) + "' is required",
                          {{std::string(name), "is required"}});
  if (!it->is_string())
    return Error::Invalid("'" + std::string(name) + "' must be a string",
                          {{std::string(name), "must be a string"}});
  return it->get<std::string>();
}

Result<std::optional<std::string>> OptionalString(const nlohmann::json& body,
                                                  std::string_view name) {
  if (body.find(name) == body.end()) return std::optional<std::string>();
  auto value = RequiredString(body, name);
  if (!value) return std::move(value).error();
  return std::optional<std::string>(std::move(*value));
}

}  // namespace ecom::daemon
