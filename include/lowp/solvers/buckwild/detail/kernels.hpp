// The Buckwild! row kernels: margin (dot product) and model update for every
// (data D, model M) pair, through a race policy. The scalar code here is the
// reference; detail/avx512.hpp must match it bit for bit (tested).
//
// Update arithmetic (spec buckwild.md 8.2/8.3), fixed-point model, fixed-point data:
//   C0 = -alpha * g * s_D / s_M       quanta of the model per data unit (real)
//   c  = SR(C0 * 2^k)                 scalar stochastic rounding: E[c] = C0 2^k
//   d_j = (c * x_j + r_j) >> k        r_j uniform in [0, 2^k): E[d_j] = c x_j / 2^k
//   w_j <- sat(w_j + d_j)             symmetric range +-(2^(b-1)-1); clamps counted
// so E[d_j] = C0 x_j exactly (unbiased), whatever the size of the step.
//   D8 M8     k = 8, |c| <= 255: every product fits a 16-bit lane (|c x| + r < 2^15)
//             and d fits int8; |C0| > 255/256 is clipped to +-255/256 and counted.
//   others    k in [0, 16] chosen per step as the largest with |C0| 2^k <= 32767,
//             32-bit arithmetic (|c x| < 2^30).
// Float data with a fixed model: d_j = SR(float(C0) * x_j) in the real form of
// kernels::ref::round_float (16-bit dither). Float model: w_j = fma(a, x_j, w_j).
//
// Dithers come from 16 lanes of xorshift32 (one 512-bit block per step,
// seeded from a counter_rng stream per thread and epoch). In a row, element j
// of the 8-bit-dither path uses byte (j mod 64) of block j/64; the 16-bit paths
// use 16-bit word (j mod 32) of block j/32. "independent" steps the generator
// for every block; "shared" (ISCA 2017) steps it once per row and reuses that
// block for every chunk, rotated by c 32-bit lanes for chunk c (word l of chunk
// c is lane (l + c) mod 16): every dither is still uniform, so every update
// stays unbiased, but coordinates of different chunks share dithers. "nearest" uses r = 2^(k-1) (and nearest c): deterministic,
// and updates below half a quantum vanish.
#ifndef LOWP_SOLVERS_BUCKWILD_DETAIL_KERNELS_HPP
#define LOWP_SOLVERS_BUCKWILD_DETAIL_KERNELS_HPP

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "lowp/kernels/scalar.hpp"
#include "lowp/quantize/rng.hpp"

namespace lowp {
namespace dither {
// How the per-element dithers of one update are drawn (see detail/kernels.hpp).
struct independent {
  static constexpr const char* name = "independent";
};
struct shared {
  static constexpr const char* name = "shared";
};
// Deterministic round-to-nearest: the ablation whose small steps stall.
struct nearest {
  static constexpr const char* name = "nearest";
};
}  // namespace dither

namespace detail {
namespace bw {

template <class T>
inline constexpr bool is_fixed = std::is_same_v<T, std::int8_t> || std::is_same_v<T, std::int16_t>;

template <class T>
inline constexpr std::int32_t qmax = is_fixed<T> ? std::numeric_limits<T>::max() : 0;

template <class Dither>
inline constexpr bool is_stochastic = !std::is_same_v<Dither, dither::nearest>;

// 16 lanes of xorshift32 (Marsaglia 2003, shifts 13/17/5): 64 random bytes per step.
struct alignas(64) dither_lanes {
  std::uint32_t s[16];

