// Runs the real `ecom` binary as a subprocess and captures what it printed.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ecom::cli::testing {

struct RunResult {
  int exit_code = -1;  // the exit status, or 128 + signal number
  std::string out;     // stdout
  std::string err;     // stderr
};

struct RunOptions {
  std::optional<std::string> stdin_file;  // default: /dev/null
  // Added to (or replacing) the inherited environment, from which every
  // ECOM_* variable is removed so that the tests are hermetic.
  std::map<std::string, std::string> env;
  // Connects stderr to a pseudo-terminal instead of a pipe (what a user at a
  // terminal sees; terminal output arrives in RunResult::err).
  bool stderr_is_terminal = false;
  std::string working_dir;  // default: the current directory
};

// The path of the `ecom` binary: $ECOM_BIN_DIR/ecom.
std::string EcomBinary();

// Runs `binary args...` and waits for it.
RunResult Run(const std::string& binary, const std::vector<std::string>& args,
              const RunOptions& options = {});

}  // namespace ecom::cli::testing
