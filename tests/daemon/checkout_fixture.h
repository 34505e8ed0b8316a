// A DaemonTest with the steps every checkout test takes: stocked products,
// guest and customer carts, a checkout body, and reads of the store.
#pragma once

#include <string>

#include "daemon_fixture.h"

namespace ecom::daemon::testing {

struct GuestCart {
  std::string id;
  std::string token;
};

class CheckoutTest : public DaemonTest {
 protected:
  // An active product with one variant `sku` at `price` and `on_hand` units.
  void Stock(const std::string& sku, std::int64_t price, std::int64_t on_hand);
  GuestCart NewGuestCart();
  std::string NewCustomerCart(const Account& customer);
  Response AddItem(const GuestCart& cart, const std::string& sku, std::int64_t quantity);
  static nlohmann::json CheckoutBody(const std::string& token);
  Response Checkout(const GuestCart& cart, const std::string& token, const std::string& key);
  nlohmann::json Level(const std::string& sku);
  // Captured charges the test gateway holds for an order.
  std::int64_t Captures(const std::string& order_id);
  std::int64_t CountRows(const std::string& sql);
};

}  // namespace ecom::daemon::testing