  void seed(counter_rng r) noexcept {
    for (auto& x : s) {
      do x = r.next_u32();
      while (x == 0);
    }
  }
  void step() noexcept {
    for (auto& x : s) {
      x ^= x << 13;
      x ^= x >> 17;
      x ^= x << 5;
    }
  }
};

inline std::uint32_t rot_of_chunk(std::size_t c) noexcept { return static_cast<std::uint32_t>(c & 15); }

// Word `lane` of the block seen by a chunk with lane rotation `rot` (0 unless shared).
inline std::uint32_t lane_word(const dither_lanes& L, unsigned lane, std::uint32_t rot) noexcept {
  return L.s[(lane + rot) & 15];
}
inline std::uint32_t byte_of(const dither_lanes& L, std::size_t j, std::uint32_t rot) noexcept {
  return (lane_word(L, static_cast<unsigned>(j >> 2), rot) >> (8 * (j & 3))) & 0xffu;
}
inline std::uint32_t half_of(const dither_lanes& L, std::size_t j, std::uint32_t rot) noexcept {
  return (lane_word(L, static_cast<unsigned>(j >> 1), rot) >> (16 * (j & 1))) & 0xffffu;
}

// Walks the blocks of one row: element j asks for its dither; blocks change
// every `per_block` elements.
template <class Dither>
struct dither_walk {
  dither_lanes* L;
  std::size_t per_block;
  std::size_t block = static_cast<std::size_t>(-1);
  std::uint32_t rot = 0;

