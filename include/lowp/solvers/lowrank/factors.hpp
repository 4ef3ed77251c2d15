// Storage of a low-rank factor (n x p, row-major) in float, double, or b-bit
// fixed point with one run-time step per tensor (lowp::fixed<B, dynamic_scale>),
// plus the element access and the rounding the low-rank solvers share.
//
// Fixed point stores q with value q * step. An update x (in units of the
// step) is rounded by the Rounding policy and saturated to [-qmax, qmax]
// (symmetric, so negation never overflows); saturations are counted.
// Concurrency: `sequential` uses plain loads and stores; `hogwild` uses
// std::atomic_ref with memory_order_relaxed per element, which is defined
// behaviour (and ThreadSanitizer-clean) although the read-modify-write of a
// row is not atomic as a whole: that is the Hogwild! race, made legal.
#ifndef LOWP_SOLVERS_LOWRANK_FACTORS_HPP
#define LOWP_SOLVERS_LOWRANK_FACTORS_HPP

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <vector>

#include "lowp/quantize/nearest.hpp"
#include "lowp/quantize/rng.hpp"
#include "lowp/quantize/stochastic.hpp"
#include "lowp/types/fixed.hpp"
#include "lowp/types/scale.hpp"

namespace lowp {
namespace lowrank {

// Concurrency policies.
struct sequential {
  static constexpr bool racy = false;
};
struct hogwild {
  static constexpr bool racy = true;
};

template <class F>
struct factor_traits {
  static_assert(std::is_same_v<F, float> || std::is_same_v<F, double>,
                "lowp::lowrank factors: use float, double or lowp::fixed<B, lowp::dynamic_scale>");
  static constexpr bool is_fixed = false;
  static constexpr int bits = 0;
  using rep = F;
  static constexpr double qmax = 0;
};
template <int B, class O, bool S>
struct factor_traits<fixed<B, dynamic_scale, O, S>> {
  static_assert(S, "lowp::lowrank factors must be signed");
  static_assert(B >= 4 && B <= 16, "lowp::lowrank fixed-point factors: 4 to 16 bits");
  static constexpr bool is_fixed = true;
  static constexpr int bits = B;
  using rep = typename fixed<B, dynamic_scale, O, S>::storage;
  // Symmetric range: -qmax .. qmax.
  static constexpr double qmax = static_cast<double>(fixed<B, dynamic_scale, O, S>::raw_highest);
};

namespace detail {

template <class Conc, class T>
inline T load(const T& x) noexcept {
  if constexpr (Conc::racy)
    return std::atomic_ref<T>(const_cast<T&>(x)).load(std::memory_order_relaxed);
  else
    return x;
}
template <class Conc, class T>
inline void store(T& x, T v) noexcept {
  if constexpr (Conc::racy)
    std::atomic_ref<T>(x).store(v, std::memory_order_relaxed);
  else
    x = v;
}

// A rounding policy object for one thread: stochastic ones own a stream.
template <class Rounding>
inline Rounding make_rounding(std::uint64_t seed, std::uint64_t stream) {
  if constexpr (Rounding::is_stochastic)
    return Rounding(counter_rng(seed, stream));
  else
    return Rounding{};
}

// Round x (units of the step) and saturate to [-qmax, qmax]; NaN saturates to 0 and counts.
template <class Rep, class Rounding>
inline Rep round_sat(double x, double qmax, Rounding& r, std::uint64_t& sat) noexcept {
  if (!(std::abs(x) < 4.0e18)) {  // NaN or beyond int64: counted, clamped
    ++sat;
    return static_cast<Rep>(x > 0 ? qmax : (x < 0 ? -qmax : 0));
  }
  std::int64_t q = r.real(x);
  if (q > static_cast<std::int64_t>(qmax)) {
    ++sat;
    q = static_cast<std::int64_t>(qmax);
  } else if (q < -static_cast<std::int64_t>(qmax)) {
    ++sat;
    q = -static_cast<std::int64_t>(qmax);
  }
  return static_cast<Rep>(q);
}

}  // namespace detail

// n x p row-major factor. For float/double, step() is 1.
template <class Format>
class factor_matrix {
 public:
  using traits = factor_traits<Format>;
  using rep = typename traits::rep;

