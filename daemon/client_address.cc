// CIDR matching and X-Forwarded-For behind trusted proxies.
#include "daemon/client_address.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstring>

#include "ecom/common/text.h"

namespace ecom::daemon {
namespace {

// An address as 16 bytes (IPv4 mapped into ::ffff:0:0/96); nullopt if malformed.
std::optional<std::array<unsigned char, 16>> ParseAddress(std::string_view text) {
  std::string s(Trim(text));
  std::array<unsigned char, 16> out{};
  in_addr v4{};
  if (inet_pton(AF_INET, s.c_str(), &v4) == 1) {
    out[10] = out[11] = 0xff;
    std::memcpy(out.data() + 12, &v4, 4);
    return out;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, s.c_str(), &v6) == 1) {
    std::memcpy(out.data(), &v6, 16);
    return out;
  }
  return std::nullopt;
}

}  // namespace

Result<IpRange> IpRange::Parse(std::string_view cidr) {
  cidr = Trim(cidr);
  auto slash = cidr.find('/');
  std::string_view addr = cidr.substr(0, slash);
  auto bytes = ParseAddress(addr);
  if (!bytes)
    return Error::Invalid("'" + std::string(cidr) + "' is not an IP address or CIDR range");
  bool v4 = addr.find(':') == std::string_view::npos;
  int prefix = 128;
  if (slash != std::string_view::npos) {
    std::string_view bits = cidr.substr(slash + 1);
    int n = -1;
    auto [end, ec] = std::from_chars(bits.data(), bits.data() + bits.size(), n);
    if (ec != std::errc() || end != bits.data() + bits.size() || n < 0 || n > (v4 ? 32 : 128))
      return Error::Invalid("'" + std::string(cidr) + "' has no valid prefix length");
    prefix = v4 ? 96 + n : n;
  }
  IpRange range;
  range.prefix_ = prefix;
  for (int i = 0; i < 16; ++i) {
    int keep = std::clamp(prefix - i * 8, 0, 8);
    range.network_[i] = static_cast<unsigned char>((*bytes)[i] & (0xff00 >> keep));
  }
  return range;
}

bool IpRange::Contains(std::string_view address) const {
  auto bytes = ParseAddress(address);
  if (!bytes) return false;
  for (int i = 0; i < 16; ++i) {
    int keep = std::clamp(prefix_ - i * 8, 0, 8);
    if (((*bytes)[i] & (0xff00 >> keep)) != network_[i]) return false;
  }
  return true;
}

Result<TrustedProxies> TrustedProxies::Parse(const std::vector<std::string>& cidrs) {
  TrustedProxies proxies;
  for (const auto& cidr : cidrs) {
    auto range = IpRange::Parse(cidr);
    if (!range)
      return Error::Invalid("http.trusted_proxies: " + range.error().message,
                            {{"http.trusted_proxies", range.error().message}});
    proxies.ranges_.push_back(*range);
  }
  return proxies;
}

bool TrustedProxies::Contains(std::string_view address) const {
  for (const auto& range : ranges_)
    if (range.Contains(address)) return true;
  return false;
}

std::string TrustedProxies::ClientAddress(std::string_view peer,
                                          std::string_view forwarded_for) const {
  if (forwarded_for.empty() || !Contains(peer)) return std::string(peer);
  std::string_view rest = forwarded_for;
  while (!rest.empty()) {
    auto comma = rest.rfind(',');
    std::string_view entry = Trim(comma == std::string_view::npos ? rest : rest.substr(comma + 1));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(0, comma);
    // Garbage cannot be a client address; stop believing the header there.
    if (!ParseAddress(entry)) break;
    if (!Contains(entry)) return std::string(entry);
  }
  // Every entry was a trusted proxy (or the chain broke): the last hop we
  // can vouch for is the peer.
  return std::string(peer);
}

}  // namespace ecom::daemon
