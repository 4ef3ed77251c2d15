// CPU feature detection and the choice of kernel table.
#include <cstdlib>
#include <cstring>

#include "tables.hpp"

namespace lowp {
namespace kernels {

const char* name(isa i) noexcept {
  switch (i) {
    case isa::scalar: return "scalar";
    case isa::avx2: return "avx2";
    case isa::avx512bw: return "avx512bw";
    case isa::avx512vnni: return "avx512vnni";
  }
  return "unknown";
}

bool available(isa i) noexcept {
  __builtin_cpu_init();
  switch (i) {
    case isa::scalar: return true;
    case isa::avx2: return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
                           __builtin_cpu_supports("bmi2") && __builtin_cpu_supports("aes");  // aes: stochastic_ars
    case isa::avx512bw:
      return available(isa::avx2) && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
             __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
    case isa::avx512vnni: return available(isa::avx512bw) && __builtin_cpu_supports("avx512vnni");
  }
  return false;
}

const table& table_for(isa i) noexcept {
  if (!available(i)) return detail::table_scalar();
  switch (i) {
    case isa::scalar: return detail::table_scalar();
    case isa::avx2: return detail::table_avx2();
    case isa::avx512bw: return detail::table_avx512bw();
    case isa::avx512vnni: return detail::table_avx512vnni();
  }
  return detail::table_scalar();
}

namespace {
const table& choose() noexcept {
  isa cap = isa::avx512vnni;
  if (const char* env = std::getenv("LOWP_ISA")) {
    for (isa i : all_isas)
      if (std::strcmp(env, name(i)) == 0) cap = i;
  }
  isa pick = isa::scalar;
  for (isa i : all_isas)
    if (static_cast<int>(i) <= static_cast<int>(cap) && available(i)) pick = i;
  return table_for(pick);
}
}  // namespace

const table& best() noexcept {
  static const table& t = choose();
  return t;
}

}  // namespace kernels
}  // namespace lowp
