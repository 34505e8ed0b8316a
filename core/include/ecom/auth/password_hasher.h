// Password hashing with argon2id (libsodium crypto_pwhash_str), at most as
// many hashes at once as there are cores.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "ecom/common/result.h"

namespace ecom::auth {

struct PasswordHashOptions {
  // argon2id passes and memory. The defaults are OWASP's minimum for argon2id
  // (19 MiB, 2 passes, 1 lane): about 30 ms of one core per hash. Raising
  // either makes existing hashes rehash at their next successful login. Tests
  // lower them to libsodium's minimum (1 pass, 8 KiB) for speed.
  std::uint64_t opslimit = 2;
  std::size_t memlimit_bytes = 19 * 1024 * 1024;
  // Hashes that may run at once; 0 means one per core
  // (std::thread::hardware_concurrency). Bounds memory to about
  // max_concurrent x memlimit and leaves other requests cores to run on.
  unsigned max_concurrent = 0;
  // How long a hash waits for a free slot before giving up with kUnavailable,
  // so a login flood is shed instead of queueing without bound.
  std::chrono::milliseconds max_wait{10'000};
};

// Passwords are 8..256 bytes of valid UTF-8. kInvalidArgument naming `field`
// otherwise. The message never contains the password.
Status CheckPasswordRules(std::string_view password, std::string_view field = "password");

// Thread-safe. Share one per process: its slot count is the process's limit.
class PasswordHasher {
 public:
  explicit PasswordHasher(PasswordHashOptions options = {});
  ~PasswordHasher();
  PasswordHasher(const PasswordHasher&) = delete;
  PasswordHasher& operator=(const PasswordHasher&) = delete;

  // An encoded argon2id hash (`$argon2id$v=19$m=...`) with a random salt.
  // kUnavailable (`auth_busy`, retry_after 1 s) when no slot frees in time;
  // kInternal if libsodium cannot allocate the memory.
  Result<std::string> Hash(std::string_view password);

  // Whether `password` matches `hash`. A malformed hash does not match. Same
  // errors as Hash().
  Result<bool> Verify(std::string_view hash, std::string_view password);

  // Verifies against a fixed hash of the current parameters and answers
  // false: for an unknown account, so that it costs what a known one costs.
  Result<bool> VerifyAgainstDummy(std::string_view password);

  // True if `hash` was made with other parameters (or another algorithm) than
  // the current ones, so it should be replaced after a successful login.
  bool NeedsRehash(std::string_view hash) const;

  const PasswordHashOptions& options() const { return options_; }
  // The effective slot count (options.max_concurrent, or the core count).
  unsigned max_concurrent() const { return max_concurrent_; }
  // The most hashes ever seen running at once, for tests and metrics.
  unsigned peak_concurrent() const { return peak_.load(); }

 private:
  class Slot;
  struct Semaphore;

  PasswordHashOptions options_;
  unsigned max_concurrent_;
  std::unique_ptr<Semaphore> slots_;
  std::atomic<unsigned> running_{0};
  std::atomic<unsigned> peak_{0};
  std::string dummy_hash_;
};

}  // namespace ecom::auth
