#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "test_support.hpp"

namespace {
std::uint64_t g_seed = 20261125;
}
std::uint64_t lowp_test::seed() noexcept { return g_seed; }

int main(int argc, char** argv) {
  if (const char* env = std::getenv("LOWP_TEST_SEED")) g_seed = std::strtoull(env, nullptr, 10);
  for (int i = 1; i < argc; ++i)
    if (std::strncmp(argv[i], "--lowp-seed=", 12) == 0) g_seed = std::strtoull(argv[i] + 12, nullptr, 10);
  doctest::Context ctx;
  ctx.applyCommandLine(argc, argv);
  // stderr: CTest discovery parses stdout of --list-test-cases.
  std::fprintf(stderr, "lowp test seed: %llu\n", static_cast<unsigned long long>(g_seed));
  return ctx.run();
}
