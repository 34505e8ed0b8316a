// Stock over HTTP: levels, adjustments, counts and the ledger. The JSON
// shapes and body readers are core's (inventory/json.h).
#include "daemon/inventory_handler.h"

#include "daemon/idempotency.h"
#include "daemon/problem.h"
#include "ecom/inventory/json.h"

namespace ecom::daemon {

Reply InventoryHandler::GetLevel(const Call& call) {
  auto level = inventory_.GetLevel(call.Param("sku"));
  if (!level) return Problem(level.error());
  return Reply::Json(200, inventory::ToJson(*level));
}

Reply InventoryHandler::Adjust(const Call& call) {
  auto body = call.JsonBody();
  if (!body) return Problem(body.error());
  auto change = inventory::StockChangeFromJson(*body);
  if (!change) return Problem(change.error());
  change->sku_or_id = call.Param("sku");
  auto idem = IdempotencyOf(call);
  if (!idem) return Problem(idem.error());
  auto outcome = inventory_.Adjust(*change, call.actor(), *idem);
  if (!outcome) return FinishIdempotent(db_, *clock_, *idem, Problem(outcome.error()));
  if (auto reply = ClaimReply(outcome->claim)) return *reply;
  return FinishIdempotent(db_, *clock_, *idem, Reply::Json(201, inventory::ToJson(*outcome->level)));
}

Reply InventoryHandler::SetLevel(const Call& call) {
  auto body = call.JsonBody();
  if (!body) return Problem(body.error());
  auto count = inventory::StockCountFromJson(*body);
  if (!count) return Problem(count.error());
  auto level = inventory_.SetOnHand(call.Param("sku"), *count, call.actor());
  if (!level) return Problem(level.error());
  return Reply::Json(200, inventory::ToJson(*level));
}

Reply InventoryHandler::History(const Call& call) {
  auto limit = LimitParam(call, 50);
  if (!limit) return Problem(limit.error());
  auto page = inventory_.History(call.Param("sku"), *limit, call.Query("cursor").value_or(""));
  if (!page) return Problem(page.error());
  return Reply::Json(200, inventory::ToJson(*page));
}

}  // namespace ecom::daemon
