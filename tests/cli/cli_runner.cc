// Subprocess plumbing for the CLI tests: posix_spawn with piped stdout and
// stderr (or a pseudo-terminal), read together with poll().
#include "cli/cli_runner.h"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

extern char** environ;

namespace ecom::cli::testing {
namespace {

[[noreturn]] void Fail(const std::string& what) {
  throw std::runtime_error(what + ": " + std::strerror(errno));
}

void Pipe(int fds[2]) {
  if (pipe2(fds, O_CLOEXEC) != 0) Fail("pipe");
}

}  // namespace

std::string EcomBinary() {
  const char* dir = std::getenv("ECOM_BIN_DIR");
#ifdef ECOM_DEFAULT_BIN_DIR
  if (!dir || !*dir) dir = ECOM_DEFAULT_BIN_DIR;
#endif
  return std::string(dir ? dir : ".") + "/ecom";
}

RunResult Run(const std::string& binary, const std::vector<std::string>& args,
              const RunOptions& options) {
  std::vector<std::string> env_strings;
  for (char** e = environ; e && *e; ++e) {
    std::string entry(*e);
    std::string name = entry.substr(0, entry.find('='));
    if (name.rfind("ECOM_", 0) == 0 || options.env.count(name)) continue;
    env_strings.push_back(entry);
  }
  for (const auto& [name, value] : options.env) env_strings.push_back(name + "=" + value);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);

  std::vector<std::string> argv_strings = {binary};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& s : argv_strings) argv.push_back(s.data());
  argv.push_back(nullptr);

  int out_pipe[2], err_pipe[2] = {-1, -1};
  Pipe(out_pipe);
  int err_read = -1;
  if (options.stderr_is_terminal) {
    // The parent holds the slave open too, so the master never hangs up
    // before the child has opened it.
    err_read = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (err_read < 0 || grantpt(err_read) != 0 || unlockpt(err_read) != 0) Fail("posix_openpt");
    err_pipe[1] = open(ptsname(err_read), O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (err_pipe[1] < 0) Fail("open pty slave");
  } else {
    Pipe(err_pipe);
    err_read = err_pipe[0];
  }

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO,
                                   options.stdin_file ? options.stdin_file->c_str() : "/dev/null",
                                   O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], STDERR_FILENO);
  if (!options.working_dir.empty())
    posix_spawn_file_actions_addchdir_np(&actions, options.working_dir.c_str());

  pid_t pid = 0;
  int rc = posix_spawn(&pid, binary.c_str(), &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  close(out_pipe[1]);
  // A pipe's write end is closed now so that it reports end of file; the
  // pseudo-terminal's slave stays open until the child is done.
  int pty_slave = -1;
  if (options.stderr_is_terminal)
    pty_slave = err_pipe[1];
  else
    close(err_pipe[1]);
  if (rc != 0) {
    if (pty_slave >= 0) close(pty_slave);
    close(out_pipe[0]);
    close(err_read);
    errno = rc;
    Fail("cannot run " + binary);
  }

  RunResult result;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_read, POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  int open_fds = 2;
  bool exited = false;
  int status = 0;
  char buf[65536];
  while (open_fds > 0) {
    // The pseudo-terminal never reports end of file (the parent holds its
    // slave), so once the child has exited its remaining output is drained
    // without waiting.
    int ready = poll(fds, 2, exited ? 0 : 100);
    if (ready < 0) {
      if (errno == EINTR) continue;
      Fail("poll");
    }
    if (ready == 0) {
      if (exited) break;
      if (waitpid(pid, &status, WNOHANG) == pid) exited = true;
      continue;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        sinks[i]->append(buf, static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  for (auto& fd : fds)
    if (fd.fd >= 0) close(fd.fd);
  if (pty_slave >= 0) close(pty_slave);
  if (!exited) {
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  if (WIFEXITED(status))
    result.exit_code = WEXITSTATUS(status);
  else if (WIFSIGNALED(status))
    result.exit_code = 128 + WTERMSIG(status);
  return result;
}

}  // namespace ecom::cli::testing
