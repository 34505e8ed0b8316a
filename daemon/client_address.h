// The client address a request came from: the socket peer, or, behind a
// reverse proxy we trust, the address that proxy saw (X-Forwarded-For).
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ecom/common/result.h"

namespace ecom::daemon {

// An IPv4 or IPv6 network in CIDR form (`10.0.0.0/8`, `::1/128`); a bare
// address is a network of one. IPv4 is held as IPv4-mapped IPv6, so
// `127.0.0.1` and `::ffff:127.0.0.1` are the same address.
class IpRange {
 public:
  // kInvalidArgument for anything else.
  static Result<IpRange> Parse(std::string_view cidr);
  bool Contains(std::string_view address) const;

 private:
  std::array<unsigned char, 16> network_{};
  int prefix_ = 128;
};

// Thread-safe once built.
class TrustedProxies {
 public:
  TrustedProxies() = default;
  // From http.trusted_proxies. kInvalidArgument naming the bad entry.
  static Result<TrustedProxies> Parse(const std::vector<std::string>& cidrs);

  bool Contains(std::string_view address) const;

  // The address to throttle and log for a request from `peer` carrying
  // `forwarded_for` (X-Forwarded-For, "" if absent). The header is believed
  // only when the peer is a trusted proxy; then it is read from the right
  // (the entry our own proxy appended) past every trusted proxy, and the
  // first address that is not one is the client. Entries left of that were
  // written by the client and prove nothing.
  std::string ClientAddress(std::string_view peer, std::string_view forwarded_for) const;

 private:
  std::vector<IpRange> ranges_;
};

}  // namespace ecom::daemon