  dither_walk(dither_lanes& lanes, std::size_t per) noexcept : L(&lanes), per_block(per) {
    if constexpr (std::is_same_v<Dither, dither::shared>) L->step();
  }
  // Position of element j in the current block (advances the block as needed).
  std::size_t at(std::size_t j) noexcept {
    const std::size_t b = j / per_block;
    if (b != block) {
      if constexpr (std::is_same_v<Dither, dither::shared>) rot = rot_of_chunk(b);
      else if constexpr (std::is_same_v<Dither, dither::independent>) L->step();
      block = b;
    }
    return j % per_block;
  }
};

// Symmetric saturation to +-qmax<M>; counts a clamp.
template <class M>
inline M sat_sym(std::int64_t v, std::uint64_t& sat) noexcept {
  constexpr std::int64_t hi = qmax<M>;
  if (v > hi) {
    ++sat;
    return static_cast<M>(hi);
  }
  if (v < -hi) {
    ++sat;
    return static_cast<M>(-hi);
  }
  return static_cast<M>(v);
}

// The scalar multiplier of one step (integer form).
struct step_coefficient {
  std::int32_t c = 0;  // the rounded multiplier
  int k = 0;           // fraction bits
  int kmax = 0;        // dither bits
  bool clipped = false;
};

// One SR of a real number (the real form of round::stochastic, 16-bit dither).
inline std::int64_t sr_real(double x, std::uint32_t dither16) noexcept {
  const double i = std::floor(x);
  const auto t = static_cast<std::int64_t>(round::nearest_even::real((x - i) * 65536.0));
  return static_cast<std::int64_t>(i) + ((t + static_cast<std::int64_t>(dither16)) >> 16);
}

// c and k for the integer update of a (D, M) pair; `dither16` feeds the scalar SR.
template <class D, class M, class Dither>
inline step_coefficient make_coefficient(double C0, std::uint32_t dither16) noexcept {
  step_coefficient s;
  const bool narrow = std::is_same_v<D, std::int8_t> && std::is_same_v<M, std::int8_t>;
  const std::int32_t cmax = narrow ? 255 : 32767;
  s.kmax = narrow ? 8 : 16;
  s.k = s.kmax;
  if (!(C0 == C0)) C0 = 0.0;  // NaN gradient: no update (the epoch check reports divergence)
  // Powers of two as exact products, not ldexp calls (this is on the per-row dependency chain).
  if (!narrow)
    while (s.k > 0 && std::abs(C0) * static_cast<double>(1u << s.k) > cmax) --s.k;
  const double scaled = C0 * static_cast<double>(1u << s.k);
  std::int64_t c = is_stochastic<Dither> ? sr_real(scaled, dither16) : round::nearest_even::real(scaled);
  if (c > cmax) c = cmax, s.clipped = true;
  if (c < -cmax) c = -cmax, s.clipped = true;
  s.c = static_cast<std::int32_t>(c);
  return s;
}

// ---- margins -------------------------------------------------------------------

// Exact integer dot, or float in the canonical 64-accumulator order of
// kernels/scalar.hpp (so the racy_simd policy's dispatched kernels agree).
template <class Race, class D, class M>
auto dot_dense(const D* x, const M* w, std::size_t n) noexcept {
  if constexpr (is_fixed<D> && is_fixed<M>) {
    std::int64_t s = 0;
    for (std::size_t j = 0; j < n; ++j) s += std::int64_t(x[j]) * std::int64_t(Race::load(w + j));
    return s;
  } else {
    float acc[64] = {};
    for (std::size_t j = 0; j < n; ++j)
      acc[j & 63] = std::fma(static_cast<float>(x[j]), static_cast<float>(Race::load(w + j)), acc[j & 63]);
    return kernels::ref::fold64(acc);
  }
}

template <class Race, class D, class M>
auto dot_sparse(const std::uint32_t* idx, const D* x, std::size_t nnz, const M* w) noexcept {
  if constexpr (is_fixed<D> && is_fixed<M>) {
    std::int64_t s = 0;
    for (std::size_t k = 0; k < nnz; ++k) s += std::int64_t(x[k]) * std::int64_t(Race::load(w + idx[k]));
    return s;
  } else {
    float acc[64] = {};
    for (std::size_t k = 0; k < nnz; ++k)
      acc[k & 63] = std::fma(static_cast<float>(Race::load(w + idx[k])), static_cast<float>(x[k]), acc[k & 63]);
    return kernels::ref::fold64(acc);
  }
}

// ---- updates ----------------------------------------------------------------------

// Element update of the integer form; `r` is the element's kmax-bit dither.
template <class M>
inline M int_update(M w, std::int32_t x, const step_coefficient& s, std::uint32_t r, std::uint64_t& sat) noexcept {
  const std::int64_t rr = static_cast<std::int64_t>(r >> (s.kmax - s.k));
  const std::int64_t d = (std::int64_t(s.c) * x + rr) >> s.k;  // arithmetic shift: floor
  return sat_sym<M>(std::int64_t(w) + d, sat);
}

// Element update of the real form (float data, fixed model).
template <class M>
inline M real_update(M w, float v, std::uint32_t r16, bool stochastic, std::uint64_t& sat) noexcept {
  if (!(v == v)) {
    ++sat;
    return w;
  }
  const float c = static_cast<float>(std::int64_t(1) << (8 * sizeof(M)));
  v = v < -c ? -c : (v > c ? c : v);
  const std::int32_t d = kernels::ref::round_float(
      v, stochastic ? kernels::rounding_mode::stochastic : kernels::rounding_mode::nearest_even, r16);
  return sat_sym<M>(std::int64_t(w) + d, sat);
}

// Dense row update, scalar reference through the race policy. `idx` null: dense.
// Returns nothing; counts clamps in `sat`.
template <class Race, class Dither, class D, class M>
void update_row(M* w, const std::uint32_t* idx, const D* x, std::size_t n, double C0, dither_lanes& L,
                std::uint32_t coeff_dither, std::uint64_t& sat) noexcept {
  auto at = [&](std::size_t j) -> M* { return idx ? w + idx[j] : w + j; };
  if constexpr (!is_fixed<M>) {
    // Float model: w = fma(a, x, w) in float (the Hogwild! update).
    const float a = static_cast<float>(C0);
    for (std::size_t j = 0; j < n; ++j) {
      M* p = at(j);
      Race::store(p, std::fma(a, static_cast<float>(x[j]), Race::load(p)));
    }
  } else if constexpr (is_fixed<D>) {
    const step_coefficient s = make_coefficient<D, M, Dither>(C0, coeff_dither);
    sat += s.clipped ? 1 : 0;
    if (s.c == 0) return;  // d_j = floor(r / 2^k) = 0 for every j
    const bool narrow = s.kmax == 8;
    dither_walk<Dither> walk(L, narrow ? 64 : 32);
    for (std::size_t j = 0; j < n; ++j) {
      std::uint32_t r;
      if constexpr (is_stochastic<Dither>) {
        const std::size_t pos = walk.at(j);
        r = narrow ? byte_of(L, pos, walk.rot) : half_of(L, pos, walk.rot);
      } else {
        r = (1u << s.kmax) >> 1;  // half a quantum: round half up
      }
      M* p = at(j);
      Race::store(p, int_update<M>(Race::load(p), std::int32_t(x[j]), s, r, sat));
    }
  } else {
    const float a = static_cast<float>(C0);
    dither_walk<Dither> walk(L, 32);
    for (std::size_t j = 0; j < n; ++j) {
      std::uint32_t r = 0;
      if constexpr (is_stochastic<Dither>) {
        const std::size_t pos = walk.at(j);
        r = half_of(L, pos, walk.rot);
      }
      M* p = at(j);
      Race::store(p, real_update<M>(Race::load(p), a * static_cast<float>(x[j]), r, is_stochastic<Dither>, sat));
    }
  }
}

// w <- w * factor for the L2 decay, every element rounded like an update
// (stochastic with the dither stream `r`, or nearest).
template <class Race, class Dither, class M>
void scale_model(M* w, std::size_t n, double factor, counter_rng& r, std::uint64_t& sat) noexcept {
  for (std::size_t j = 0; j < n; ++j) {
    const M v = Race::load(w + j);
    if constexpr (!is_fixed<M>) {
      Race::store(w + j, static_cast<M>(v * static_cast<float>(factor)));
    } else {
      if (v == 0) continue;
      const double t = static_cast<double>(v) * factor;
      const std::int64_t q =
          is_stochastic<Dither> ? sr_real(t, r.next_u32() >> 16) : round::nearest_even::real(t);
      Race::store(w + j, sat_sym<M>(q, sat));
    }
  }
}

// The L2 decay w <- factor * w of a fixed-point model written as an ordinary update whose
// data row is the model itself (D = M): C0 = -(1 - factor) quanta per quantum, c = SR(C0 2^k)
// with the 16-bit dither `coeff_dither` (k = 8 for int8; for int16 the largest k <= 16 with
// |c| <= 32767, as make_coefficient), d_j = (c w_j + r_j) >> k with the row's dithers from L.
// Then E[d_j] = -(1 - factor) w_j exactly (unbiased, spec 8.2), and the vectorised update
// kernels (detail/avx512.hpp) apply it. For int8, |C0| 2^8 must be <= 255, i.e. factor >=
// 1/256 (else false is returned and nothing is done: the caller uses scale_model).
// `copy` holds the model as read (n entries): the update reads it as data while it writes w.
template <class Race, class Dither, class M>
bool decay_fixed(M* w, std::size_t n, double factor, dither_lanes& L, std::uint32_t coeff_dither, M* copy,
                 std::uint64_t& sat) noexcept {
  static_assert(is_fixed<M>, "a fixed-point model");
  const double C0 = factor - 1.0;
  if (!(C0 <= 0) || (std::is_same_v<M, std::int8_t> && !(C0 * 256.0 >= -255.0)) || !(C0 >= -1.0)) return false;
  for (std::size_t j = 0; j < n; ++j) copy[j] = Race::load(w + j);
  update_row<Race, Dither>(w, nullptr, copy, n, C0, L, coeff_dither, sat);
  return true;
}
template <class Race, class Dither>
bool decay_i8(std::int8_t* w, std::size_t n, double factor, dither_lanes& L, std::uint32_t coeff_dither,
              std::int8_t* copy, std::uint64_t& sat) noexcept {
  return decay_fixed<Race, Dither>(w, n, factor, L, coeff_dither, copy, sat);
}

}  // namespace bw
}  // namespace detail
}  // namespace lowp
#endif
