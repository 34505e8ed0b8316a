#include "ecom/payments/gateway.h"

namespace ecom::payments {

const char* ToString(ChargeState s) {
  switch (s) {
    case ChargeState::kCaptured: return "captured";
    case ChargeState::kDeclined: return "declined";
    case ChargeState::kRequiresConfirmation: return "requires_confirmation";
    case ChargeState::kNotFound: return "not_found";
  }
  return "unknown";
}

}  // namespace ecom::payments
