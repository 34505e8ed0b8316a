// Strict reading of JSON request bodies: a member the route does not take is
// refused with 400 naming it, never silently ignored, so a client that sets
// `status`, `role` or `customer_id` learns at once that it cannot.
#pragma once

#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "ecom/common/result.h"

namespace ecom::daemon {

// Ok if `body` is an object whose members are all in `allowed`. Otherwise
// kInvalidArgument with one Error::fields entry per offending member:
// reason `read_only_field` when one of them is a field the server owns (id,
// status, role, customer_id, password_hash, created_at, ...), else
// `unknown_field`.
Status OnlyFields(const nlohmann::json& body, std::initializer_list<std::string_view> allowed);

// The string member `name`. kInvalidArgument naming it when it is missing
// or not a string.
Result<std::string> RequiredString(const nlohmann::json& body, std::string_view name);

// The string member `name`, or nullopt when absent. kInvalidArgument naming
// it when present but not a string (null included).
Result<std::optional<std::string>> OptionalString(const nlohmann::json& body,
                                                  std::string_view name);

}  // namespace ecom::daemon
