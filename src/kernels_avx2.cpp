// The AVX2 + FMA table (compiled with -mavx2 -mfma -mbmi2; see simd_kernels.hpp).
#define LOWP_SIMD_NS simd_avx2
#include "simd_avx2.hpp"
#include "simd_kernels.hpp"
#include "tables.hpp"

namespace lowp {
namespace kernels {
namespace detail {

const table& table_avx2() noexcept {
  using O = LOWP_SIMD_NS::ops_avx2;
  static const table t = LOWP_SIMD_NS::make_table<O>(isa::avx2, &O::dot_i8);
  return t;
}

}  // namespace detail
}  // namespace kernels
}  // namespace lowp
