// PaymentVault: XChaCha20-Poly1305 with the row id as associated data, a
// versioned key ring, and the key sources of Load.
#include "ecom/payments/vault.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <optional>
#include <set>
#include <stdexcept>
#include <vector>

#include "ecom/common/text.h"

namespace ecom::payments {
namespace {

constexpr std::size_t kNonceBytes = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr std::size_t kTagBytes = crypto_aead_xchacha20poly1305_ietf_ABYTES;
constexpr int kBase64 = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
// A key file is a few lines of hex; anything bigger is not one.
constexpr off_t kMaxKeyFileBytes = 64 * 1024;

static_assert(kVaultKeyBytes == crypto_aead_xchacha20poly1305_ietf_KEYBYTES);

void InitSodium() {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
}

const unsigned char* Bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

void WipeString(std::string& s) { sodium_memzero(s.data(), s.size()); }

Error Unreadable(std::string message) {
  return {ErrorCode::kInternal, "payment_details_unreadable", std::move(message), {}};
}

Error UnreadableVersion(int version) {
  return Unreadable("payment details sealed with key version " + std::to_string(version) +
                    " cannot be opened: they were altered, belong to another row, or that "
                    "version holds another key");
}

// A key version: decimal digits without sign or leading zero, >= 1.
std::optional<int> ParseVersion(std::string_view text) {
  if (text.empty() || text.front() == '0') return std::nullopt;
  for (char c : text)
    if (c < '0' || c > '9') return std::nullopt;
  int version = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), version);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return version;
}

std::string ErrnoText(int err) { return std::strerror(err); }

std::string ModeText(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

// The content of a key file that only its owner may access.
Result<std::string> ReadKeyFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return Error{ErrorCode::kInvalidArgument,
                 "unreadable_key_file",
                 "cannot read the payment key file " + path + ": " + ErrnoText(errno),
                 {}};
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > kMaxKeyFileBytes)
    return Error{ErrorCode::kInvalidArgument,
                 "unreadable_key_file",
                 "the payment key file " + path + " is not a small regular file",
                 {}};
  // A key others can read is a key others have: refuse rather than use it.
  if ((st.st_mode & 077) != 0)
    return Error{ErrorCode::kInvalidArgument,
                 "insecure_key_file",
                 "the payment key file " + path + " has mode " + ModeText(st.st_mode) +
                     ", so group or others may access it; allow its owner only (chmod 600)",
                 {}};
  // Sized once so that no reallocation leaves a copy of the key behind.
  std::string content(static_cast<std::size_t>(st.st_size), '\0');
  std::size_t filled = 0;
  while (filled < content.size()) {
    ssize_t n = ::read(fd, content.data() + filled, content.size() - filled);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      WipeString(content);
      return Error{ErrorCode::kInvalidArgument,
                   "unreadable_key_file",
                   "cannot read the payment key file " + path + ": " + ErrnoText(err),
                   {}};
    }
    if (n == 0) break;
    filled += static_cast<std::size_t>(n);
  }
  content.resize(filled);
  return content;
}

Error KeyUnavailable(const std::string& what, int err) {
  return Error::Precondition("payment_key_unavailable", "cannot create the payment key " + what +
                                                            ": " + ErrnoText(err) +
                                                            "; set payments.encryption_keys or "
                                                            "payments.encryption_key_file instead");
}

bool WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// Makes `<dir>/payment.key` holding a fresh `1:<hex>` unless it exists. The
// key is written to a private temporary file and hard-linked into place:
// link() never replaces an existing file, so of processes racing here one
// wins and the others use its key, and nobody can read a half-written one.
Status CreateKeyFile(const std::filesystem::path& dir, const std::filesystem::path& path) {
  VaultKey key;
  randombytes_buf(key.data(), key.size());
  std::string spec = "1:" + std::string(key.size() * 2, '\0') + "\n";
  sodium_bin2hex(spec.data() + 2, key.size() * 2 + 1, key.data(), key.size());
  spec.back() = '\n';  // sodium_bin2hex wrote its NUL there
  sodium_memzero(key.data(), key.size());

  char random[9];
  unsigned char salt[4];
  randombytes_buf(salt, sizeof salt);
  sodium_bin2hex(random, sizeof random, salt, sizeof salt);
  const std::string temp =
      (dir / ("payment.key." + std::to_string(::getpid()) + "." + random + ".tmp")).string();

  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    int err = errno;
    WipeString(spec);
    return KeyUnavailable("file in " + dir.string(), err);
  }
  bool written = ::fchmod(fd, 0600) == 0 && WriteAll(fd, spec) && ::fsync(fd) == 0;
  int err = errno;
  ::close(fd);
  WipeString(spec);
  if (!written) {
    ::unlink(temp.c_str());
    return KeyUnavailable(path.string(), err);
  }
  int linked = ::link(temp.c_str(), path.c_str());
  err = errno;
  ::unlink(temp.c_str());
  if (linked != 0 && err != EEXIST) return KeyUnavailable(path.string(), err);
  // Losing the key loses every sealed value: make the new name durable too.
  if (int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return Ok();
}

