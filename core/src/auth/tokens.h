// Bearer secrets of the auth domain (private): random tokens shown once and
// the SHA-256 digests that are stored in their place.
#pragma once

#include <string>
#include <string_view>

namespace ecom::auth {

// `prefix` followed by 64 lower-case hex digits: 256 random bits.
std::string NewToken(std::string_view prefix);

// True if `token` has the shape NewToken(prefix) makes, so that garbage is
// refused without a database lookup.
bool HasTokenShape(std::string_view token, std::string_view prefix);

// SHA-256 of `secret` as 64 lower-case hex digits. Tokens carry 256 random
// bits, so a fast digest is enough; argon2 is for passwords, which do not.
std::string TokenDigest(std::string_view secret);

// Lower-case hex of `n` bytes.
std::string ToHex(const unsigned char* data, std::size_t n);

}  // namespace ecom::auth
