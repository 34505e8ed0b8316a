// Staff roles: each a named set of the scopes of KnownScopes().
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ecom::auth {

struct StaffRole {
  std::string name;         // owner, catalog_manager, support, fulfilment
  std::string description;  // one line, for help texts
  std::vector<std::string> scopes;
};

// Every role, in the order help texts list them. `owner` holds `admin`, which
// grants every scope.
const std::vector<StaffRole>& StaffRoles();

// The role named `name`, or nullptr.
const StaffRole* FindStaffRole(std::string_view name);

}  // namespace ecom::auth
