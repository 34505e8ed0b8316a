// The one error vocabulary of the core: a closed ErrorCode, a machine-readable
// reason, and a Result<T> shaped like std::expected.
#pragma once

#include <cassert>
#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace ecom {

// Closed set of outcomes. Adapters map each one once: daemon/ to an HTTP
// status, cli/ to an exit code.
enum class ErrorCode {
  kInvalidArgument,     // the caller sent something malformed or out of range
  kNotFound,            // the object does not exist (or the caller may not see it)
  kAlreadyExists,       // a unique key is taken
  kConflict,            // the object changed under the caller (CAS, ETag)
  kFailedPrecondition,  // the state forbids it (insufficient stock, reserved)
  kUnauthenticated,     // no or bad credentials
  kPermissionDenied,    // credentials lack the scope
  kResourceExhausted,   // too large, too many
  kUnavailable,         // a dependency is down; retry may help
  kInternal,            // a bug or an unexpected failure
};

const char* ToString(ErrorCode code);

// One problem with one input field, e.g. {"variants[2].price", "not a number"}.
struct FieldError {
  std::string field;
  std::string message;
};

// An error: the code says how to react, the reason names the rule
// (`insufficient_stock`, `reserved`, `handle_taken`), the message is for people
// and safe to show to the caller.
struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string reason;
  std::string message;
  std::vector<FieldError> fields;
  // For a throttle's kResourceExhausted or a shed kUnavailable: how long
  // until a retry may succeed (the HTTP Retry-After). Unset when waiting
  // would not help or nobody knows.
  std::optional<std::chrono::seconds> retry_after{};

  static Error Invalid(std::string message, std::vector<FieldError> fields = {}) {
    return {ErrorCode::kInvalidArgument, "invalid_input", std::move(message), std::move(fields)};
  }
  static Error NotFound(std::string reason, std::string message) {
    return {ErrorCode::kNotFound, std::move(reason), std::move(message), {}};
  }
  static Error Conflict(std::string reason, std::string message) {
    return {ErrorCode::kConflict, std::move(reason), std::move(message), {}};
  }
  static Error Precondition(std::string reason, std::string message) {
    return {ErrorCode::kFailedPrecondition, std::move(reason), std::move(message), {}};
  }
  static Error Exists(std::string reason, std::string message) {
    return {ErrorCode::kAlreadyExists, std::move(reason), std::move(message), {}};
  }
  static Error Internal(std::string message) {
    return {ErrorCode::kInternal, "internal", std::move(message), {}};
  }
};

// Either a value or an Error. Outcomes such as "out of stock" travel here,
// never as exceptions.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}            // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}        // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { assert(ok()); return std::get<0>(v_); }
  const T& value() const& { assert(ok()); return std::get<0>(v_); }
  T&& value() && { assert(ok()); return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const& { assert(!ok()); return std::get<1>(v_); }
  Error&& error() && { assert(!ok()); return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, Error> v_;
};

// A Result without a value.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const& { assert(!ok_); return error_; }
  Error&& error() && { assert(!ok_); return std::move(error_); }

 private:
  Error error_;
  bool ok_ = true;
};

using Status = Result<void>;

inline Status Ok() { return {}; }

}  // namespace ecom

// Propagate an error from an expression that yields a Result.
#define ECOM_TRY(expr)                                   \
  do {                                                   \
    auto ecom_try_result_ = (expr);                      \
    if (!ecom_try_result_.ok()) return std::move(ecom_try_result_).error(); \
  } while (0)

#define ECOM_CONCAT_INNER_(a, b) a##b
#define ECOM_CONCAT_(a, b) ECOM_CONCAT_INNER_(a, b)
// Bind the value of a Result to `lhs`, or return its error.
#define ECOM_ASSIGN_OR_RETURN(lhs, expr) \
  ECOM_ASSIGN_OR_RETURN_IMPL_(ECOM_CONCAT_(ecom_r_, __LINE__), lhs, expr)
#define ECOM_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                \
  if (!tmp.ok()) return std::move(tmp).error();     \
  lhs = std::move(tmp).value()