Result<PaymentVault> FromSource(std::string_view spec, std::string_view source) {
  auto vault = PaymentVault::FromSpec(spec);
  if (vault.ok()) return vault;
  Error error = std::move(vault).error();
  error.message = std::string(source) + ": " + error.message;
  return error;
}

Result<PaymentVault> FromKeyFile(const std::string& path, std::string_view source) {
  ECOM_ASSIGN_OR_RETURN(std::string content, ReadKeyFile(path));
  auto vault = FromSource(content, source);
  WipeString(content);
  return vault;
}

}  // namespace

PaymentVault::PaymentVault(VaultKeyRing ring) : ring_(std::move(ring)) {
  InitSodium();
  if (ring_.empty() || ring_.begin()->first < 1) {
    Wipe();
    throw std::invalid_argument("a payment vault needs keys with versions >= 1");
  }
}

PaymentVault::~PaymentVault() { Wipe(); }

PaymentVault::PaymentVault(PaymentVault&& other) noexcept : ring_(std::move(other.ring_)) {
  other.Wipe();
  other.ring_.clear();
}

PaymentVault& PaymentVault::operator=(PaymentVault&& other) noexcept {
  if (this != &other) {
    Wipe();
    ring_ = std::move(other.ring_);
    other.Wipe();
    other.ring_.clear();
  }
  return *this;
}

void PaymentVault::Wipe() noexcept {
  for (auto& [version, key] : ring_) sodium_memzero(key.data(), key.size());
}

int PaymentVault::current_version() const { return ring_.rbegin()->first; }

std::string PaymentVault::Seal(std::string_view plaintext, std::string_view row_id) const {
  const auto& [version, key] = *ring_.rbegin();
  std::vector<unsigned char> box(kNonceBytes + plaintext.size() + kTagBytes);
  unsigned char* nonce = box.data();
  // 24 random bytes: collisions are negligible even with many replicas and
  // no coordination, which is why XChaCha rather than ChaCha's 12.
  randombytes_buf(nonce, kNonceBytes);
  crypto_aead_xchacha20poly1305_ietf_encrypt(nonce + kNonceBytes, nullptr, Bytes(plaintext),
                                             plaintext.size(), Bytes(row_id), row_id.size(),
                                             nullptr, nonce, key.data());
  std::string b64(sodium_base64_ENCODED_LEN(box.size(), kBase64), '\0');
  sodium_bin2base64(b64.data(), b64.size(), box.data(), box.size(), kBase64);
  b64.resize(std::strlen(b64.c_str()));
  return "v" + std::to_string(version) + "." + b64;
}

Result<std::string> PaymentVault::Open(std::string_view sealed, std::string_view row_id) const {
  std::size_t dot = sealed.find('.');
  std::optional<int> version;
  if (!sealed.empty() && sealed.front() == 'v' && dot != sealed.npos)
    version = ParseVersion(sealed.substr(1, dot - 1));
  if (!version) return Unreadable("sealed payment details are malformed (no key version)");
  auto key = ring_.find(*version);
  if (key == ring_.end())
    return Unreadable("payment details are sealed with key version " + std::to_string(*version) +
                      ", which is not configured");

  std::string_view b64 = sealed.substr(dot + 1);
  std::vector<unsigned char> box(b64.size() * 3 / 4 + 1);
  std::size_t length = 0;
  if (sodium_base642bin(box.data(), box.size(), b64.data(), b64.size(), nullptr, &length, nullptr,
                        kBase64) != 0 ||
      length < kNonceBytes + kTagBytes)
    return UnreadableVersion(*version);
  const unsigned char* nonce = box.data();
  std::string plaintext(length - kNonceBytes - kTagBytes, '\0');
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          reinterpret_cast<unsigned char*>(plaintext.data()), nullptr, nullptr, nonce + kNonceBytes,
          length - kNonceBytes, Bytes(row_id), row_id.size(), nonce, key->second.data()) != 0) {
    WipeString(plaintext);
    return UnreadableVersion(*version);
  }
  return plaintext;
}

