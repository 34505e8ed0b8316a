// The one mapping from core outcomes to the exit codes and messages of `ecom`.
#pragma once

#include <string>

#include "ecom/common/result.h"

namespace ecom::cli {

// The exit codes of every `ecom` command. Scripts rely on them: keep them
// stable and keep docs/usage.md in step.
enum ExitCode : int {
  kExitOk = 0,             // done
  kExitFailure = 1,        // internal error, store unavailable, unexpected failure
  kExitUsage = 2,          // bad flags or arguments, bad configuration
  kExitNotFound = 3,       // the named object does not exist
  kExitConflict = 4,       // already exists, changed meanwhile, or the state forbids it
  kExitInvalidInput = 65,  // the input data is invalid (EX_DATAERR)
};

// Error reasons the CLI itself raises for bad flags or configuration; both map
// to kExitUsage rather than kExitInvalidInput.
inline constexpr const char* kUsageReason = "usage";
inline constexpr const char* kInvalidConfigReason = "invalid_config";

// A CLI-detected usage problem (a flag value that does not parse, ...).
Error UsageError(std::string message);

// The exit code for an error.
int ExitCodeFor(const Error& error);

// Writes `ecom: <message>` and then each field error on its own line to
// stderr, and returns the exit code for the error.
int ReportError(const Error& error);

// Writes `ecom: <message>` to stderr and returns `code`.
int ReportFailure(const std::string& message, int code = kExitFailure);

// The exit-code table shown in the --help footer.
std::string ExitCodesHelp();

}  // namespace ecom::cli
