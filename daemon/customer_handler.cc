// Customers as staff see them.
#include "daemon/customer_handler.h"

#include "daemon/problem.h"
#include "ecom/auth/json.h"

namespace ecom::daemon {

Reply CustomerHandler::List(const Call& call) {
  auth::CustomerQuery query;
  auto limit = LimitParam(call, query.limit);
  if (!limit) return Problem(limit.error());
  query.limit = *limit;
  if (auto status = call.Query("status")) {
    query.status = auth::ParseCustomerStatus(*status);
    if (!query.status) {
      std::string message = "'" + *status + "' is not one of active, disabled, deleted";
      return Problem(Error::Invalid("query parameter 'status': " + message, {{"status", message}}));
    }
  }
  if (auto cursor = call.Query("cursor")) query.cursor = *cursor;
  auto page = customers_.List(query);
  if (!page) return Problem(page.error());
  nlohmann::json items = nlohmann::json::array();
  for (const auto& c : page->items) items.push_back(auth::ToJson(c));
  return Reply::Json(200, {{"items", std::move(items)},
                           {"next_cursor", page->next_cursor ? nlohmann::json(*page->next_cursor)
                                                             : nlohmann::json(nullptr)}});
}

Reply CustomerHandler::Get(const Call& call) {
  // Only ids here: an email in a URL would land in access logs.
  const std::string& id = call.Param("id");
  if (id.rfind("cus_", 0) != 0)
    return Problem(Error::NotFound("customer_not_found", "no customer '" + id + "'"));
  auto customer = customers_.Find(id);
  if (!customer) return Problem(customer.error());
  return Reply::Json(200, auth::ToJson(*customer));
}

}  // namespace ecom::daemon
