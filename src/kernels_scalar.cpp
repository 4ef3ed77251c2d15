// The scalar table: the reference kernels themselves, for machines without
// AVX2 and as the oracle the tests compare every other table against.
#include "tables.hpp"

namespace lowp {
namespace kernels {
namespace detail {
namespace {
using namespace ::lowp::kernels::ref;
template <class W, class X>
std::size_t upd(W* w, const X* x, std::size_t n, float a, rounding_mode m, dither_source s) noexcept {
  return update(w, x, n, a, m, s);
}
template <class W, class X>
std::size_t upd_sp(W* w, const std::uint32_t* i, const X* x, std::size_t n, float a, rounding_mode m,
                   dither_source s) noexcept {
  return update_sparse(w, i, x, n, a, m, s);
}
template <class W>
std::size_t upd_bias(W* w, const std::int8_t* x, const float* h, std::size_t n, float a, float b, rounding_mode m,
                     dither_source s) noexcept {
  return update_bias(w, x, h, n, a, b, m, s);
}
template <class W>
std::size_t upd_bias_fixed(W* w, const std::int8_t* x, const fixed_offset& h, std::size_t n, float a,
                           dither_source s) noexcept {
  return update_bias_fixed(w, x, h, n, a, s);
}
template <class Q>
std::size_t quant(const float* x, std::size_t n, float inv, Q* q, rounding_mode m, dither_source s) noexcept {
  return quantize(x, n, inv, q, m, s);
}
template <class Q>
void dequant(const Q* q, std::size_t n, float scale, float* y) noexcept {
  dequantize(q, n, scale, y);
}
using i8 = std::int8_t;
using i16 = std::int16_t;
}  // namespace

const table& table_scalar() noexcept {
  static const table t{isa::scalar,
                       [](const i8* x, const i8* y, std::size_t n) noexcept { return ref::dot(x, y, n); },
                       [](const i16* x, const i16* y, std::size_t n) noexcept { return ref::dot(x, y, n); },
                       [](const float* x, const float* y, std::size_t n) noexcept { return ref::dot(x, y, n); },
                       [](const i8* w, const std::uint32_t* i, const i8* v, std::size_t n) noexcept {
                         return ref::dot_sparse(w, i, v, n);
                       },
                       [](const i16* w, const std::uint32_t* i, const i16* v, std::size_t n) noexcept {
                         return ref::dot_sparse(w, i, v, n);
                       },
                       [](const float* w, const std::uint32_t* i, const float* v, std::size_t n) noexcept {
                         return ref::dot_sparse(w, i, v, n);
                       },
                       quant<i8>,
                       quant<i16>,
                       dequant<i8>,
                       dequant<i16>,
                       upd<i8, i8>,
                       upd<i8, i16>,
                       upd<i8, float>,
                       upd<i16, i8>,
                       upd<i16, i16>,
                       upd<i16, float>,
                       upd_sp<i8, i8>,
                       upd_sp<i8, i16>,
                       upd_sp<i8, float>,
                       upd_sp<i16, i8>,
                       upd_sp<i16, i16>,
                       upd_sp<i16, float>,
                       ref::axpy,
                       ref::axpy_sparse,
                       [](const i8* x, const float* w, std::size_t n) noexcept { return ref::dot(x, w, n); },
                       [](const i16* w, const i8* x, std::size_t n) noexcept { return ref::dot(w, x, n); },
                       [](float* y, const i8* x, std::size_t n, float a) noexcept { ref::axpy(y, x, n, a); },
                       upd_bias<i8>,
                       upd_bias<i16>,
                       [](float* w, const float* x, const float* h, std::size_t n, float a, float b) noexcept {
                         ref::update_bias(w, x, h, n, a, b);
                       },
                       upd_bias_fixed<i8>,
                       upd_bias_fixed<i16>};
  return t;
}

}  // namespace detail
}  // namespace kernels
}  // namespace lowp
