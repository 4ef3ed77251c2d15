// Runs a program without a shell, for the tools and experiments that call
// gnuplot or `lowp plot`: arguments reach it verbatim, so paths with spaces
// or quotes need no escaping. Header-only; POSIX.
#ifndef LOWP_TOOLS_RUN_PROGRAM_HPP
#define LOWP_TOOLS_RUN_PROGRAM_HPP

#include <cerrno>
#include <string>
#include <vector>

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;  // POSIX; unistd.h declares it only under _GNU_SOURCE

namespace lowp_tools {

// `args[0]` is the program: an absolute path, or a name looked up on PATH.
// Returns its exit status, or -1 when it could not be started or was killed.
inline int run_program(const std::vector<std::string>& args) {
  if (args.empty()) return -1;
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  if (::posix_spawnp(&pid, argv[0], nullptr, nullptr, argv.data(), environ) != 0) return -1;
  int st = 0;
  while (::waitpid(pid, &st, 0) < 0)
    if (errno != EINTR) return -1;
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

}  // namespace lowp_tools
#endif
