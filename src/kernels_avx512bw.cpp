// The AVX-512 (F/BW/VL/DQ) table; see simd_kernels.hpp.
#define LOWP_SIMD_NS simd_avx512bw
#include "simd_avx512.hpp"
#include "simd_kernels.hpp"
#include "tables.hpp"

namespace lowp {
namespace kernels {
namespace detail {

const table& table_avx512bw() noexcept {
  using O = LOWP_SIMD_NS::ops_avx512;
  static const table t = LOWP_SIMD_NS::make_table<O>(isa::avx512bw, &O::dot_i8);
  return t;
}

}  // namespace detail
}  // namespace kernels
}  // namespace lowp
