// PLACEHOLDER until the SIMD kernels land: forwards to the scalar table.
#include "tables.hpp"
namespace lowp { namespace kernels { namespace detail {
const table& table_avx512vnni() noexcept { return table_scalar(); }
}}}
