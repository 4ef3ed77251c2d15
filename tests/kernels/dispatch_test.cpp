// best() picks the widest ISA this CPU supports, capped by LOWP_ISA.
#include <doctest/doctest.h>

#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "lowp/kernels/dispatch.hpp"

namespace {
using namespace lowp::kernels;

isa expected_best() {
  isa cap = isa::avx512vnni;
  if (const char* env = std::getenv("LOWP_ISA"))
    for (isa i : all_isas)
      if (std::strcmp(env, name(i)) == 0) cap = i;
  isa pick = isa::scalar;
  for (isa i : all_isas)
    if (static_cast<int>(i) <= static_cast<int>(cap) && available(i)) pick = i;
  return pick;
}
}  // namespace

TEST_CASE("best picks the widest available ISA under the LOWP_ISA cap") {
  const char* env = std::getenv("LOWP_ISA");
  INFO("LOWP_ISA=" << (env ? env : "(unset)"));
  CHECK(best().id == expected_best());
  for (isa i : all_isas) {
    if (available(i))
      CHECK_MESSAGE(table_for(i).id == i, std::string(name(i)) << " table is still a placeholder");
    else
      CHECK(table_for(i).id == isa::scalar);
  }
  if (!env) {
    isa widest = isa::scalar;
    for (isa i : all_isas)
      if (available(i)) widest = i;
    CHECK(best().id == widest);
  }
}

TEST_CASE("LOWP_ISA caps the dispatcher in a fresh process") {
  if (std::getenv("LOWP_KERNELS_TEST_CHILD")) return;  // we are the child
  char exe[4096];
  const ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  if (len <= 0) {
    MESSAGE("cannot find our own executable: skipped");
    return;
  }
  exe[len] = '\0';
  for (const char* cap : {"scalar", "avx2", "avx512bw", "avx512vnni", "bogus"}) {
    const std::string cmd = std::string("LOWP_ISA=") + cap + " LOWP_KERNELS_TEST_CHILD=1 '" + exe +
                            "' '--test-case=best picks the widest*' >/dev/null 2>&1";
    CHECK_MESSAGE(std::system(cmd.c_str()) == 0, "child with LOWP_ISA=" << cap);
  }
}
