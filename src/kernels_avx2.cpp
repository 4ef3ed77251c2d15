// PLACEHOLDER until the SIMD kernels land: forwards to the scalar table.
#include "tables.hpp"
namespace lowp { namespace kernels { namespace detail {
const table& table_avx2() noexcept { return table_scalar(); }
}}}
