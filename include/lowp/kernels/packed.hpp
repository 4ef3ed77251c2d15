// packed<Format>: a 64-byte aligned array of one lowp format's raw values,
// plus its step when the format's scale is dynamic. It is the typed face of
// the raw kernels: the scales are folded into the kernel arguments here, so
// solver code never multiplies scales by hand. C++20 (solver layer).
#ifndef LOWP_KERNELS_PACKED_HPP
#define LOWP_KERNELS_PACKED_HPP

#include <cstddef>
#include <cstdint>
#include <limits>
#include <new>
#include <span>
#include <stdexcept>
#include <type_traits>
#include <vector>

#if defined(__linux__)
#include <sys/mman.h>
#endif

#include "lowp/concepts.hpp"
#include "lowp/kernels/dispatch.hpp"

namespace lowp {

// Cache-line alignment: full-width aligned loads and no split lines in the kernels.
// Arrays of 4 MiB and more are aligned to 2 MiB and, on Linux, marked for transparent huge
// pages (MADV_HUGEPAGE, before their pages are first touched): the solvers stream data sets in
// shuffled row order, and with 4 KiB pages every row of a few KiB is a TLB miss whose page walk
// the software prefetches cannot hide (Buckwild! D8M8 out of cache: +11 % measured). Where THP
// is off ("never") the advice is ignored and nothing else changes.
template <class T>
struct aligned_allocator {
  using value_type = T;
  static constexpr std::align_val_t alignment{64};
  static constexpr std::size_t huge_bytes = std::size_t(4) << 20;
  static constexpr std::align_val_t huge_alignment{std::size_t(2) << 20};
  aligned_allocator() noexcept = default;
  template <class U>
  aligned_allocator(const aligned_allocator<U>&) noexcept {}
  T* allocate(std::size_t n) {
    if (n > std::size_t(-1) / sizeof(T)) throw std::bad_array_new_length();
    const std::size_t bytes = n * sizeof(T);
    if (bytes < huge_bytes) return static_cast<T*>(::operator new(bytes, alignment));
    void* p = ::operator new(bytes, huge_alignment);
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    ::madvise(p, (bytes + (std::size_t(2) << 20) - 1) & ~((std::size_t(2) << 20) - 1), MADV_HUGEPAGE);
#endif
    return static_cast<T*>(p);
  }
  void deallocate(T* p, std::size_t n) noexcept {
    if (n * sizeof(T) < huge_bytes)
      ::operator delete(p, alignment);
    else
      ::operator delete(p, huge_alignment);
  }
  template <class U>
  bool operator==(const aligned_allocator<U>&) const noexcept {
    return true;
  }
};

template <class T>
using aligned_vector = std::vector<T, aligned_allocator<T>>;

template <fixed_point_format Format>
  requires(number_traits<Format>::bits == 8 || number_traits<Format>::bits == 16) && number_traits<Format>::is_signed
class packed {
 public:
  using format = Format;
  using storage = typename number_traits<Format>::storage;
  static constexpr bool dynamic = !number_traits<Format>::has_static_scale;

  packed() = default;
  // Static scale: n zeros.
  explicit packed(std::size_t n)
    requires(!dynamic)
      : raw_(n, storage(0)) {}
  // Dynamic scale: n zeros with the given positive step.
  packed(std::size_t n, double step)
    requires dynamic
      : raw_(n, storage(0)), step_(step) {
    check_step(step);
  }

  std::size_t size() const noexcept { return raw_.size(); }
  storage* data() noexcept { return raw_.data(); }
  const storage* data() const noexcept { return raw_.data(); }
  std::span<storage> raw() noexcept { return raw_; }
  std::span<const storage> raw() const noexcept { return raw_; }
  Format operator[](std::size_t i) const noexcept { return Format::from_raw(raw_[i]); }
  void set(std::size_t i, Format v) noexcept { raw_[i] = v.raw(); }

  // Value of one quantum.
  double step() const noexcept {
    if constexpr (dynamic) return step_;
    else return Format::scale::value();
  }
  // Re-scaling keeps the raw values (their meaning changes): HALP re-centres
  // by re-quantizing, then sets the new step.
  void set_step(double s)
    requires dynamic
  {
    check_step(s);
    step_ = s;
  }
  double value(std::size_t i) const noexcept { return static_cast<double>(raw_[i]) * step(); }

