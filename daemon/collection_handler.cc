// Collections over HTTP; the JSON shape is core's (catalog/json.h).
#include "daemon/collection_handler.h"

#include "daemon/problem.h"
#include "ecom/catalog/json.h"

namespace ecom::daemon {
namespace {

// Callers with catalog:read see every product of a collection; the public
// sees only active ones.
catalog::CollectionMembers MembersFor(const Call& call) {
  return call.HasScope("catalog:read") ? catalog::CollectionMembers::kAll
                                       : catalog::CollectionMembers::kActiveOnly;
}

}  // namespace

Reply CollectionHandler::List(const Call& call) {
  auto collections = catalog_.ListCollections(MembersFor(call));
  if (!collections) return Problem(collections.error());
  nlohmann::json items = nlohmann::json::array();
  for (const auto& c : *collections) items.push_back(catalog::ToJson(c));
  return Reply::Json(200, {{"items", std::move(items)}, {"next_cursor", nullptr}});
}

Reply CollectionHandler::Get(const Call& call) {
  auto collection = catalog_.GetCollection(call.Param("id"), MembersFor(call));
  if (!collection) return Problem(collection.error());
  return Reply::Json(200, catalog::ToJson(*collection));
}

Reply CollectionHandler::Create(const Call& call) {
  auto body = call.JsonBody();
  if (!body) return Problem(body.error());
  auto input = catalog::CollectionInputFromJson(*body);
  if (!input) return Problem(input.error());
  auto collection = catalog_.CreateCollection(*input, call.actor());
  if (!collection) return Problem(collection.error());
  return Reply::Json(201, catalog::ToJson(*collection))
      .Header("Location", "/v1/collections/" + collection->id);
}

Reply CollectionHandler::AddProduct(const Call& call) {
  auto collection =
      catalog_.AddToCollection(call.Param("id"), call.Param("product_id"), call.actor());
  if (!collection) return Problem(collection.error());
  return Reply::Json(200, catalog::ToJson(*collection));
}

Reply CollectionHandler::RemoveProduct(const Call& call) {
  auto collection =
      catalog_.RemoveFromCollection(call.Param("id"), call.Param("product_id"), call.actor());
  if (!collection) return Problem(collection.error());
  return Reply::Json(200, catalog::ToJson(*collection));
}

}  // namespace ecom::daemon
