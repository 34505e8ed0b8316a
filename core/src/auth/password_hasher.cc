// argon2id password hashes behind a counting semaphore of one slot per core.
#include "ecom/auth/password_hasher.h"

#include <sodium.h>

#include <algorithm>
#include <semaphore>
#include <stdexcept>
#include <thread>

#include "ecom/common/text.h"

namespace ecom::auth {
namespace {

Error Busy() {
  Error error{
      ErrorCode::kUnavailable, "auth_busy", "too many sign-ins at once; try again shortly", {}};
  error.retry_after = std::chrono::seconds(1);
  return error;
}

Error OutOfMemory() { return Error::Internal("password hashing could not allocate its memory"); }

unsigned EffectiveSlots(unsigned configured) {
  if (configured > 0) return configured;
  return std::max(1u, std::thread::hardware_concurrency());
}

}  // namespace

Status CheckPasswordRules(std::string_view password, std::string_view field) {
  if (password.size() < 8 || password.size() > 256 || !IsValidUtf8(password))
    return Error::Invalid("the password does not meet the rules",
                          {{std::string(field), "must be 8 to 256 bytes of valid UTF-8"}});
  return Ok();
}

struct PasswordHasher::Semaphore {
  explicit Semaphore(unsigned n) : slots(static_cast<std::ptrdiff_t>(n)) {}
  std::counting_semaphore<> slots;
};

// One hashing slot, held for the duration of one argon2 computation; tracks
// how many run at once.
class PasswordHasher::Slot {
 public:
  explicit Slot(PasswordHasher& hasher) : hasher_(hasher) {
    acquired_ = hasher_.slots_->slots.try_acquire_for(hasher_.options_.max_wait);
    if (!acquired_) return;
    unsigned running = ++hasher_.running_;
    unsigned peak = hasher_.peak_.load();
    while (running > peak && !hasher_.peak_.compare_exchange_weak(peak, running)) {
    }
  }
  ~Slot() {
    if (!acquired_) return;
    --hasher_.running_;
    hasher_.slots_->slots.release();
  }
  Slot(const Slot&) = delete;
  Slot& operator=(const Slot&) = delete;

  bool acquired() const { return acquired_; }

 private:
  PasswordHasher& hasher_;
  bool acquired_ = false;
};

PasswordHasher::PasswordHasher(PasswordHashOptions options)
    : options_(options),
      max_concurrent_(EffectiveSlots(options.max_concurrent)),
      slots_(std::make_unique<Semaphore>(max_concurrent_)) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
  // The stand-in for unknown accounts: a hash of a random password with the
  // current parameters, so verifying against it costs what a real one does.
  unsigned char random[32];
  randombytes_buf(random, sizeof random);
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, reinterpret_cast<const char*>(random), sizeof random,
                            options_.opslimit, options_.memlimit_bytes,
                            crypto_pwhash_ALG_ARGON2ID13) != 0)
    throw std::runtime_error(
        "argon2id rejected the password hash parameters or could not allocate memory");
  dummy_hash_ = out;
}

PasswordHasher::~PasswordHasher() = default;

Result<std::string> PasswordHasher::Hash(std::string_view password) {
  Slot slot(*this);
  if (!slot.acquired()) return Busy();
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), options_.opslimit,
                            options_.memlimit_bytes, crypto_pwhash_ALG_ARGON2ID13) != 0)
    return OutOfMemory();
  return std::string(out);
}

Result<bool> PasswordHasher::Verify(std::string_view hash, std::string_view password) {
  // libsodium reads the hash as a C string of at most STRBYTES.
  if (hash.empty() || hash.size() >= crypto_pwhash_STRBYTES) return false;
  std::string encoded(hash);
  Slot slot(*this);
  if (!slot.acquired()) return Busy();
  return crypto_pwhash_str_verify(encoded.c_str(), password.data(), password.size()) == 0;
}

Result<bool> PasswordHasher::VerifyAgainstDummy(std::string_view password) {
  ECOM_TRY(Verify(dummy_hash_, password));
  return false;
}

bool PasswordHasher::NeedsRehash(std::string_view hash) const {
  if (hash.empty() || hash.size() >= crypto_pwhash_STRBYTES) return true;
  std::string encoded(hash);
  // The argon2id variant answers -1 for any other algorithm, which also
  // calls for a new hash.
  return crypto_pwhash_argon2id_str_needs_rehash(encoded.c_str(), options_.opslimit,
                                                 options_.memlimit_bytes) != 0;
}

}  // namespace ecom::auth
