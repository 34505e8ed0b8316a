// The outbox table: append in the caller's transaction, read in order.
#include "ecom/events/outbox.h"

#include "events/outbox_bulk.h"

namespace ecom::events {

Event Make(IdGenerator& ids, const Clock& clock, std::string type, std::string aggregate_type,
           std::string aggregate_id, nlohmann::json payload, int version) {
  return Event{ids.Next("evt"), std::move(type), version, std::move(aggregate_type),
               std::move(aggregate_id), std::move(payload), FormatTime(clock.Now())};
}

void AddEvent(store::BulkInserter& out, const Event& e) {
  out.Add("outbox", "id, type, version, aggregate_type, aggregate_id, payload, occurred_at",
          {e.id, e.type, std::int64_t{e.version}, e.aggregate_type, e.aggregate_id, e.payload.dump(), e.occurred_at});
}

namespace {

void Insert(store::Transaction& tx, std::string_view id, std::string_view type, int version,
            std::string_view aggregate_type, std::string_view aggregate_id, std::string_view payload_json,
            std::string_view occurred_at) {
  tx.Send(
      "INSERT INTO outbox (id, type, version, aggregate_type, aggregate_id, payload, occurred_at) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7)",
      {id, type, std::int64_t{version}, aggregate_type, aggregate_id, payload_json, occurred_at});
}

}  // namespace

Event Append(store::Transaction& tx, IdGenerator& ids, const Clock& clock, std::string type,
             std::string aggregate_type, std::string aggregate_id, nlohmann::json payload,
             int version) {
  Event e = Make(ids, clock, std::move(type), std::move(aggregate_type), std::move(aggregate_id),
                 std::move(payload), version);
  Insert(tx, e.id, e.type, e.version, e.aggregate_type, e.aggregate_id, e.payload.dump(), e.occurred_at);
  return e;
}

void AppendSerialized(store::Transaction& tx, IdGenerator& ids, const Clock& clock, std::string_view type,
                      std::string_view aggregate_type, std::string_view aggregate_id, std::string_view payload_json,
                      int version) {
  Insert(tx, ids.Next("evt"), type, version, aggregate_type, aggregate_id, payload_json, FormatTime(clock.Now()));
}

std::vector<Event> ReadUnpublished(store::Transaction& tx, int limit) {
  std::vector<Event> out;
  auto rows = tx.Query(
      "SELECT id, type, version, aggregate_type, aggregate_id, payload, occurred_at FROM outbox "
      "WHERE published_at IS NULL ORDER BY id LIMIT $1",
      {std::int64_t{limit}});
  while (rows->Next()) {
    out.push_back({rows->Text(0), rows->Text(1), static_cast<int>(rows->Int(2)), rows->Text(3),
                   rows->Text(4), nlohmann::json::parse(rows->View(5)), rows->Text(6)});
  }
  return out;
}

nlohmann::json ToJson(const Event& e) {
  return {{"id", e.id},
          {"type", e.type},
          {"version", e.version},
          {"occurred_at", e.occurred_at},
          {"aggregate", {{"type", e.aggregate_type}, {"id", e.aggregate_id}}},
          {"payload", e.payload}};
}

}  // namespace ecom::events