Result<PaymentVault> PaymentVault::FromSpec(std::string_view spec) {
  InitSodium();
  VaultKeyRing ring;
  // Whatever was parsed is wiped on every error path; on success it has
  // been moved into the vault and this finds nothing.
  struct RingWiper {
    VaultKeyRing& ring;
    ~RingWiper() {
      for (auto& [version, key] : ring) sodium_memzero(key.data(), key.size());
    }
  } wiper{ring};

  // Messages name items by position and never quote them: a mistyped item
  // may well be key material.
  std::vector<FieldError> problems;
  std::set<int> seen;
  auto problem = [&](int item, std::string message) {
    problems.push_back({"item " + std::to_string(item), std::move(message)});
  };
  if (Trim(spec).empty()) {
    problems.push_back({"keys", "no key is given"});
  } else {
    int item = 0;
    std::size_t pos = 0;
    while (pos <= spec.size()) {
      ++item;
      std::size_t comma = spec.find(',', pos);
      std::string_view text = Trim(spec.substr(pos, comma == spec.npos ? spec.npos : comma - pos));
      pos = comma == spec.npos ? spec.size() + 1 : comma + 1;
      std::size_t colon = text.find(':');
      if (text.empty() || colon == text.npos) {
        problem(item, "is not VERSION:KEY");
        continue;
      }
      std::optional<int> version = ParseVersion(Trim(text.substr(0, colon)));
      std::string_view hex = Trim(text.substr(colon + 1));
      if (!version) problem(item, "the version is not a whole number >= 1");
      if (version && !seen.insert(*version).second)
        problem(item, "version " + std::to_string(*version) + " is listed twice");
      VaultKey key;
      std::size_t length = 0;
      const char* end = nullptr;
      if (hex.size() != key.size() * 2) {
        problem(item, "the key is not 64 hex digits (32 bytes)");
      } else if (sodium_hex2bin(key.data(), key.size(), hex.data(), hex.size(), nullptr, &length,
                                &end) != 0 ||
                 length != key.size() || end != hex.data() + hex.size()) {
        problem(item, "the key is not hexadecimal");
      } else if (version) {
        ring.try_emplace(*version, key);
      }
      sodium_memzero(key.data(), key.size());
    }
  }
  if (!problems.empty()) {
    std::string message = "the payment encryption keys are not valid:";
    for (const FieldError& p : problems) message += " " + p.field + ": " + p.message + ";";
    message.pop_back();
    return Error{ErrorCode::kInvalidArgument, "invalid_encryption_keys", std::move(message),
                 std::move(problems)};
  }
  return PaymentVault(std::move(ring));
}

Result<PaymentVault> PaymentVault::Load(const Config& config, store::Dialect dialect,
                                        const std::string& var_dir) {
  InitSodium();
  if (!config.payments_encryption_keys.empty())
    return FromSource(config.payments_encryption_keys, "payments.encryption_keys");
  if (!config.payments_encryption_key_file.empty())
    return FromKeyFile(config.payments_encryption_key_file,
                       "payments.encryption_key_file " + config.payments_encryption_key_file);
  if (dialect == store::Dialect::kPostgres)
    return Error::Precondition(
        "payment_key_required",
        "PostgreSQL needs a configured payment encryption key, because every replica must share "
        "one key to read what the others sealed: set payments.encryption_keys "
        "(ECOM_PAYMENTS_ENCRYPTION_KEYS) or payments.encryption_key_file");

  // SQLite means one host, so a key generated locally is shared by every
  // process that can open the database.
  const std::filesystem::path dir(var_dir);
  const std::filesystem::path path = dir / "payment.key";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return KeyUnavailable("directory " + dir.string(), ec.value());
  if (::access(path.c_str(), F_OK) != 0) ECOM_TRY(CreateKeyFile(dir, path));
  return FromKeyFile(path.string(), path.string());
}

}  // namespace ecom::payments
