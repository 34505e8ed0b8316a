// The system clock, RFC 3339 formatting and the ULID-style id generator.
#include "ecom/common/clock.h"

#include <sodium.h>

#include <array>
#include <cstdio>
#include <mutex>
#include <stdexcept>

namespace ecom {
namespace {

class RealClock final : public Clock {
 public:
  TimePoint Now() const override {
    return std::chrono::time_point_cast<std::chrono::microseconds>(
        std::chrono::system_clock::now());
  }
};

constexpr char kCrockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

class UlidGenerator final : public IdGenerator {
 public:
  explicit UlidGenerator(std::shared_ptr<Clock> clock) : clock_(std::move(clock)) {
    if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
  }

  std::string Next(std::string_view prefix) override {
    std::uint64_t ms;
    std::array<std::uint8_t, 10> random;
    {
      std::lock_guard lock(mu_);
      ms = static_cast<std::uint64_t>(
          std::chrono::duration_cast<std::chrono::milliseconds>(clock_->Now().time_since_epoch())
              .count());
      if (ms <= last_ms_) {
        // Same (or earlier) millisecond: keep the last timestamp and count up the
        // random part, so ids stay strictly increasing.
        ms = last_ms_;
        for (int i = 9; i >= 0; --i) {
          if (++last_random_[i] != 0) break;
        }
      } else {
        last_ms_ = ms;
        randombytes_buf(last_random_.data(), last_random_.size());
        last_random_[0] &= 0x7f;  // headroom so increments never wrap
      }
      random = last_random_;
    }
    // 128 bits: 48-bit time then 80 random bits, as 26 base32 characters.
    std::array<std::uint8_t, 16> bytes{};
    for (int i = 0; i < 6; ++i) bytes[i] = static_cast<std::uint8_t>(ms >> (40 - 8 * i));
    for (int i = 0; i < 10; ++i) bytes[6 + i] = random[i];
    std::string out;
    out.reserve(prefix.size() + 27);
    out.append(prefix);
    out.push_back('_');
    // Encode 130 bits (2 leading zero bits + 128) in 26 groups of 5.
    for (int group = 0; group < 26; ++group) {
      int bit = group * 5 - 2;  // position of this group's first bit within the 128
      int value = 0;
      for (int b = 0; b < 5; ++b, ++bit) {
        value <<= 1;
        if (bit >= 0) value |= (bytes[bit / 8] >> (7 - bit % 8)) & 1;
      }
      out.push_back(kCrockford[value]);
    }
    return out;
  }

 private:
  std::shared_ptr<Clock> clock_;
  std::mutex mu_;
  std::uint64_t last_ms_ = 0;
  std::array<std::uint8_t, 10> last_random_{};
};

}  // namespace

std::shared_ptr<Clock> SystemClock() {
  static auto clock = std::make_shared<RealClock>();
  return clock;
}

std::shared_ptr<IdGenerator> MakeIdGenerator(std::shared_ptr<Clock> clock) {
  return std::make_shared<UlidGenerator>(std::move(clock));
}

std::string FormatTime(TimePoint t) {
  auto days = std::chrono::floor<std::chrono::days>(t);
  std::chrono::year_month_day ymd{days};
  auto rest = t - days;
  auto h = std::chrono::duration_cast<std::chrono::hours>(rest);
  rest -= h;
  auto m = std::chrono::duration_cast<std::chrono::minutes>(rest);
  rest -= m;
  auto s = std::chrono::duration_cast<std::chrono::seconds>(rest);
  rest -= s;
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02lld.%06lldZ", int(ymd.year()),
                unsigned(ymd.month()), unsigned(ymd.day()), int(h.count()), int(m.count()),
                static_cast<long long>(s.count()), static_cast<long long>(rest.count()));
  return buf;
}

bool ParseTime(std::string_view text, TimePoint* out) {
  int y, mo, d, h, mi, s;
  int consumed = 0;
  std::string str(text);
  if (std::sscanf(str.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &s, &consumed) !=
          6 ||
      consumed != 19)
    return false;
  long long micros = 0;
  std::size_t pos = 19;
  if (pos < str.size() && str[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < str.size() && std::isdigit(static_cast<unsigned char>(str[pos]))) {
      if (digits < 6) micros = micros * 10 + (str[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return false;
    for (; digits < 6; ++digits) micros *= 10;
  }
  std::string_view zone = std::string_view(str).substr(pos);
  if (zone != "Z" && zone != "+00:00") return false;
  std::chrono::year_month_day ymd{std::chrono::year(y), std::chrono::month(mo),
                                  std::chrono::day(d)};
  if (!ymd.ok() || h > 23 || mi > 59 || s > 60) return false;
  *out = std::chrono::sys_days(ymd) + std::chrono::hours(h) + std::chrono::minutes(mi) +
         std::chrono::seconds(s) + std::chrono::microseconds(micros);
  return true;
}

}  // namespace ecom