  factor_matrix() = default;
  factor_matrix(std::size_t rows, std::size_t cols) : rows_(rows), cols_(cols), data_(rows * cols, rep(0)) {}

  std::size_t rows() const noexcept { return rows_; }
  std::size_t cols() const noexcept { return cols_; }
  rep* row(std::size_t i) noexcept { return data_.data() + i * cols_; }
  const rep* row(std::size_t i) const noexcept { return data_.data() + i * cols_; }
  rep* data() noexcept { return data_.data(); }
  const rep* data() const noexcept { return data_.data(); }
  double step() const noexcept { return step_; }
  void set_step(double s) noexcept { step_ = s; }
  double value(std::size_t i, std::size_t c) const noexcept {
    return static_cast<double>(data_[i * cols_ + c]) * step_;
  }

  // Fill from real values (row-major, rows*cols). Fixed point: the step is
  // chosen so that max(max|v|, min_range) maps to qmax * headroom, values rounded by `r`.
  template <class Rounding>
  std::uint64_t assign(const double* v, Rounding& r, double headroom = 0.5, double min_range = 0.0) {
    std::uint64_t sat = 0;
    const std::size_t n = rows_ * cols_;
    if constexpr (traits::is_fixed) {
      double m = 0;
      for (std::size_t k = 0; k < n; ++k) m = std::max(m, std::abs(v[k]));
      m = std::max(m, min_range);
      step_ = m > 0 && std::isfinite(m) ? m / (traits::qmax * headroom) : 1.0;
      const double inv = 1.0 / step_;
      for (std::size_t k = 0; k < n; ++k) data_[k] = detail::round_sat<rep>(v[k] * inv, traits::qmax, r, sat);
    } else {
      (void)r;
      for (std::size_t k = 0; k < n; ++k) data_[k] = static_cast<rep>(v[k]);
      step_ = 1.0;
    }
    return sat;
  }
  // max |value| over the matrix: what assign() finds in values().
  double max_abs() const noexcept {
    if constexpr (traits::is_fixed) {
      // |q| step is monotone in |q| (rounding is), so the largest |q| gives the largest value.
      std::int64_t m = 0;
      for (const rep q : data_) m = std::max<std::int64_t>(m, q < 0 ? -std::int64_t(q) : std::int64_t(q));
      return std::abs(static_cast<double>(m) * step_);
    } else {
      double m = 0;
      for (const rep x : data_) m = std::max(m, std::abs(static_cast<double>(x)));
      return m;
    }
  }
  // assign(values().data(), r, headroom, min_range) in place: the same bits, the same draws from
  // `r`, without the copy. mf_sgd re-picks its steps this way after every epoch, on one thread;
  // the element-wise version took ~5 ms per epoch at 8 bits (25 k x 32 factors), serial time that
  // cut the 2-thread speed-up. Fixed point: x = (q step) / step' depends on q alone, so each possible
  // q is rounded once into a table (its floor and 16-bit fraction), and an element costs a lookup
  // and the carry of its dither.
  template <class Rounding>
  std::uint64_t requantize(Rounding& r, double headroom = 0.5, double min_range = 0.0) {
    if constexpr (!traits::is_fixed || !Rounding::is_stochastic || !requires { r.next_dither(); }) {
      const std::vector<double> v = values();
      return assign(v.data(), r, headroom, min_range);
    } else {
      const double m = std::max(max_abs(), min_range);
      const double old_step = step_;
      step_ = m > 0 && std::isfinite(m) ? m / (traits::qmax * headroom) : 1.0;
      const double inv = 1.0 / step_;
      constexpr std::int64_t lo = std::numeric_limits<rep>::min(), hi = std::numeric_limits<rep>::max();
      struct entry {
        round::detail::sr_split_t split;  // of x, as the rounding's real(x) splits it
        bool bad;                         // NaN or |x| >= 4e18: round_sat clamps without a draw
        rep clamped;
      };
      std::vector<entry> tab(static_cast<std::size_t>(hi - lo + 1));
      const auto qm = static_cast<std::int64_t>(traits::qmax);
      for (std::int64_t q = lo; q <= hi; ++q) {
        const double x = (static_cast<double>(q) * old_step) * inv;
        entry& e = tab[static_cast<std::size_t>(q - lo)];
        e.bad = !(std::abs(x) < 4.0e18);
        e.clamped = static_cast<rep>(x > 0 ? qm : (x < 0 ? -qm : 0));
        if (!e.bad) e.split = round::detail::sr_split(x);
      }
      std::uint64_t sat = 0;
      // Bulk path: every q has a finite x below 2^31, so every element takes
      // one dither in order; draw them in blocks and round from compact
      // tables (2.3 -> ~1 ms per epoch for the 20000 x 5000 x 32 benchmark,
      // serial time inside mf_sgd's epoch). The same bits and draws.
      bool bulk = requires(std::uint16_t* d) { r.next_dithers(d, std::size_t(1)); };
      for (const entry& e : tab) bulk = bulk && !e.bad && std::abs(e.split.floor) < (std::int64_t(1) << 31);
      if (bulk) {
        if constexpr (requires(std::uint16_t* d) { r.next_dithers(d, std::size_t(1)); }) {
          std::vector<std::int32_t> fl(tab.size()), fr(tab.size());
          for (std::size_t i = 0; i < tab.size(); ++i) {
            fl[i] = static_cast<std::int32_t>(tab[i].split.floor);
            fr[i] = static_cast<std::int32_t>(tab[i].split.frac);  // in [0, 65536]
          }
          constexpr std::size_t B = 2048;
          std::uint16_t d[B];
          const auto q32 = static_cast<std::int32_t>(qm);
          // Locals only in the loop: int8 stores may alias anything.
          const std::int32_t* __restrict fl_ = fl.data();
          const std::int32_t* __restrict fr_ = fr.data();
          rep* __restrict q = data_.data();
          const std::size_t size = data_.size();
          for (std::size_t i0 = 0; i0 < size; i0 += B) {
            const std::size_t n = std::min(B, size - i0);
            r.next_dithers(d, n);
            std::uint32_t ns = 0;
            for (std::size_t j = 0; j < n; ++j) {
              const auto t = static_cast<std::size_t>(std::int64_t(q[i0 + j]) - lo);
              const std::int32_t v = fl_[t] + ((fr_[t] + std::int32_t(d[j])) >> 16);
              const std::int32_t c = std::min(std::max(v, -q32), q32);
              ns += c != v ? 1u : 0u;
              q[i0 + j] = static_cast<rep>(c);
            }
            sat += ns;
          }
          return sat;
        }
      }
      for (rep& q : data_) {
        const entry& e = tab[static_cast<std::size_t>(std::int64_t(q) - lo)];
        if (e.bad) {
          ++sat;
          q = e.clamped;
          continue;
        }
        std::int64_t v = round::detail::sr_apply(e.split, r.next_dither());
        if (v > qm) ++sat, v = qm;
        else if (v < -qm) ++sat, v = -qm;
        q = static_cast<rep>(v);
      }
      return sat;
    }
  }
  // Real values, row-major.
  std::vector<double> values() const {
    std::vector<double> out(rows_ * cols_);
    for (std::size_t k = 0; k < out.size(); ++k) out[k] = static_cast<double>(data_[k]) * step_;
    return out;
  }

 private:
  std::size_t rows_ = 0, cols_ = 0;
  std::vector<rep> data_;
  double step_ = 1.0;
};

}  // namespace lowrank
}  // namespace lowp
#endif
