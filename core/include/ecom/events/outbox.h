// Domain events and the transactional outbox: a use case appends its events
// in its own transaction; a relay (a later piece) publishes them.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "ecom/common/clock.h"
#include "ecom/store/database.h"

namespace ecom::events {

// The envelope every event travels in.
struct Event {
  std::string id;              // evt_..., time-sortable
  std::string type;            // product.created, stock.adjusted, ...
  int version = 1;             // payload schema version of this type
  std::string aggregate_type;  // product, variant, ...
  std::string aggregate_id;    // the object the event is about (the bus key)
  nlohmann::json payload;
  std::string occurred_at;     // RFC 3339
};

// Writes an event into the outbox inside `tx`; it becomes visible only if tx
// commits. Returns the event as stored.
Event Append(store::Transaction& tx, IdGenerator& ids, const Clock& clock, std::string type,
             std::string aggregate_type, std::string aggregate_id, nlohmann::json payload,
             int version = 1);

// The same, with the payload already written as a JSON object, for hot paths
// that write it directly (see orders::AppendJson).
void AppendSerialized(store::Transaction& tx, IdGenerator& ids, const Clock& clock, std::string_view type,
                      std::string_view aggregate_type, std::string_view aggregate_id, std::string_view payload_json,
                      int version = 1);

// Builds an event without writing it (for bulk writers).
Event Make(IdGenerator& ids, const Clock& clock, std::string type, std::string aggregate_type,
           std::string aggregate_id, nlohmann::json payload, int version = 1);

// Reads unpublished events in order, oldest first (for relays and tests).
std::vector<Event> ReadUnpublished(store::Transaction& tx, int limit);

// The envelope as JSON: {"id","type","version","occurred_at","aggregate":{"type","id"},"payload"}.
nlohmann::json ToJson(const Event& e);

}  // namespace ecom::events
