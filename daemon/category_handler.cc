// Categories over HTTP; the JSON shape is core's (catalog/json.h).
#include "daemon/category_handler.h"

#include "daemon/problem.h"
#include "ecom/catalog/json.h"

namespace ecom::daemon {

Reply CategoryHandler::List(const Call&) {
  auto categories = catalog_.ListCategories();
  if (!categories) return Problem(categories.error());
  nlohmann::json items = nlohmann::json::array();
  for (const auto& c : *categories) items.push_back(catalog::ToJson(c));
  // Categories are few; the list is one page, in the shape every list has.
  return Reply::Json(200, {{"items", std::move(items)}, {"next_cursor", nullptr}});
}

Reply CategoryHandler::Get(const Call& call) {
  auto category = catalog_.GetCategory(call.Param("id"));
  if (!category) return Problem(category.error());
  return Reply::Json(200, catalog::ToJson(*category));
}

Reply CategoryHandler::Create(const Call& call) {
  auto body = call.JsonBody();
  if (!body) return Problem(body.error());
  auto input = catalog::CategoryInputFromJson(*body);
  if (!input) return Problem(input.error());
  auto category = catalog_.CreateCategory(*input, call.actor());
  if (!category) return Problem(category.error());
  return Reply::Json(201, catalog::ToJson(*category))
      .Header("Location", "/v1/categories/" + category->id);
}

}  // namespace ecom::daemon
