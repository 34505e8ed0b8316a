// PaymentVault: seals sensitive payment details at rest (libsodium
// XChaCha20-Poly1305) with a versioned key ring, so keys can be rotated
// without rewriting old rows.
#pragma once

#include <array>
#include <map>
#include <string>
#include <string_view>

#include "ecom/common/config.h"
#include "ecom/common/result.h"
#include "ecom/store/database.h"

namespace ecom::payments {

inline constexpr std::size_t kVaultKeyBytes = 32;
using VaultKey = std::array<unsigned char, kVaultKeyBytes>;
// Key version (>= 1) -> key.
using VaultKeyRing = std::map<int, VaultKey>;

// Sealed values are text: `v<version>.<base64url, no padding, of
// nonce(24) || ciphertext || tag(16)>`. The id of the row a value belongs to
// is authenticated with it, so a value copied into another row does not open.
//
// The highest version in the ring seals; every version in it opens. To rotate,
// add a new highest version and keep the old ones until no row uses them.
//
// Keys are wiped from memory when the vault goes. Seal and Open are const and
// safe to call from many threads at once. Neither ever puts a key or a
// plaintext into an error.
class PaymentVault {
 public:
  // Precondition (a bug otherwise; throws std::invalid_argument): `ring` is
  // not empty and every version is >= 1. Throws std::runtime_error if
  // libsodium cannot start.
  explicit PaymentVault(VaultKeyRing ring);
  ~PaymentVault();
  PaymentVault(PaymentVault&& other) noexcept;
  PaymentVault& operator=(PaymentVault&& other) noexcept;
  PaymentVault(const PaymentVault&) = delete;
  PaymentVault& operator=(const PaymentVault&) = delete;

  // The version Seal uses.
  int current_version() const;

  // Seals `plaintext` for the row `row_id` with a fresh random nonce.
  std::string Seal(std::string_view plaintext, std::string_view row_id) const;

  // The plaintext of a value Seal made for the same `row_id`. kInternal
  // `payment_details_unreadable` if its key version is not in the ring, the
  // text is malformed, or it fails authentication (tampered, another row's,
  // or sealed under another key with the same version). The message names
  // the key version, never the data.
  Result<std::string> Open(std::string_view sealed, std::string_view row_id) const;

  // Parses `VERSION:HEX64[,VERSION:HEX64...]` (blanks allowed around items
  // and their parts; a trailing newline is fine). kInvalidArgument
  // `invalid_encryption_keys` for an empty spec, an item without a valid
  // version >= 1, a key that is not 64 hex digits, or a repeated version;
  // every problem is listed (by item number) in `fields`. Errors never
  // contain key material.
  static Result<PaymentVault> FromSpec(std::string_view spec);

  // The vault for a configuration, from the first source that is set:
  // 1. config.payments_encryption_keys (ECOM_PAYMENTS_ENCRYPTION_KEYS),
  // 2. config.payments_encryption_key_file, holding the same spec; refused
  //    with kInvalidArgument `insecure_key_file` if group or others may
  //    access it (mode & 077), `unreadable_key_file` if it cannot be read,
  // 3. on SQLite, `<var_dir>/payment.key`: generated as `1:<64 hex>` with mode
  //    0600 on first use (processes racing to create it agree on one key,
  //    never overwrite it), read (with the same checks as 2.) afterwards;
  //    kFailedPrecondition `payment_key_unavailable` if it cannot be made,
  // 4. on PostgreSQL, none: kFailedPrecondition `payment_key_required`, as
  //    replicas must share one key.
  // Errors from the spec are those of FromSpec, prefixed with the source.
  static Result<PaymentVault> Load(const Config& config, store::Dialect dialect,
                                   const std::string& var_dir = "var");

 private:
  void Wipe() noexcept;

  VaultKeyRing ring_;
};

}  // namespace ecom::payments
