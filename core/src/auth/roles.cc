// The one table of staff roles and the scopes each grants.
#include "ecom/auth/roles.h"

namespace ecom::auth {

const std::vector<StaffRole>& StaffRoles() {
  // Scope names are those of KnownScopes(); a test checks every one is known.
  static const std::vector<StaffRole> kRoles = {
      {"owner", "everything, including staff, keys and refunds", {"admin"}},
      {"catalog_manager",
       "products, collections and stock",
       {"catalog:read", "catalog:write", "inventory:read", "inventory:write"}},
      {"support", "customers and their orders", {"customers:read", "orders:read", "orders:write"}},
      {"fulfilment",
       "picking, packing and shipping orders; stock",
       {"inventory:read", "inventory:write", "orders:read", "orders:write"}},
  };
  return kRoles;
}

const StaffRole* FindStaffRole(std::string_view name) {
  for (const auto& role : StaffRoles())
    if (role.name == name) return &role;
  return nullptr;
}

}  // namespace ecom::auth
