// Internal: the per-ISA tables, one per translation unit.
#ifndef LOWP_SRC_TABLES_HPP
#define LOWP_SRC_TABLES_HPP
#include "lowp/kernels/dispatch.hpp"
namespace lowp {
namespace kernels {
namespace detail {
const table& table_scalar() noexcept;
const table& table_avx2() noexcept;
const table& table_avx512bw() noexcept;
const table& table_avx512vnni() noexcept;
}  // namespace detail
}  // namespace kernels
}  // namespace lowp
#endif
