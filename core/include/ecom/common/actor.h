// Who is acting: every ledger row and event names it.
#pragma once

#include <string>

namespace ecom {

// An actor id such as "apikey:key_01J...", "cli:alice" or "system". Never a secret.
struct Actor {
  std::string id;
};

}  // namespace ecom
