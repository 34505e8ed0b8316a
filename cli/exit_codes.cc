// Maps core errors to exit codes and prints them; the only place that does.
#include "exit_codes.h"

#include <fmt/core.h>

#include <cstdio>

namespace ecom::cli {

Error UsageError(std::string message) {
  return Error{ErrorCode::kInvalidArgument, kUsageReason, std::move(message), {}};
}

int ExitCodeFor(const Error& error) {
  switch (error.code) {
    case ErrorCode::kInvalidArgument:
      if (error.reason == kUsageReason || error.reason == kInvalidConfigReason) return kExitUsage;
      return kExitInvalidInput;
    case ErrorCode::kNotFound:
      return kExitNotFound;
    case ErrorCode::kAlreadyExists:
    case ErrorCode::kConflict:
    case ErrorCode::kFailedPrecondition:
      return kExitConflict;
    case ErrorCode::kUnauthenticated:
    case ErrorCode::kPermissionDenied:
    case ErrorCode::kResourceExhausted:
    case ErrorCode::kUnavailable:
    case ErrorCode::kInternal:
      return kExitFailure;
  }
  return kExitFailure;
}

int ReportError(const Error& error) {
  std::string message = error.message.empty() ? ToString(error.code) : error.message;
  fmt::print(stderr, "ecom: {}\n", message);
  for (const auto& field : error.fields) {
    // A message that already lists its field errors (LoadConfig's does) is not
    // repeated line by line.
    std::string line = field.field.empty() ? field.message : field.field + ": " + field.message;
    if (message.find(line) != std::string::npos) continue;
    if (field.field.empty())
      fmt::print(stderr, "  {}\n", field.message);
    else
      fmt::print(stderr, "  {}: {}\n", field.field, field.message);
  }
  std::fflush(stderr);
  return ExitCodeFor(error);
}

int ReportFailure(const std::string& message, int code) {
  fmt::print(stderr, "ecom: {}\n", message);
  std::fflush(stderr);
  return code;
}

std::string ExitCodesHelp() {
  return "Exit codes:\n"
         "  0   success\n"
         "  1   failure (store unavailable, internal error)\n"
         "  2   usage error (bad flags or arguments, bad configuration)\n"
         "  3   not found\n"
         "  4   conflict (already exists, changed meanwhile, or not allowed in this state)\n"
         "  65  invalid input data (nothing was changed)\n";
}

}  // namespace ecom::cli
