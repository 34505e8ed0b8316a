// Injected time and identifiers: core never reads the wall clock or a random
// source directly, so tests can fix both.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace ecom {

using TimePoint = std::chrono::sys_time<std::chrono::microseconds>;

// A source of "now". Implementations are thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint Now() const = 0;
};

// The real clock.
std::shared_ptr<Clock> SystemClock();

// RFC 3339 in UTC with microseconds: 2026-11-27T11:13:46.123456Z. Sorts as text.
std::string FormatTime(TimePoint t);
// Parses the format above (fraction optional, `Z` or `+00:00`); false if malformed.
bool ParseTime(std::string_view text, TimePoint* out);

// Makes opaque, type-prefixed, time-sortable ids: `prod_01JD3...` (a 48-bit
// millisecond timestamp and 80 random bits in Crockford base32, as ULID).
// Ids made by one generator are strictly increasing, even within a
// millisecond. Thread-safe.
class IdGenerator {
 public:
  virtual ~IdGenerator() = default;
  virtual std::string Next(std::string_view prefix) = 0;
};

std::shared_ptr<IdGenerator> MakeIdGenerator(std::shared_ptr<Clock> clock);

}  // namespace ecom