 private:
  static void check_step(double s) {
    if (!(s > 0.0) || s == HUGE_VAL) throw std::invalid_argument("lowp::packed: step must be positive and finite");
  }
  aligned_vector<storage> raw_;
  double step_ = 1.0;
};

namespace kernels {

namespace detail {
template <class S>
constexpr bool is_i8 = std::is_same_v<S, std::int8_t>;

inline void check_sizes(std::size_t a, std::size_t b, const char* what) {
  if (a != b) throw std::invalid_argument(std::string("lowp::kernels::") + what + ": size mismatch");
}
}  // namespace detail

// x . y as a real number (the exact integer dot times both steps).
template <class F>
double dot(const packed<F>& x, const packed<F>& y) {
  detail::check_sizes(x.size(), y.size(), "dot");
  std::int64_t r;
  if constexpr (detail::is_i8<typename packed<F>::storage>) r = best().dot_i8(x.data(), y.data(), x.size());
  else r = best().dot_i16(x.data(), y.data(), x.size());
  return static_cast<double>(r) * x.step() * y.step();
}

// out <- quantize(x) in out's format and step; returns clipped + NaN count.
template <class F>
std::size_t quantize(std::span<const float> x, packed<F>& out, rounding_mode m, counter_rng& rng) {
  detail::check_sizes(x.size(), out.size(), "quantize");
  const float inv = static_cast<float>(1.0 / out.step());
  const dither_source s = take_dither(rng, m, x.size());
  if constexpr (detail::is_i8<typename packed<F>::storage>) return best().quantize_i8(x.data(), x.size(), inv, out.data(), m, s);
  else return best().quantize_i16(x.data(), x.size(), inv, out.data(), m, s);
}

template <class F>
void dequantize(const packed<F>& q, std::span<float> out) {
  detail::check_sizes(q.size(), out.size(), "dequantize");
  const float step = static_cast<float>(q.step());
  if constexpr (detail::is_i8<typename packed<F>::storage>) best().dequantize_i8(q.data(), q.size(), step, out.data());
  else best().dequantize_i16(q.data(), q.size(), step, out.data());
}

// w <- sat(w + round(alpha * x)) in real units: alpha * x is converted to
// w's quanta (alpha * step_x / step_w) and rounded per `m`. Returns the
// number of clipped elements.
template <class FW, class FX>
std::size_t axpy(double alpha, const packed<FX>& x, packed<FW>& w, rounding_mode m, counter_rng& rng) {
  detail::check_sizes(x.size(), w.size(), "axpy");
  const float a = static_cast<float>(alpha * x.step() / w.step());
  const dither_source s = take_dither(rng, m, x.size());
  using SW = typename packed<FW>::storage;
  using SX = typename packed<FX>::storage;
  const table& t = best();
  if constexpr (detail::is_i8<SW> && detail::is_i8<SX>) return t.update_i8_i8(w.data(), x.data(), x.size(), a, m, s);
  else if constexpr (detail::is_i8<SW>) return t.update_i8_i16(w.data(), x.data(), x.size(), a, m, s);
  else if constexpr (detail::is_i8<SX>) return t.update_i16_i8(w.data(), x.data(), x.size(), a, m, s);
  else return t.update_i16_i16(w.data(), x.data(), x.size(), a, m, s);
}

// w <- sat(w + round(alpha * x)) with float data.
template <class FW>
std::size_t axpy(double alpha, std::span<const float> x, packed<FW>& w, rounding_mode m, counter_rng& rng) {
  detail::check_sizes(x.size(), w.size(), "axpy");
  const float a = static_cast<float>(alpha / w.step());
  const dither_source s = take_dither(rng, m, x.size());
  if constexpr (detail::is_i8<typename packed<FW>::storage>) return best().update_i8_f32(w.data(), x.data(), x.size(), a, m, s);
  else return best().update_i16_f32(w.data(), x.data(), x.size(), a, m, s);
}

// A per-coordinate offset h (in model quanta) held in the forms update_bias_fixed_* read
// (scalar.hpp, fixed_offset). Built once per epoch by HALP; |h_i| >= 2^14 or a NaN makes
// the bound +inf, so every call takes the float form.
class fixed_offset_buffer {
 public:
  void assign(const float* h, std::size_t n) {
    h_.assign(h, h + n);
    h32_.resize(n);
    hi_.resize(n);
    lo_.resize(n);
    float m = 0.0f;
    bool ok = true;
    for (std::size_t i = 0; i < n; ++i) {
      const float a = h[i] < 0 ? -h[i] : h[i];
      if (!(a < 16384.0f)) {
        ok = false;
        h32_[i] = 0;
      } else {
        h32_[i] = fixed_offset_of(h[i]);
        m = a > m ? a : m;
      }
      hi_[i] = static_cast<std::int16_t>(h32_[i] >> 16);
      lo_[i] = static_cast<std::uint16_t>(static_cast<std::uint32_t>(h32_[i]) & 0xffffU);
    }
    bound_ = ok ? m : std::numeric_limits<float>::infinity();
  }
  fixed_offset view() const noexcept { return {h_.data(), h32_.data(), hi_.data(), lo_.data(), bound_}; }
  std::size_t size() const noexcept { return h_.size(); }

 private:
  aligned_vector<float> h_;
  aligned_vector<std::int32_t> h32_;
  aligned_vector<std::int16_t> hi_;
  aligned_vector<std::uint16_t> lo_;
  float bound_ = std::numeric_limits<float>::infinity();
};

}  // namespace kernels
}  // namespace lowp
#endif
