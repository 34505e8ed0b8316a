// Adding outbox rows through a bulk writer (private to core).
#pragma once

#include "ecom/events/outbox.h"
#include "store/bulk_insert.h"

namespace ecom::events {

// Adds the event's outbox row to `out`; it is written with out's next flush.
void AddEvent(store::BulkInserter& out, const Event& e);

}  // namespace ecom::events
