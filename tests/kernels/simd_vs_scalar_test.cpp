// Every entry of every kernel table this CPU can run must match the scalar
// reference (lowp::kernels::ref) bit for bit: same return value, same output
// bytes -- including the guard bytes around the output, so a kernel writing
// outside [0, n) fails too -- for every length 0..300, unaligned starts, every
// precision and rounding mode, random inputs and corner vectors.
//
// Float results are compared bit for bit except that two NaNs compare equal:
// which NaN payload survives when several NaNs meet depends on the operand
// order the compiler picked for each fma/add, in the reference as well.
#include <doctest/doctest.h>

#include <algorithm>
#include <cfenv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include "lowp/kernels/dispatch.hpp"
#include "lowp/kernels/packed.hpp"
#include "test_support.hpp"

namespace {

using namespace lowp::kernels;
using lowp::rng_key;
using std::size_t;
using i8 = std::int8_t;
using i16 = std::int16_t;
using u32 = std::uint32_t;
using u64 = std::uint64_t;

constexpr size_t kMaxLen = 300;
constexpr size_t kOffsets[] = {0, 1, 2, 3, 4, 5, 6, 7, 63};
constexpr size_t kNumOffsets = sizeof(kOffsets) / sizeof(kOffsets[0]);
constexpr rounding_mode kModes[] = {rounding_mode::nearest_even, rounding_mode::stochastic,
                                    rounding_mode::stochastic_shared, rounding_mode::stochastic_ars,
                                    rounding_mode::stochastic_fixed};

const char* mode_name(rounding_mode m) {
  return m == rounding_mode::nearest_even     ? "nearest_even"
         : m == rounding_mode::stochastic     ? "stochastic"
         : m == rounding_mode::stochastic_ars ? "stochastic_ars"
         : m == rounding_mode::stochastic_fixed ? "stochastic_fixed"
                                              : "stochastic_shared";
}

// The tables to test: every ISA this CPU supports (the others are reported and skipped).
std::vector<const table*> tables() {
  std::vector<const table*> out;
  for (isa i : all_isas) {
    if (!available(i)) {
      MESSAGE("ISA " << std::string(name(i)) << " not available on this CPU: skipped");
      continue;
    }
    const table& t = table_for(i);
    CHECK_MESSAGE(t.id == i,
                  "table_for(" << std::string(name(i)) << ") returned the " << std::string(name(t.id)) << " table");
    out.push_back(&t);
  }
  return out;
}

// Collects mismatches; reports the first few in full.
struct failures {
  size_t count = 0;
  bool quiet = false;  // for the checks that a broken kernel is caught
  void add(const std::string& what) {
    if (++count <= 5 && !quiet) FAIL_CHECK(what);
  }
};

// ---- buffers: 64-byte aligned, with guard zones on both sides -------------------------
constexpr size_t kGuard = 64;  // elements

template <class T>
class arena {
 public:
  arena() : mem_((kMaxLen + 64 + 2 * kGuard) * sizeof(T) + 64) {
    const auto p = reinterpret_cast<std::uintptr_t>(mem_.data());
    base_ = reinterpret_cast<T*>(mem_.data() + ((64 - p % 64) % 64));
  }
  size_t size() const { return kMaxLen + 64 + 2 * kGuard; }  // elements from base()
  T* base() { return base_; }
  const T* base() const { return base_; }
  T* at(size_t off) { return base_ + kGuard + off; }
  void copy_from(const arena& o) { std::memcpy(base_, o.base_, size() * sizeof(T)); }
  bool same_bytes(const arena& o) const { return std::memcmp(base_, o.base_, size() * sizeof(T)) == 0; }
  size_t first_diff(const arena& o) const {
    for (size_t i = 0; i < size(); ++i)
      if (std::memcmp(base_ + i, o.base_ + i, sizeof(T)) != 0) return i;
    return size();
  }

 private:
  std::vector<unsigned char> mem_;
  T* base_;
};

bool same_float(float a, float b) { return (std::isnan(a) && std::isnan(b)) || std::memcmp(&a, &b, 4) == 0; }

// Compare float arenas: bytes, with NaN == NaN.
bool same_floats(const arena<float>& a, const arena<float>& b) {
  for (size_t i = 0; i < a.size(); ++i)
    if (!same_float(a.base()[i], b.base()[i])) return false;
  return true;
}

// ---- inputs ---------------------------------------------------------------------------
using rng_t = std::mt19937_64;

template <class T>
T rand_int(rng_t& g) {
  return static_cast<T>(
      std::uniform_int_distribution<int>(std::numeric_limits<T>::min(), std::numeric_limits<T>::max())(g));
}

// Integer vectors: 0 random, 1 all min, 2 all max, 3 min/max alternating, 4 small,
// 5 zeros, 6 near the edges.
constexpr int kIntKinds = 7;
template <class T>
void fill_int(T* p, size_t n, int kind, rng_t& g) {
  constexpr int lo = std::numeric_limits<T>::min(), hi = std::numeric_limits<T>::max();
  for (size_t i = 0; i < n; ++i) {
    int v = 0;
    switch (kind) {
      case 0: v = rand_int<T>(g); break;
      case 1: v = lo; break;
      case 2: v = hi; break;
      case 3: v = (i & 1) ? lo : hi; break;
      case 4: v = std::uniform_int_distribution<int>(-3, 3)(g); break;
      case 5: v = 0; break;
      default: {
        const int d = std::uniform_int_distribution<int>(0, 3)(g);
        v = (g() & 1) ? lo + d : hi - d;
      }
    }
    p[i] = static_cast<T>(v);
  }
}

// Float vectors, scaled by `unit` (the value that maps to one integer step):
// 0 uniform in +-300 units, 1 exact ties k+1/2, 2 ties on the 2^-16 grid, 3 values near
// the int8/int16 saturation points, 4 NaN/inf/-0/denormals sprinkled in random data,
// 5 huge and tiny, 6 uniform in +-1.5 units.
constexpr int kFloatKinds = 7;
void fill_float(float* p, size_t n, int kind, float unit, rng_t& g) {
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  static const float edges[] = {127.0f,    127.4f,   127.5f,    127.6f,    128.0f,    -128.0f,  -128.4f,
                                -128.5f,   -128.6f,  -129.0f,   255.5f,    256.0f,    -256.5f,  32767.0f,
                                32767.5f,  32768.0f, -32768.0f, -32768.5f, -32769.0f, 65535.5f, 65536.0f,
                                -65536.5f, 0.5f,     -0.5f,     1.5f,      -1.5f,     2.5f,     -2.5f};
  static const float specials[] = {std::numeric_limits<float>::quiet_NaN(),
                                   -std::numeric_limits<float>::quiet_NaN(),
                                   std::numeric_limits<float>::infinity(),
                                   -std::numeric_limits<float>::infinity(),
                                   -0.0f,
                                   0.0f,
                                   std::numeric_limits<float>::denorm_min(),
                                   -std::numeric_limits<float>::min()};
  for (size_t i = 0; i < n; ++i) {
    float v = 0.0f;
    switch (kind) {
      case 0: v = 300.0f * u(g) * unit; break;
      case 1: v = (static_cast<float>(std::uniform_int_distribution<int>(-300, 300)(g)) + 0.5f) * unit; break;
      case 2:
        v = (static_cast<float>(std::uniform_int_distribution<int>(-(1 << 22), 1 << 22)(g)) + 0.5f) / 65536.0f * unit;
        break;
      case 3: v = edges[g() % (sizeof(edges) / sizeof(edges[0]))] * unit; break;
      case 4:
        v = (g() % 4 == 0) ? specials[g() % (sizeof(specials) / sizeof(specials[0]))] : 200.0f * u(g) * unit;
        break;
      case 5: v = (g() & 1 ? 1e30f : 1e-30f) * u(g); break;
      default: v = 1.5f * u(g) * unit;
    }
    p[i] = v;
  }
}

// Dither sources: random, and first draws just below 2^16 / 2^32 / 2^64 boundaries (the
// SIMD counters must carry exactly like the 64-bit scalar counter).
dither_source make_source(rng_t& g, int which) {
  const rng_key k{static_cast<u32>(g()), static_cast<u32>(g())};
  const u64 r = g();
  switch (which % 6) {
    case 0: return {k, r};
    case 1: return {k, 0};
    case 2: return {k, (r & ~u64(0xffff)) + 0xffff - (r % 40)};
    case 3: return {k, (r & ~u64(0xffffffff)) + 0xffffffffULL - (r % 150)};
    case 4: return {k, ~u64(0) - (r % 150)};
    default: return {k, (r << 16) | (0xfff0 + (r % 16))};
  }
}

std::string describe(const table& t, const char* kernel, size_t n, size_t off1, size_t off2) {
  std::ostringstream s;
  s.precision(9);
  s << name(t.id) << " " << kernel << " n=" << n << " offsets=" << off1 << "," << off2;
  return s.str();
}

// =========================================================================================
// dots

// Integer kinds (fill_int) or float kinds (fill_float, unit 1) by element type.
template <class T>
constexpr int kinds_of() {
  return std::is_integral<T>::value ? kIntKinds : kFloatKinds;
}
template <class T>
void fill_kind(T* p, size_t n, int kind, rng_t& g) {
  if constexpr (std::is_integral<T>::value)
    fill_int(p, n, kind % kIntKinds, g);
  else
    fill_float(p, n, kind % kFloatKinds, 1.0f, g);
}

// Dots of a T vector with a U vector (U = T for the plain dots).
template <class T, class R, class U = T>
void check_dot(const table& t, const char* kernel, R (*simd)(const T*, const U*, size_t),
               R (*ref)(const T*, const U*, size_t), failures& f, u64 seed) {
  rng_t g(seed);
  arena<T> x;
  arena<U> y;
  constexpr int kinds = kinds_of<T>();
  for (size_t n = 0; n <= kMaxLen; ++n) {
    for (size_t oi = 0; oi < kNumOffsets; ++oi) {
      const size_t ox = kOffsets[oi], oy = kOffsets[(oi * 4 + n) % kNumOffsets];
      for (int kx = 0; kx < kinds; ++kx) {
        if ((n + oi + size_t(kx)) % 3 != 0 && kx != 0) continue;  // random inputs at every offset
        const int ky = (kx + int(n)) % kinds_of<U>();
        fill_kind(x.at(ox), n, kx, g);
        // all-min . all-min etc. for the integer dots
        fill_kind(y.at(oy), n, std::is_integral<U>::value && (kx == 1 || kx == 2) ? kx : ky, g);
        const R a = simd(x.at(ox), y.at(oy), n), b = ref(x.at(ox), y.at(oy), n);
        bool same;
        if constexpr (std::is_integral<R>::value)
          same = a == b;
        else
          same = same_float(a, b);
        if (!same) {
          std::ostringstream s;
          s << describe(t, kernel, n, ox, oy) << " kinds=" << kx << "," << ky << ": simd " << a << " ref " << b;
          f.add(s.str());
        }
      }
    }
  }
}

// =========================================================================================
// sparse dots / sparse updates: distinct random indices into a model of length L

// nnz distinct indices in [0, L), random order; small indices (0, 1, 2: the integer gathers'
// fallback) show up often.
void make_indices(u32* idx, size_t nnz, size_t L, rng_t& g) {
  std::vector<u32> all(L);
  for (size_t i = 0; i < L; ++i) all[i] = static_cast<u32>(i);
  std::shuffle(all.begin(), all.end(), g);
  if (g() % 2 == 0) {  // move 0, 1, 2 to the front half
    for (u32 s = 0; s < 3 && s < L; ++s) {
      auto it = std::find(all.begin(), all.end(), s);
      std::iter_swap(it, all.begin() + (g() % std::max<size_t>(1, std::min(nnz, L))));
    }
  }
  std::copy(all.begin(), all.begin() + nnz, idx);
}

template <class T, class R>
void check_dot_sparse(const table& t, const char* kernel, R (*simd)(const T*, const u32*, const T*, size_t),
                      R (*ref)(const T*, const u32*, const T*, size_t), failures& f, u64 seed) {
  rng_t g(seed);
  constexpr int kinds = std::is_integral<T>::value ? kIntKinds : kFloatKinds;
  std::vector<T> w(4 * kMaxLen + 16);
  arena<T> val;
  arena<u32> idx;
  for (size_t nnz = 0; nnz <= kMaxLen; ++nnz) {
    for (int trial = 0; trial < 3; ++trial) {
      const size_t L = nnz + 1 + (g() % (3 * nnz + 8));
      const size_t ov = kOffsets[(nnz + size_t(trial) * 3) % kNumOffsets],
                   oi = kOffsets[(nnz * 5 + size_t(trial)) % kNumOffsets];
      const int kw = (int(nnz) + trial) % kinds, kv = (int(nnz) * 3 + trial) % kinds;
      if constexpr (std::is_integral<T>::value) {
        fill_int(w.data(), L, kw, g);
        fill_int(val.at(ov), nnz, kv, g);
      } else {
        fill_float(w.data(), L, kw, 1.0f, g);
        fill_float(val.at(ov), nnz, kv, 1.0f, g);
      }
      make_indices(idx.at(oi), nnz, L, g);
      const R a = simd(w.data(), idx.at(oi), val.at(ov), nnz), b = ref(w.data(), idx.at(oi), val.at(ov), nnz);
      bool same;
      if constexpr (std::is_integral<R>::value)
        same = a == b;
      else
        same = same_float(a, b);
      if (!same) {
        std::ostringstream s;
        s << describe(t, kernel, nnz, ov, oi) << " L=" << L << ": simd " << a << " ref " << b;
        f.add(s.str());
      }
    }
  }
}

// =========================================================================================
// quantize / dequantize

const float kInvScales[] = {1.0f,
                            127.0f,
                            32767.0f,
                            -1.0f,
                            0.5f,
                            1.0f / 3.0f,
                            1e-3f,
                            65536.0f,
                            1e30f,
                            1e-30f,
                            0.0f,
                            -0.0f,
                            0x1p-16f,
                            300.0f,
                            std::numeric_limits<float>::infinity(),
                            std::numeric_limits<float>::quiet_NaN()};

template <class Q>
using quantize_fn = size_t (*)(const float*, size_t, float, Q*, rounding_mode, dither_source);

template <class Q>
size_t ref_quantize(const float* x, size_t n, float inv, Q* q, rounding_mode m, dither_source s) {
  return ref::quantize(x, n, inv, q, m, s);
}

template <class Q>
void check_quantize(const table& t, const char* kernel, quantize_fn<Q> simd, quantize_fn<Q> ref, failures& f,
                    u64 seed) {
  rng_t g(seed);
  arena<float> x;
  arena<Q> q1, q2;
  constexpr size_t nInv = sizeof(kInvScales) / sizeof(kInvScales[0]);
  for (rounding_mode m : kModes) {
    for (size_t n = 0; n <= kMaxLen; ++n) {
      for (int trial = 0; trial < 6; ++trial) {
        const size_t ox = kOffsets[(n + size_t(trial)) % kNumOffsets],
                     oq = kOffsets[(n * 2 + size_t(trial) * 5) % kNumOffsets];
        const float inv = kInvScales[(n + size_t(trial) * 7) % nInv];
        const int kind = (int(n) + trial * 3) % kFloatKinds;
        const float unit = (inv != 0.0f && std::isfinite(inv)) ? 1.0f / inv : 1.0f;
        fill_float(x.at(ox), n, kind, unit, g);
        for (size_t i = 0; i < q1.size(); ++i) q1.base()[i] = static_cast<Q>(g());
        q2.copy_from(q1);
        const dither_source s = make_source(g, trial + int(n));
        const size_t a = simd(x.at(ox), n, inv, q1.at(oq), m, s), b = ref(x.at(ox), n, inv, q2.at(oq), m, s);
        if (a != b || !q1.same_bytes(q2)) {
          std::ostringstream o;
          o.precision(9);
          o << describe(t, kernel, n, ox, oq) << " " << mode_name(m) << " inv=" << inv << " kind=" << kind
            << " first=" << s.first << ": clipped " << a << " vs " << b;
          const size_t d = q1.first_diff(q2);
          if (d < q1.size())
            o << "; first differing element " << (long long)d - (long long)(kGuard + oq) << ": " << int(q1.base()[d])
              << " vs " << int(q2.base()[d]);
          f.add(o.str());
        }
      }
    }
  }
}

template <class Q>
void check_dequantize(const table& t, const char* kernel, void (*simd)(const Q*, size_t, float, float*), failures& f,
                      u64 seed) {
  rng_t g(seed);
  arena<Q> q;
  arena<float> y1, y2;
  const float scales[] = {1.0f,
                          0.5f,
                          1.0f / 127.0f,
                          -3.25f,
                          1e-40f,
                          1e38f,
                          0.0f,
                          std::numeric_limits<float>::infinity(),
                          std::numeric_limits<float>::quiet_NaN()};
  for (size_t n = 0; n <= kMaxLen; ++n) {
    for (size_t oi = 0; oi < kNumOffsets; ++oi) {
      const size_t oq = kOffsets[oi], oy = kOffsets[(oi * 2 + n) % kNumOffsets];
      fill_int(q.at(oq), n, int(n + oi) % kIntKinds, g);
      for (size_t i = 0; i < y1.size(); ++i) y1.base()[i] = static_cast<float>(g() % 1000) - 500.0f;
      y2.copy_from(y1);
      const float sc = scales[(n + oi) % (sizeof(scales) / sizeof(scales[0]))];
      simd(q.at(oq), n, sc, y1.at(oy));
      ref::dequantize(q.at(oq), n, sc, y2.at(oy));
      if (!y1.same_bytes(y2)) f.add(describe(t, kernel, n, oq, oy));
    }
  }
}

// =========================================================================================
// updates

// Includes the edges of the integer-data fast path: |a| * max|x| = 2^15 - 1 (in) and above.
const float kSteps[] = {0x1p-16f,
                        -0x1p-16f,
                        0x1p-7f,
                        0.3f,
                        1.0f,
                        -1.0f,
                        0.999f,
                        -0.99999994f,
                        255.99f,
                        256.0f,
                        -300.0f,
                        1e5f,
                        255.9921875f,
                        -255.9921875f,
                        256.00002f,
                        0.999969482421875f,
                        -0.99997f,
                        65536.5f,
                        3e38f,
                        1e-30f,
                        0x1p-100f,
                        0x1p-101f,
                        0.0f,
                        -0.0f,
                        0.5f,
                        2.0f,
                        -7.25f,
                        std::numeric_limits<float>::infinity(),
                        -std::numeric_limits<float>::infinity(),
                        std::numeric_limits<float>::quiet_NaN()};
constexpr size_t kNumSteps = sizeof(kSteps) / sizeof(kSteps[0]);

template <class W, class X>
using update_fn = size_t (*)(W*, const X*, size_t, float, rounding_mode, dither_source);
template <class W, class X>
using update_sparse_fn = size_t (*)(W*, const u32*, const X*, size_t, float, rounding_mode, dither_source);

template <class W, class X>
size_t ref_update(W* w, const X* x, size_t n, float a, rounding_mode m, dither_source s) {
  return ref::update(w, x, n, a, m, s);
}
template <class W, class X>
size_t ref_update_sparse(W* w, const u32* i, const X* x, size_t n, float a, rounding_mode m, dither_source s) {
  return ref::update_sparse(w, i, x, n, a, m, s);
}

template <class X>
void fill_data(X* p, size_t n, int kind, float a, rng_t& g) {
  if constexpr (std::is_integral<X>::value) {
    fill_int(p, n, kind % kIntKinds, g);
  } else {
    const float unit = (a != 0.0f && std::isfinite(a) && std::fabs(a) > 1e-20f) ? 1.0f / a : 1.0f;
    fill_float(p, n, kind % kFloatKinds, unit, g);
  }
}

// "; first differing element e: simd vs ref" for model arenas (e relative to the start of the
// updated range at offset ow; negative or >= n: a guard element), or "".
template <class W>
std::string first_model_diff(const arena<W>& w1, const arena<W>& w2, size_t ow) {
  const size_t d = w1.first_diff(w2);
  if (d == w1.size()) return "";
  std::ostringstream o;
  o << "; first differing element " << (long long)d - (long long)(kGuard + ow) << ": " << int(w1.base()[d]) << " vs "
    << int(w2.base()[d]);
  return o.str();
}

template <class W, class X>
void check_update(const table& t, const char* kernel, update_fn<W, X> simd, update_fn<W, X> ref, failures& f, u64 seed,
                  int trials = 8) {
  rng_t g(seed);
  arena<X> x;
  arena<W> w1, w2;
  for (rounding_mode m : kModes) {
    for (size_t n = 0; n <= kMaxLen; ++n) {
      for (int trial = 0; trial < trials; ++trial) {
        const size_t ox = kOffsets[(n + size_t(trial)) % kNumOffsets],
                     ow = kOffsets[(n * 3 + size_t(trial) * 2) % kNumOffsets];
        const float a = kSteps[(n * 5 + size_t(trial)) % kNumSteps];
        const int kx = (int(n) + trial) % kinds_of<X>(), kw = (int(n) * 7 + trial * 3) % kIntKinds;
        fill_data(x.at(ox), n, kx, a, g);
        fill_int(w1.base(), w1.size(), 0, g);  // guards: random
        fill_int(w1.at(ow), n, kw, g);
        w2.copy_from(w1);
        const dither_source s = make_source(g, trial * 5 + int(n));
        const size_t r1 = simd(w1.at(ow), x.at(ox), n, a, m, s), r2 = ref(w2.at(ow), x.at(ox), n, a, m, s);
        if (r1 != r2 || !w1.same_bytes(w2)) {
          std::ostringstream o;
          o.precision(9);
          o << describe(t, kernel, n, ox, ow) << " " << mode_name(m) << " a=" << a << " kinds=" << kx << "," << kw
            << " first=" << s.first << ": clipped " << r1 << " vs " << r2;
          f.add(o.str() + first_model_diff(w1, w2, ow));
        }
      }
    }
  }
}

template <class W, class X>
void check_update_sparse(const table& t, const char* kernel, update_sparse_fn<W, X> simd, update_sparse_fn<W, X> ref,
                         failures& f, u64 seed) {
  rng_t g(seed);
  arena<X> x;
  arena<u32> idx;
  std::vector<W> w1(4 * kMaxLen + 16), w2;
  for (rounding_mode m : kModes) {
    for (size_t nnz = 0; nnz <= kMaxLen; ++nnz) {
      for (int trial = 0; trial < 3; ++trial) {
        const size_t L = nnz + 1 + (g() % (3 * nnz + 8));
        const size_t ox = kOffsets[(nnz + size_t(trial)) % kNumOffsets],
                     oi = kOffsets[(nnz * 3 + size_t(trial)) % kNumOffsets];
        const float a = kSteps[(nnz * 3 + size_t(trial) * 11) % kNumSteps];
        const int kx = (int(nnz) + trial * 2) % kinds_of<X>(), kw = (int(nnz) * 5 + trial) % kIntKinds;
        fill_data(x.at(ox), nnz, kx, a, g);
        fill_int(w1.data(), w1.size(), kw, g);
        w2 = w1;
        make_indices(idx.at(oi), nnz, L, g);
        const dither_source s = make_source(g, trial + int(nnz));
        const size_t r1 = simd(w1.data(), idx.at(oi), x.at(ox), nnz, a, m, s);
        const size_t r2 = ref(w2.data(), idx.at(oi), x.at(ox), nnz, a, m, s);
        if (r1 != r2 || w1 != w2) {
          std::ostringstream o;
          o.precision(9);
          o << describe(t, kernel, nnz, ox, oi) << " " << mode_name(m) << " a=" << a << " kinds=" << kx << "," << kw
            << ": clipped " << r1 << " vs " << r2;
          f.add(o.str());
        }
      }
    }
  }
}

// =========================================================================================
// axpy

void check_axpy(const table& t, void (*simd)(float*, const float*, size_t, float), failures& f, u64 seed) {
  rng_t g(seed);
  arena<float> x, w1, w2;
  const float as[] = {
      0.5f, -1e-3f, 3.0f, 0.0f, 1e30f, std::numeric_limits<float>::infinity(), std::numeric_limits<float>::quiet_NaN(),
      -0.0f};
  for (size_t n = 0; n <= kMaxLen; ++n) {
    for (size_t oi = 0; oi < kNumOffsets; ++oi) {
      const size_t ox = kOffsets[oi], ow = kOffsets[(oi * 5 + n) % kNumOffsets];
      const float a = as[(n + oi) % (sizeof(as) / sizeof(as[0]))];
      fill_float(x.at(ox), n, int(n + oi) % kFloatKinds, 1.0f, g);
      fill_float(w1.base(), w1.size(), int(n * 3 + oi) % kFloatKinds, 1.0f, g);
      w2.copy_from(w1);
      simd(w1.at(ow), x.at(ox), n, a);
      ref::axpy(w2.at(ow), x.at(ox), n, a);
      if (!same_floats(w1, w2)) f.add(describe(t, "axpy_f32", n, ox, ow));
    }
  }
}

void check_axpy_sparse(const table& t, void (*simd)(float*, const u32*, const float*, size_t, float), failures& f,
                       u64 seed) {
  rng_t g(seed);
  arena<float> x;
  arena<u32> idx;
  std::vector<float> w1(4 * kMaxLen + 16), w2;
  for (size_t nnz = 0; nnz <= kMaxLen; ++nnz) {
    for (int trial = 0; trial < 3; ++trial) {
      const size_t L = nnz + 1 + (g() % (3 * nnz + 8));
      const size_t ox = kOffsets[(nnz + size_t(trial)) % kNumOffsets],
                   oi = kOffsets[(nnz * 7 + size_t(trial)) % kNumOffsets];
      const float a = trial == 0 ? 0.25f : (trial == 1 ? -3.0f : std::numeric_limits<float>::infinity());
      fill_float(x.at(ox), nnz, int(nnz + size_t(trial)) % kFloatKinds, 1.0f, g);
      fill_float(w1.data(), w1.size(), int(nnz) % kFloatKinds, 1.0f, g);
      w2 = w1;
      make_indices(idx.at(oi), nnz, L, g);
      simd(w1.data(), idx.at(oi), x.at(ox), nnz, a);
      ref::axpy_sparse(w2.data(), idx.at(oi), x.at(ox), nnz, a);
      bool same = true;
      for (size_t i = 0; i < w1.size(); ++i) same = same && same_float(w1[i], w2[i]);
      if (!same) f.add(describe(t, "axpy_sparse_f32", nnz, ox, oi));
    }
  }
}

// =========================================================================================
// HALP / SVRG inner loops on int8 data

// axpy_i8_f32: y = fma(a, float(x), y), x int8 of every kind, y with NaN/inf.
void check_axpy_i8(const table& t, failures& f, u64 seed) {
  rng_t g(seed);
  arena<i8> x;
  arena<float> y1, y2;
  const float as[] = {0.5f, -1e-3f, 3.0f, 0.0f, -0.0f, 1e30f, 0x1p-126f, std::numeric_limits<float>::infinity(),
                      std::numeric_limits<float>::quiet_NaN()};
  for (size_t n = 0; n <= kMaxLen; ++n) {
    for (size_t oi = 0; oi < kNumOffsets; ++oi) {
      const size_t ox = kOffsets[oi], oy = kOffsets[(oi * 5 + n) % kNumOffsets];
      const float a = as[(n + oi) % (sizeof(as) / sizeof(as[0]))];
      fill_int(x.at(ox), n, int(n + oi) % kIntKinds, g);
      fill_float(y1.base(), y1.size(), int(n * 3 + oi) % kFloatKinds, 1.0f, g);
      y2.copy_from(y1);
      t.axpy_i8_f32(y1.at(oy), x.at(ox), n, a);
      ref::axpy(y2.at(oy), x.at(ox), n, a);
      if (!same_floats(y1, y2)) f.add(describe(t, "axpy_i8_f32", n, ox, oy));
    }
  }
}

// b (the shrink factor) of the bias updates: zeros (the kernels skip the second fma),
// the usual small negatives, and the rest.
const float kShrinks[] = {-1e-3f,
                          -0x1p-10f,
                          1e-4f,
                          -0.5f,
                          0.25f,
                          -1.0f,
                          -0.99999994f,
                          2.0f,
                          1e-30f,
                          -3e-39f,
                          -0.0f,
                          300.0f,
                          std::numeric_limits<float>::infinity(),
                          -std::numeric_limits<float>::infinity(),
                          std::numeric_limits<float>::quiet_NaN()};
constexpr size_t kNumShrinks = sizeof(kShrinks) / sizeof(kShrinks[0]);

// h (model quanta): fill_float kinds 0-6 at unit 1, and 7: |h| < 1/2 with fine bits (the
// values whose negative side the reference rounds through v + 1, see simd_kernels.hpp),
// 8: the edges of the SIMD kernels' block check (|v| near 2^15) and of the clamps.
constexpr int kBiasKinds = 9;
void fill_bias(float* p, size_t n, int kind, rng_t& g) {
  static const float edges[] = {32766.5f,  32767.0f,  32767.25f, 32767.5f,  32767.99f,   32768.0f, 32768.5f,
                                -32767.0f, -32767.5f, -32768.0f, -32768.5f, -32769.0f,   65535.5f, 65536.0f,
                                65537.0f,  -65536.5f, 1e9f,      -1e9f,     0x1p31f,     -0x1p31f, 256.0f,
                                256.5f,    -256.5f,   -257.0f,   127.5f,    -128.5f,     16383.5f, -16384.5f,
                                0x1p24f,   -0x1p24f,  3e38f,     -3e38f,    0.5f - 0x1p-25f};
  if (kind < kFloatKinds) return fill_float(p, n, kind, 1.0f, g);
  std::uniform_real_distribution<float> u(-0.5f, 0.5f);
  for (size_t i = 0; i < n; ++i) {
    if (kind == 7)
      p[i] = std::ldexp(u(g), -static_cast<int>(g() % 24));
    else
      p[i] = (g() % 3 == 0) ? u(g) : edges[g() % (sizeof(edges) / sizeof(edges[0]))];
  }
}

template <class W>
using update_bias_fn = size_t (*)(W*, const i8*, const float*, size_t, float, float, rounding_mode, dither_source);
template <class W>
size_t ref_update_bias(W* w, const i8* x, const float* h, size_t n, float a, float b, rounding_mode m,
                       dither_source s) {
  return ref::update_bias(w, x, h, n, a, b, m, s);
}

template <class W>
void check_update_bias(const table& t, const char* kernel, update_bias_fn<W> simd, update_bias_fn<W> ref, failures& f,
                       u64 seed, int trials = 5) {
  rng_t g(seed);
  arena<i8> x;
  arena<float> h;
  arena<W> w1, w2;
  for (rounding_mode m : kModes) {
    for (size_t n = 0; n <= kMaxLen; ++n) {
      for (int trial = 0; trial < trials; ++trial) {
        const size_t ox = kOffsets[(n + size_t(trial)) % kNumOffsets],
                     oh = kOffsets[(n * 5 + size_t(trial) * 3) % kNumOffsets],
                     ow = kOffsets[(n * 3 + size_t(trial) * 2) % kNumOffsets];
        // a: the update steps; a third of the calls with a = 0 or b = 0 (h alone, or no shrink)
        const float a = trial % 5 == 4 ? 0.0f : kSteps[(n * 5 + size_t(trial)) % kNumSteps];
        const float b = trial % 3 == 0 ? 0.0f : kShrinks[(n * 3 + size_t(trial) * 7) % kNumShrinks];
        const int kx = (int(n) + trial) % kIntKinds, kh = (int(n) * 3 + trial * 5) % kBiasKinds,
                  kw = (int(n) * 7 + trial * 3) % kIntKinds;
        fill_int(x.at(ox), n, kx, g);
        fill_bias(h.at(oh), n, kh, g);
        fill_int(w1.base(), w1.size(), 0, g);  // guards: random
        fill_int(w1.at(ow), n, kw, g);
        w2.copy_from(w1);
        const dither_source s = make_source(g, trial * 5 + int(n));
        const size_t r1 = simd(w1.at(ow), x.at(ox), h.at(oh), n, a, b, m, s);
        const size_t r2 = ref(w2.at(ow), x.at(ox), h.at(oh), n, a, b, m, s);
        if (r1 != r2 || !w1.same_bytes(w2)) {
          std::ostringstream o;
          o.precision(9);
          o << describe(t, kernel, n, ox, ow) << " oh=" << oh << " " << mode_name(m) << " a=" << a << " b=" << b
            << " kinds x,h,w=" << kx << "," << kh << "," << kw << " first=" << s.first << ": clipped " << r1 << " vs "
            << r2;
          f.add(o.str() + first_model_diff(w1, w2, ow));
        }
      }
    }
  }
}

// A stochastic result depends on v only through t = rne(65536 (v - floor v)) and on the
// dither r through (t + r) >> 16, so a kernel whose v is one ulp off (an unfused product, the
// fmas in another order) disagrees with the reference for 1 dither in 65536 only. Here the
// dither of one element is chosen to be that one: r = 2^16 - 1 - t (t + 1 would carry) or
// 2^16 - t (t - 1 would not), with |v| large enough (int16 model: 2^7 .. 2^15) that one ulp
// of v moves t.
template <class W>
void check_update_bias_adversarial(const table& t, const char* kernel, update_bias_fn<W> simd, update_bias_fn<W> ref,
                                   failures& f, u64 seed, int cases = 60) {
  rng_t g(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  const float hmax = sizeof(W) == 1 ? 100.0f : 20000.0f;
  for (int c = 0; c < cases; ++c) {
    const size_t n = 64 + g() % 80, e = (c % 3 == 0) ? g() % 64 : g() % n;
    std::vector<i8> x(n);
    std::vector<float> h(n);
    std::vector<W> w1(n), w2;
    fill_int(x.data(), n, 0, g);
    fill_int(w1.data(), n, 0, g);
    for (size_t i = 0; i < n; ++i) h[i] = hmax * u(g);
    const float a = std::ldexp(u(g), -static_cast<int>(g() % 6)), b = c % 2 == 0 ? 0.0f : -std::ldexp(1.0f + u(g), -8);
    if (sizeof(W) == 1) {  // |v| mostly in [128, 256), where an ulp is 2^-16, and room for it in w
      h[e] = (h[e] > 0 ? 1.0f : -1.0f) * (170.0f + 40.0f * u(g));
      w1[e] = static_cast<W>(h[e] > 0 ? -100 : 100);
    }
    const float v = std::fma(b, static_cast<float>(w1[e]), std::fma(a, static_cast<float>(x[e]), h[e]));
    const float fr = v - std::floor(v);
    const long long tt = static_cast<long long>(std::nearbyint(static_cast<double>(fr) * 65536.0));
    const long long r = (c & 2) ? 65535 - tt : 65536 - tt;
    if (r < 0 || r > 65535) continue;
    const rng_key key{static_cast<u32>(g()), static_cast<u32>(g())};
    u64 ctr = g() >> 4;
    while (((lowp::counter_draw(key, ctr) >> (16 * (e & 1))) & 0xffffU) != u32(r)) ++ctr;
    const dither_source s{key, ctr - e / 2};
    const rounding_mode m = (e < 64 && c % 4 == 1) ? rounding_mode::stochastic_shared : rounding_mode::stochastic;
    w2 = w1;
    const size_t r1 = simd(w1.data(), x.data(), h.data(), n, a, b, m, s);
    const size_t r2 = ref(w2.data(), x.data(), h.data(), n, a, b, m, s);
    if (r1 != r2 || w1 != w2) {
      std::ostringstream o;
      o.precision(9);
      o << describe(t, kernel, n, 0, 0) << " adversarial dither for element " << e << " " << mode_name(m)
        << " a=" << a << " b=" << b << " v=" << v << " r=" << r;
      f.add(o.str());
    }
  }
}

// update_bias_fixed (b = 0, stochastic_fixed form): h mostly small (the fixed form applies),
// sometimes right at the edge |a| * 128 + bound = 32000 or beyond it, sometimes with huge or
// NaN offsets (bound +inf: the stochastic_ars fallback), every step of kSteps.
template <class W>
using update_bias_fixed_fn = size_t (*)(W*, const i8*, const fixed_offset&, size_t, float, dither_source);
template <class W>
void check_update_bias_fixed(const table& t, const char* kernel, update_bias_fixed_fn<W> simd, failures& f, u64 seed,
                             int trials = 5) {
  rng_t g(seed);
  arena<i8> x;
  arena<W> w1, w2;
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> h(kMaxLen + 64);
  for (size_t n = 0; n <= kMaxLen; ++n) {
    for (int trial = 0; trial < trials; ++trial) {
      const size_t ox = kOffsets[(n + size_t(trial)) % kNumOffsets], oh = kOffsets[(n * 5 + size_t(trial) * 3) % kNumOffsets],
                   ow = kOffsets[(n * 3 + size_t(trial) * 2) % kNumOffsets];
      const int kind = (int(n) + trial * 3) % 6;
      float a = kind == 5 ? 0.0f : kSteps[(n * 7 + size_t(trial)) % kNumSteps];
      if (kind < 3 && !(std::fabs(a) <= 200.0f)) a = std::ldexp(u(g), -static_cast<int>(g() % 20));
      const float edge = 32000.0f - std::fabs(a) * 128.0f;  // the largest bound the fixed form takes
      for (size_t i = 0; i < n; ++i) {
        switch (kind) {
          case 0: h[oh + i] = 40.0f * u(g); break;
          case 1: h[oh + i] = std::ldexp(u(g), -static_cast<int>(g() % 20)); break;
          case 2: h[oh + i] = (i % 7 == 3 ? 1.0f : 0.01f) * edge * u(g) * (trial % 2 ? 1.0f : 1.001f); break;
          case 3: fill_bias(&h[oh + i], 1, int(g() % kBiasKinds), g); break;
          default: h[oh + i] = 100.0f * u(g); break;
        }
      }
      if (kind == 2 && n > 0) h[oh + g() % n] = (g() % 2 ? 1.0f : -1.0f) * edge * (trial % 2 ? 1.0f : 1.00001f);
      fixed_offset_buffer hb;
      hb.assign(h.data() + oh, n);
      fill_int(x.at(ox), n, (int(n) + trial) % kIntKinds, g);
      fill_int(w1.base(), w1.size(), 0, g);
      fill_int(w1.at(ow), n, (int(n) * 7 + trial * 3) % kIntKinds, g);
      w2.copy_from(w1);
      const dither_source s = make_source(g, trial * 5 + int(n));
      const size_t r1 = simd(w1.at(ow), x.at(ox), hb.view(), n, a, s);
      const size_t r2 = ref::update_bias_fixed(w2.at(ow), x.at(ox), hb.view(), n, a, s);
      if (r1 != r2 || !w1.same_bytes(w2)) {
        std::ostringstream o;
        o.precision(9);
        o << describe(t, kernel, n, ox, ow) << " h kind " << kind << " a=" << a << " bound=" << hb.view().bound
          << " first=" << s.first << ": clipped " << r1 << " vs " << r2;
        f.add(o.str() + first_model_diff(w1, w2, ow));
      }
    }
  }
}

// update_bias_f32: w = w + fma(b, w, fma(a, x, h)), every float kind in each operand.
void check_update_bias_f32(const table& t, failures& f, u64 seed) {
  rng_t g(seed);
  arena<float> x, h, w1, w2;
  const float as[] = {0.5f, -1e-3f, 3.0f, 0.0f, -0.0f, 1e30f, std::numeric_limits<float>::infinity(),
                      std::numeric_limits<float>::quiet_NaN()};
  constexpr size_t nA = sizeof(as) / sizeof(as[0]);
  for (size_t n = 0; n <= kMaxLen; ++n) {
    for (size_t oi = 0; oi < kNumOffsets; ++oi) {
      const size_t ox = kOffsets[oi], oh = kOffsets[(oi * 3 + n) % kNumOffsets],
                   ow = kOffsets[(oi * 5 + n) % kNumOffsets];
      const float a = as[(n + oi) % nA], b = oi % 3 == 0 ? 0.0f : kShrinks[(n * 7 + oi) % kNumShrinks];
      fill_float(x.at(ox), n, int(n + oi) % kFloatKinds, 1.0f, g);
      fill_float(h.at(oh), n, int(n * 5 + oi * 3) % kFloatKinds, 1.0f, g);
      fill_float(w1.base(), w1.size(), int(n * 3 + oi) % kFloatKinds, 1.0f, g);
      w2.copy_from(w1);
      t.update_bias_f32(w1.at(ow), x.at(ox), h.at(oh), n, a, b);
      ref::update_bias(w2.at(ow), x.at(ox), h.at(oh), n, a, b);
      if (!same_floats(w1, w2)) f.add(describe(t, "update_bias_f32", n, ox, ow));
    }
  }
}

u64 seed_for(const char* what) {
  u64 h = lowp_test::seed() ^ 0x9e3779b97f4a7c15ULL;
  for (const char* p = what; *p; ++p) h = (h ^ static_cast<unsigned char>(*p)) * 0x100000001b3ULL;
  return h;
}

}  // namespace

// =========================================================================================

// Longer dots: every combination of the unrolled rounds and tails (the VNNI dot works in
// 512-byte rounds with 256/128/64-byte and masked tail steps).
template <class T, class R, class U = T>
void check_dot_lengths(const table& t, const char* kernel, R (*simd)(const T*, const U*, size_t),
                       R (*ref)(const T*, const U*, size_t), failures& f, u64 seed) {
  rng_t g(seed);
  for (size_t n = 301; n <= 4100; n += 1 + g() % 23) {
    std::vector<T> x(n + 8);
    std::vector<U> y(n + 8);
    const size_t ox = g() % 8, oy = g() % 8;
    const int kind = int(g() % 4);  // integers: random, all min, all max, alternating
    fill_kind(x.data() + ox, n, std::is_integral<T>::value ? kind : 0, g);
    fill_kind(y.data() + oy, n, std::is_integral<U>::value ? kind : 0, g);
    const R a = simd(x.data() + ox, y.data() + oy, n), b = ref(x.data() + ox, y.data() + oy, n);
    bool same;
    if constexpr (std::is_integral<R>::value)
      same = a == b;
    else
      same = same_float(a, b);
    if (!same) f.add(describe(t, kernel, n, ox, oy));
  }
}

TEST_CASE("simd dots match the reference") {
  for (const table* t : tables()) {
    failures f;
    check_dot<i8, std::int64_t>(*t, "dot_i8", t->dot_i8, &ref::dot, f, seed_for("dot_i8"));
    check_dot<i16, std::int64_t>(*t, "dot_i16", t->dot_i16, &ref::dot, f, seed_for("dot_i16"));
    check_dot<float, float>(*t, "dot_f32", t->dot_f32, &ref::dot, f, seed_for("dot_f32"));
    check_dot_lengths<i8, std::int64_t>(*t, "dot_i8", t->dot_i8, &ref::dot, f, seed_for("dot_i8 long"));
    check_dot_lengths<i16, std::int64_t>(*t, "dot_i16", t->dot_i16, &ref::dot, f, seed_for("dot_i16 long"));
    check_dot_lengths<float, float>(*t, "dot_f32", t->dot_f32, &ref::dot, f, seed_for("dot_f32 long"));
    CHECK_MESSAGE(f.count == 0, std::string(name(t->id)) << ": " << f.count << " mismatches");
  }
}

TEST_CASE("simd sparse dots match the reference") {
  for (const table* t : tables()) {
    failures f;
    check_dot_sparse<i8, std::int64_t>(*t, "dot_sparse_i8", t->dot_sparse_i8, &ref::dot_sparse, f,
                                       seed_for("dot_sparse_i8"));
    check_dot_sparse<i16, std::int64_t>(*t, "dot_sparse_i16", t->dot_sparse_i16, &ref::dot_sparse, f,
                                        seed_for("dot_sparse_i16"));
    check_dot_sparse<float, float>(*t, "dot_sparse_f32", t->dot_sparse_f32, &ref::dot_sparse, f,
                                   seed_for("dot_sparse_f32"));
    CHECK_MESSAGE(f.count == 0, std::string(name(t->id)) << ": " << f.count << " mismatches");
  }
}

TEST_CASE("simd quantize and dequantize match the reference") {
  for (const table* t : tables()) {
    failures f;
    check_quantize<i8>(*t, "quantize_i8", t->quantize_i8, &ref_quantize<i8>, f, seed_for("quantize_i8"));
    check_quantize<i16>(*t, "quantize_i16", t->quantize_i16, &ref_quantize<i16>, f, seed_for("quantize_i16"));
    check_dequantize<i8>(*t, "dequantize_i8", t->dequantize_i8, f, seed_for("dequantize_i8"));
    check_dequantize<i16>(*t, "dequantize_i16", t->dequantize_i16, f, seed_for("dequantize_i16"));
    CHECK_MESSAGE(f.count == 0, std::string(name(t->id)) << ": " << f.count << " mismatches");
  }
}

TEST_CASE("simd dense updates match the reference") {
  for (const table* t : tables()) {
    failures f;
    check_update<i8, i8>(*t, "update_i8_i8", t->update_i8_i8, &ref_update<i8, i8>, f, seed_for("u88"));
    check_update<i8, i16>(*t, "update_i8_i16", t->update_i8_i16, &ref_update<i8, i16>, f, seed_for("u816"));
    check_update<i8, float>(*t, "update_i8_f32", t->update_i8_f32, &ref_update<i8, float>, f, seed_for("u8f"));
    check_update<i16, i8>(*t, "update_i16_i8", t->update_i16_i8, &ref_update<i16, i8>, f, seed_for("u168"));
    check_update<i16, i16>(*t, "update_i16_i16", t->update_i16_i16, &ref_update<i16, i16>, f, seed_for("u1616"));
    check_update<i16, float>(*t, "update_i16_f32", t->update_i16_f32, &ref_update<i16, float>, f, seed_for("u16f"));
    CHECK_MESSAGE(f.count == 0, std::string(name(t->id)) << ": " << f.count << " mismatches");
  }
}

TEST_CASE("simd sparse updates match the reference") {
  for (const table* t : tables()) {
    failures f;
    check_update_sparse<i8, i8>(*t, "update_sparse_i8_i8", t->update_sparse_i8_i8, &ref_update_sparse<i8, i8>, f,
                                seed_for("s88"));
    check_update_sparse<i8, i16>(*t, "update_sparse_i8_i16", t->update_sparse_i8_i16, &ref_update_sparse<i8, i16>, f,
                                 seed_for("s816"));
    check_update_sparse<i8, float>(*t, "update_sparse_i8_f32", t->update_sparse_i8_f32, &ref_update_sparse<i8, float>,
                                   f, seed_for("s8f"));
    check_update_sparse<i16, i8>(*t, "update_sparse_i16_i8", t->update_sparse_i16_i8, &ref_update_sparse<i16, i8>, f,
                                 seed_for("s168"));
    check_update_sparse<i16, i16>(*t, "update_sparse_i16_i16", t->update_sparse_i16_i16, &ref_update_sparse<i16, i16>,
                                  f, seed_for("s1616"));
    check_update_sparse<i16, float>(*t, "update_sparse_i16_f32", t->update_sparse_i16_f32,
                                    &ref_update_sparse<i16, float>, f, seed_for("s16f"));
    CHECK_MESSAGE(f.count == 0, std::string(name(t->id)) << ": " << f.count << " mismatches");
  }
}

TEST_CASE("simd axpy matches the reference") {
  for (const table* t : tables()) {
    failures f;
    check_axpy(*t, t->axpy_f32, f, seed_for("axpy"));
    check_axpy_sparse(*t, t->axpy_sparse_f32, f, seed_for("axpy_sparse"));
    CHECK_MESSAGE(f.count == 0, std::string(name(t->id)) << ": " << f.count << " mismatches");
  }
}

TEST_CASE("simd mixed dots and axpy match the reference") {
  for (const table* t : tables()) {
    failures f;
    check_dot<i8, float, float>(*t, "dot_i8_f32", t->dot_i8_f32, &ref::dot, f, seed_for("dot_i8_f32"));
    check_dot<i16, std::int64_t, i8>(*t, "dot_i16_i8", t->dot_i16_i8, &ref::dot, f, seed_for("dot_i16_i8"));
    check_dot_lengths<i8, float, float>(*t, "dot_i8_f32", t->dot_i8_f32, &ref::dot, f, seed_for("dot_i8_f32 long"));
    check_dot_lengths<i16, std::int64_t, i8>(*t, "dot_i16_i8", t->dot_i16_i8, &ref::dot, f,
                                             seed_for("dot_i16_i8 long"));
    check_axpy_i8(*t, f, seed_for("axpy_i8_f32"));
    CHECK_MESSAGE(f.count == 0, std::string(name(t->id)) << ": " << f.count << " mismatches");
  }
}

TEST_CASE("simd bias updates match the reference") {
  for (const table* t : tables()) {
    failures f;
    check_update_bias<i8>(*t, "update_bias_i8_i8", t->update_bias_i8_i8, &ref_update_bias<i8>, f, seed_for("ub88"));
    check_update_bias<i16>(*t, "update_bias_i16_i8", t->update_bias_i16_i8, &ref_update_bias<i16>, f,
                           seed_for("ub168"));
    check_update_bias_adversarial<i8>(*t, "update_bias_i8_i8", t->update_bias_i8_i8, &ref_update_bias<i8>, f,
                                      seed_for("ub88 adv"));
    check_update_bias_adversarial<i16>(*t, "update_bias_i16_i8", t->update_bias_i16_i8, &ref_update_bias<i16>, f,
                                       seed_for("ub168 adv"));
    check_update_bias_f32(*t, f, seed_for("ubf"));
    check_update_bias_fixed<i8>(*t, "update_bias_fixed_i8_i8", t->update_bias_fixed_i8_i8, f, seed_for("ubx88"));
    check_update_bias_fixed<i16>(*t, "update_bias_fixed_i16_i8", t->update_bias_fixed_i16_i8, f, seed_for("ubx168"));
    CHECK_MESSAGE(f.count == 0, std::string(name(t->id)) << ": " << f.count << " mismatches");
  }
}

// Whole blocks at the edges of update_bias's block check: every lane of a block near
// |v| = 2^15 (int16 model: the int16-lane path must hand the block to the exact path),
// NaN in one lane only, and blocks that pass next to blocks that do not.
TEST_CASE("update_bias blocks at the edges of the SIMD range") {
  const float vs[] = {32766.0f,  32766.5f,  32766.75f, 32767.0f,  32767.25f, 32767.5f,
                      32767.99f, 32768.0f,  -32767.0f, -32767.5f, -32767.99f, -32768.0f,
                      -32768.5f, 65536.0f,  -65536.0f, 255.5f,    -256.5f,   0x1p31f,
                      -0x1p31f,  0x1p-20f,  -0x1p-20f, std::numeric_limits<float>::quiet_NaN(),
                      std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity()};
  rng_t g(seed_for("ub edges"));
  const size_t n = 64 * 4 + 17;
  std::vector<i8> x(n);
  std::vector<float> h(n);
  std::vector<i8> w8(n), w8b;
  std::vector<i16> w16(n), w16b;
  const auto ts = tables();
  for (rounding_mode m : kModes) {
    for (float v : vs) {
      for (int layout = 0; layout < 4; ++layout) {
        // 0: every lane v; 1: one lane per block v, the rest small; 2: block 1 all v; 3: lane 63 of block 2
        for (size_t i = 0; i < n; ++i) {
          const bool at = layout == 0 || (layout == 1 && i % 64 == 17) || (layout == 2 && i / 64 == 1) ||
                          (layout == 3 && i == 2 * 64 + 63);
          h[i] = at ? v : std::uniform_real_distribution<float>(-2.0f, 2.0f)(g);
        }
        fill_int(x.data(), n, 4, g);  // small data
        for (float a : {0.0f, 0x1p-12f}) {
          for (float b : {0.0f, -0x1p-20f}) {
            const dither_source s = make_source(g, layout + int(m));
            fill_int(w8.data(), n, layout % 2 == 0 ? 0 : 6, g);
            fill_int(w16.data(), n, layout % 2 == 0 ? 0 : 6, g);
            w8b = w8;
            w16b = w16;
            const size_t c8 = ref::update_bias(w8b.data(), x.data(), h.data(), n, a, b, m, s);
            const size_t c16 = ref::update_bias(w16b.data(), x.data(), h.data(), n, a, b, m, s);
            for (const table* t : ts) {
              INFO(std::string(name(t->id)) << " " << mode_name(m) << " v=" << v << " layout=" << layout << " a=" << a
                                            << " b=" << b);
              std::vector<i8> u8 = w8;
              std::vector<i16> u16 = w16;
              CHECK(t->update_bias_i8_i8(u8.data(), x.data(), h.data(), n, a, b, m, s) == c8);
              CHECK(u8 == w8b);
              CHECK(t->update_bias_i16_i8(u16.data(), x.data(), h.data(), n, a, b, m, s) == c16);
              CHECK(u16 == w16b);
            }
          }
        }
      }
    }
  }
}

// The reference rounds f = v - floor(v) in float; for -1/2 < v < 0, v + 1 is inexact and
// can land on a tie of t = rne(65536 f), which then rounds differently from 65536 v (see
// simd_kernels.hpp). For such v the one dither where that changes the result is rare
// (1 in 65536), so this test finds it and a dither source that hands it to a chosen
// element, then runs every stochastic kernel on that element.
TEST_CASE("stochastic rounding of -1/2 < v < 0 follows the reference's float steps") {
  // naive d = (rne(65536 v) + r) >> 16
  auto naive = [](float v, u32 r) {
    const auto R = static_cast<long long>(std::nearbyint(65536.0 * static_cast<double>(v)));
    return static_cast<int>((R + static_cast<long long>(r)) >> 16);
  };
  struct tricky {
    float v;
    u32 r;
  };
  std::vector<tricky> cases;
  for (int mm : {0, 1, 2, 7, 100, 1000, 8191, 16383, 16384, 30000, 32767}) {
    const float tie = -(static_cast<float>(mm) + 0.5f) / 65536.0f;
    for (float v : {std::nextafter(tie, 0.0f), std::nextafter(tie, -1.0f), tie + 0x1p-25f, tie - 0x1p-25f,
                    tie + 0x1p-26f, tie - 0x1p-26f}) {
      if (!(v < 0.0f && v > -0.5f)) continue;
      for (u32 r = 0; r < 65536; ++r)
        if (ref::round_float(v, rounding_mode::stochastic, r) != naive(v, r)) {
          cases.push_back({v, r});
          break;
        }
    }
  }
  REQUIRE(cases.size() >= 4);  // the test exercises what it is about
  rng_t g(seed_for("snap"));
  const size_t n = 64 + 37;
  const auto ts = tables();
  for (const tricky& c : cases) {
    for (size_t e : {size_t(5), size_t(40), size_t(64 + 3)}) {
      // a counter whose draw gives dither c.r to element e
      const rng_key key{static_cast<u32>(g()), static_cast<u32>(g())};
      u64 ctr = g() >> 8;
      while (((lowp::counter_draw(key, ctr) >> (16 * (e & 1))) & 0xffffU) != c.r) ++ctr;
      const dither_source s{key, ctr - e / 2};
      REQUIRE(ref::dither_at(rounding_mode::stochastic, s, e) == c.r);
      std::vector<i8> x8(n), w8(n);
      std::vector<i16> x16(n), w16(n);
      std::vector<float> xf(n), h(n);
      std::vector<u32> idx(n);
      fill_int(x8.data(), n, 4, g);
      fill_int(x16.data(), n, 4, g);
      fill_int(w8.data(), n, 0, g);
      fill_int(w16.data(), n, 0, g);
      fill_float(xf.data(), n, 6, 1.0f, g);
      fill_bias(h.data(), n, 7, g);
      for (size_t i = 0; i < n; ++i) idx[i] = static_cast<u32>(i);
      x8[e] = 1;
      x16[e] = 1;
      xf[e] = c.v;
      h[e] = c.v;
      w8[e] = 0;
      w16[e] = 0;
      for (rounding_mode m : {rounding_mode::stochastic, rounding_mode::stochastic_shared}) {
        if (m == rounding_mode::stochastic_shared && e >= 64) continue;  // dither of e & 63: another one
        for (const table* t : ts) {
          INFO(std::string(name(t->id)) << " " << mode_name(m) << " v=" << c.v << " r=" << c.r << " element " << e);
          auto same = [&](auto fn, auto rf, auto w) {
            auto w1 = w, w2 = w;
            const size_t r1 = fn(w1.data()), r2 = rf(w2.data());
            CHECK(r1 == r2);
            CHECK(w1 == w2);
          };
          same([&](i8* w) { return t->update_i8_i8(w, x8.data(), n, c.v, m, s); },
               [&](i8* w) { return ref::update(w, x8.data(), n, c.v, m, s); }, w8);
          same([&](i8* w) { return t->update_i8_i16(w, x16.data(), n, c.v, m, s); },
               [&](i8* w) { return ref::update(w, x16.data(), n, c.v, m, s); }, w8);
          same([&](i8* w) { return t->update_i8_f32(w, xf.data(), n, 1.0f, m, s); },
               [&](i8* w) { return ref::update(w, xf.data(), n, 1.0f, m, s); }, w8);
          same([&](i16* w) { return t->update_i16_i8(w, x8.data(), n, c.v, m, s); },
               [&](i16* w) { return ref::update(w, x8.data(), n, c.v, m, s); }, w16);
          same([&](i16* w) { return t->update_i16_i16(w, x16.data(), n, c.v, m, s); },
               [&](i16* w) { return ref::update(w, x16.data(), n, c.v, m, s); }, w16);
          same([&](i16* w) { return t->update_i16_f32(w, xf.data(), n, 1.0f, m, s); },
               [&](i16* w) { return ref::update(w, xf.data(), n, 1.0f, m, s); }, w16);
          same([&](i8* w) { return t->update_sparse_i8_i8(w, idx.data(), x8.data(), n, c.v, m, s); },
               [&](i8* w) { return ref::update_sparse(w, idx.data(), x8.data(), n, c.v, m, s); }, w8);
          same([&](i16* w) { return t->update_sparse_i16_i8(w, idx.data(), x8.data(), n, c.v, m, s); },
               [&](i16* w) { return ref::update_sparse(w, idx.data(), x8.data(), n, c.v, m, s); }, w16);
          for (float b : {0.0f, -0x1p-30f}) {  // w[e] = 0: b w[e] adds nothing there
            same([&](i8* w) { return t->update_bias_i8_i8(w, x8.data(), h.data(), n, 0.0f, b, m, s); },
                 [&](i8* w) { return ref::update_bias(w, x8.data(), h.data(), n, 0.0f, b, m, s); }, w8);
            same([&](i16* w) { return t->update_bias_i16_i8(w, x8.data(), h.data(), n, 0.0f, b, m, s); },
                 [&](i16* w) { return ref::update_bias(w, x8.data(), h.data(), n, 0.0f, b, m, s); }, w16);
          }
          std::vector<float> hz(n, 0.0f);
          same([&](i8* w) { return t->update_bias_i8_i8(w, x8.data(), hz.data(), n, c.v, 0.0f, m, s); },
               [&](i8* w) { return ref::update_bias(w, x8.data(), hz.data(), n, c.v, 0.0f, m, s); }, w8);
          std::vector<i8> q8(n), q8b(n);
          std::vector<i16> q16(n), q16b(n);
          CHECK(t->quantize_i8(xf.data(), n, 1.0f, q8.data(), m, s) ==
                ref::quantize(xf.data(), n, 1.0f, q8b.data(), m, s));
          CHECK(q8 == q8b);
          CHECK(t->quantize_i16(xf.data(), n, 1.0f, q16.data(), m, s) ==
                ref::quantize(xf.data(), n, 1.0f, q16b.data(), m, s));
          CHECK(q16 == q16b);
        }
      }
    }
  }
}

TEST_CASE("long integer dots flush their int32 lanes exactly") {
  // Longer than every ISA's int32 flush interval (VNNI: 2^19 bytes, AVX2: 2^20, AVX-512BW:
  // 2^21), with the extreme products that fill lanes fastest.
  const size_t n8 = 9000000, n16 = 3000000;
  rng_t g(seed_for("long"));
  std::vector<i8> x8(n8), y8(n8);
  std::vector<i16> x16(n16), y16(n16);
  struct pattern {
    const char* name;
    int kx, ky;  // fill_int kinds
  };
  const pattern patterns[] = {{"all min . all min", 1, 1},
                              {"all max . all max", 2, 2},
                              {"all min . all max", 1, 2},
                              {"alternating", 3, 3},
                              {"random", 0, 0}};
  const auto ts = tables();
  for (const pattern& p : patterns) {
    fill_int(x8.data(), n8, p.kx, g);
    fill_int(y8.data(), n8, p.ky, g);
    fill_int(x16.data(), n16, p.kx, g);
    fill_int(y16.data(), n16, p.ky, g);
    // also the edges of the VNNI kernel's int32-only reduction (n < 2^17) and single chunk (2^19)
    for (size_t n : {n8, n8 - 77, size_t(131071), size_t(131072), size_t(500000), size_t(524288), size_t(524289)}) {
      const std::int64_t want = ref::dot(x8.data(), y8.data(), n);
      if (p.kx == 1 && p.ky == 1) REQUIRE(want == std::int64_t(n) * 16384);
      for (const table* t : ts)
        CHECK_MESSAGE(t->dot_i8(x8.data(), y8.data(), n) == want,
                      (std::string(name(t->id)) + " dot_i8 " + p.name + " n=" + std::to_string(n)));
    }
    for (size_t n : {n16, n16 - 13}) {
      const std::int64_t want = ref::dot(x16.data(), y16.data(), n);
      if (p.kx == 1 && p.ky == 1) REQUIRE(want == std::int64_t(n) * 1073741824);
      for (const table* t : ts)
        CHECK_MESSAGE(t->dot_i16(x16.data(), y16.data(), n) == want,
                      (std::string(name(t->id)) + " dot_i16 " + p.name + " n=" + std::to_string(n)));
      // int16 . int8 (all min . all min: 2^22 a product, the largest)
      const std::int64_t want_mixed = ref::dot(x16.data(), y8.data(), n);
      if (p.kx == 1 && p.ky == 1) REQUIRE(want_mixed == std::int64_t(n) * 4194304);
      for (const table* t : ts)
        CHECK_MESSAGE(t->dot_i16_i8(x16.data(), y8.data(), n) == want_mixed,
                      (std::string(name(t->id)) + " dot_i16_i8 " + p.name + " n=" + std::to_string(n)));
    }
  }
}

// The gathers take 32-bit signed indices; blocks with an index >= 2^31 (or the integer
// gathers' small indices) go through a scalar fallback. Reaching such indices needs a model
// pointer 2^31+ elements below a real buffer: never dereferenced outside the buffer.
TEST_CASE("sparse kernels with indices beyond 2^31") {
  const size_t L = 512;
  std::vector<float> wf(L), wf2;
  std::vector<i8> w8(L), w82;
  std::vector<i16> w16(L);
  std::vector<float> vf(L);
  std::vector<i8> v8(L);
  std::vector<i16> v16(L);
  std::vector<u32> idx(L);
  rng_t g(seed_for("bigidx"));
  const std::uintptr_t lowest =
      std::min({reinterpret_cast<std::uintptr_t>(wf.data()), reinterpret_cast<std::uintptr_t>(w8.data()),
                reinterpret_cast<std::uintptr_t>(w16.data())});
  if (lowest < (std::uintptr_t(1) << 35)) {
    MESSAGE("heap too low in the address space for this test: skipped");
    return;
  }
  const auto ts = tables();
  for (u64 base : {u64(0x80000000) - 40, u64(0x100000000) - L, u64(0x7fffff00), u64(0)}) {
    for (size_t nnz : {size_t(0), size_t(5), size_t(64), size_t(100), size_t(L)}) {
      fill_float(wf.data(), L, 0, 1.0f, g);
      fill_int(w8.data(), L, 0, g);
      fill_int(w16.data(), L, 0, g);
      fill_float(vf.data(), L, 0, 1.0f, g);
      fill_int(v8.data(), L, 0, g);
      fill_int(v16.data(), L, 0, g);
      make_indices(idx.data(), nnz, L, g);
      for (size_t k = 0; k < nnz; ++k) idx[k] = static_cast<u32>(idx[k] + base);
      const float* pf = wf.data() - base;  // pf[idx[k]] is inside wf
      const i8* p8 = w8.data() - base;
      const i16* p16 = w16.data() - base;
      for (const table* t : ts) {
        INFO(std::string(name(t->id)) << " base=" << base << " nnz=" << nnz);
        CHECK(same_float(t->dot_sparse_f32(pf, idx.data(), vf.data(), nnz),
                         ref::dot_sparse(pf, idx.data(), vf.data(), nnz)));
        CHECK(t->dot_sparse_i8(p8, idx.data(), v8.data(), nnz) == ref::dot_sparse(p8, idx.data(), v8.data(), nnz));
        CHECK(t->dot_sparse_i16(p16, idx.data(), v16.data(), nnz) == ref::dot_sparse(p16, idx.data(), v16.data(), nnz));
        wf2 = wf;
        t->axpy_sparse_f32(wf2.data() - base, idx.data(), vf.data(), nnz, 0.75f);
        std::vector<float> wf3 = wf;
        ref::axpy_sparse(wf3.data() - base, idx.data(), vf.data(), nnz, 0.75f);
        CHECK(std::memcmp(wf2.data(), wf3.data(), L * sizeof(float)) == 0);
        w82 = w8;
        std::vector<i8> w83 = w8;
        const dither_source s{{1, 2}, g()};
        CHECK(t->update_sparse_i8_i8(w82.data() - base, idx.data(), v8.data(), nnz, 0x1p-9f, rounding_mode::stochastic,
                                     s) ==
              ref::update_sparse(w83.data() - base, idx.data(), v8.data(), nnz, 0x1p-9f, rounding_mode::stochastic, s));
        CHECK(w82 == w83);
      }
    }
  }
}

// The comparisons above must catch a wrong kernel: feed deliberately broken ones through
// the same checks.
namespace {
std::int64_t bad_dot_i8(const i8* x, const i8* y, size_t n) { return ref::dot(x, y, n) + (n == 77 ? 1 : 0); }
float bad_dot_f32(const float* x, const float* y, size_t n) {
  const float r = ref::dot(x, y, n);
  return n == 150 ? std::nextafter(r, 1e30f) : r;
}
size_t bad_update_bit(i8* w, const i8* x, size_t n, float a, rounding_mode m, dither_source s) {
  const size_t c = ref::update(w, x, n, a, m, s);
  if (n > 200) w[n / 2] = static_cast<i8>(w[n / 2] ^ 1);  // one flipped bit
  return c;
}
size_t bad_update_overrun(i8* w, const i8* x, size_t n, float a, rounding_mode m, dither_source s) {
  const size_t c = ref::update(w, x, n, a, m, s);
  if (n == 64) w[n] = static_cast<i8>(w[n] ^ 0x10);  // writes one element past the end
  return c;
}
size_t bad_update_count(i8* w, const i8* x, size_t n, float a, rounding_mode m, dither_source s) {
  const size_t c = ref::update(w, x, n, a, m, s);
  return c + (n == 255 && m == rounding_mode::stochastic_shared ? 1 : 0);
}
size_t bad_update_dither(i8* w, const i8* x, size_t n, float a, rounding_mode m, dither_source s) {
  if (m == rounding_mode::stochastic) s.first += 1;  // the wrong draws
  return ref::update(w, x, n, a, m, s);
}
// v = b w + (a x + h) rounded after each operation instead of the two fmas
size_t bad_update_bias_unfused(i8* w, const i8* x, const float* h, size_t n, float a, float b, rounding_mode m,
                               dither_source s) {
  size_t c = 0;
  for (size_t i = 0; i < n; ++i) {
    const float ax = a * static_cast<float>(x[i]);
    const float t = ax + h[i];
    const float bw = b * static_cast<float>(w[i]);
    c += ref::add_rounded(w[i], bw + t, m, ref::dither_at(m, s, i)) ? 1 : 0;
  }
  return c;
}
size_t bad_quantize(const float* x, size_t n, float inv, i16* q, rounding_mode m, dither_source s) {
  const size_t c = ref::quantize(x, n, inv, q, m, s);
  if (n == 299 && m == rounding_mode::nearest_even) q[298] = static_cast<i16>(q[298] + 1);
  return c;
}
}  // namespace

TEST_CASE("a deliberately wrong kernel is caught") {
  const table& t = table_for(isa::scalar);
  failures f;
  f.quiet = true;
  check_dot<i8, std::int64_t>(t, "bad_dot_i8", &bad_dot_i8, &ref::dot, f, 1);
  CHECK(f.count > 0);
  f.count = 0;
  check_dot<float, float>(t, "bad_dot_f32", &bad_dot_f32, &ref::dot, f, 1);
  CHECK(f.count > 0);
  for (update_fn<i8, i8> bad : {&bad_update_bit, &bad_update_overrun, &bad_update_count, &bad_update_dither}) {
    f.count = 0;
    check_update<i8, i8>(t, "bad_update", bad, &ref_update<i8, i8>, f, 1, 2);
    CHECK(f.count > 0);
  }
  f.count = 0;
  check_quantize<i16>(t, "bad_quantize", &bad_quantize, &ref_quantize<i16>, f, 1);
  CHECK(f.count > 0);
  f.count = 0;
  check_update_bias_adversarial<i8>(t, "bad_update_bias", &bad_update_bias_unfused, &ref_update_bias<i8>, f, 1, 200);
  MESSAGE("unfused update_bias caught in " << f.count << " of 200 adversarial cases");
  CHECK(f.count > 0);
  // and the reference against itself passes the same checks
  f.count = 0;
  check_update<i8, i8>(t, "ref", &ref_update<i8, i8>, &ref_update<i8, i8>, f, 1, 2);
  check_dot<float, float>(t, "ref", &ref::dot, &ref::dot, f, 1);
  CHECK(f.count == 0);
  // a single flipped bit anywhere in an output buffer is a mismatch
  arena<i16> a, b;
  for (size_t i = 0; i < a.size(); ++i) a.base()[i] = static_cast<i16>(i * 7);
  b.copy_from(a);
  CHECK(a.same_bytes(b));
  b.base()[a.size() - 1] = static_cast<i16>(b.base()[a.size() - 1] ^ 0x100);
  CHECK_FALSE(a.same_bytes(b));
  CHECK_FALSE(same_float(1.0f, std::nextafter(1.0f, 2.0f)));
  CHECK_FALSE(same_float(0.0f, -0.0f));
}

// Inputs of more than 512 KiB take the prefetching loops, and stochastic calls over this
// many elements cross several 2^16-draw segments of the dither counter.
TEST_CASE("large dense inputs match the reference") {
  const size_t n = (size_t(1) << 19) + 123;
  rng_t g(seed_for("large"));
  std::vector<i8> x8(n), w8(n), w8b;
  std::vector<i16> x16(n), w16(n), w16b;
  std::vector<float> xf(n), yf(n), yf2(n);
  fill_int(x8.data(), n, 0, g);
  fill_int(x16.data(), n, 0, g);
  fill_float(xf.data(), n, 4, 1.0f / 100.0f, g);  // with NaN / inf
  std::vector<float> hb(n);  // update_bias offsets: mostly small, a few NaN / inf / huge
  fill_bias(hb.data(), n, 6, g);
  for (size_t i = 0; i < n; i += 4099) hb[i] = i % 3 == 0 ? std::numeric_limits<float>::quiet_NaN() : 1e6f;
  const auto ts = tables();
  for (rounding_mode m : kModes) {
    const dither_source s{{static_cast<u32>(g()), static_cast<u32>(g())}, (u64(g()) << 16) | 0xfff0};
    for (const table* t : ts) {
      INFO(std::string(name(t->id)) << " " << mode_name(m));
      auto upd = [&](auto* w, auto& wb, auto fn, const auto* x, float a) {
        using W = std::remove_pointer_t<decltype(w)>;
        fill_int(w, n, 0, g);
        wb.assign(w, w + n);
        const size_t r1 = fn(w, x, n, a, m, s);
        const size_t r2 = ref::update(wb.data(), x, n, a, m, s);
        CHECK(r1 == r2);
        CHECK(std::memcmp(w, wb.data(), n * sizeof(W)) == 0);
      };
      upd(w8.data(), w8b, t->update_i8_i8, x8.data(), 0x1p-9f);
      upd(w8.data(), w8b, t->update_i8_i8, x8.data(), 3.7f);
      upd(w8.data(), w8b, t->update_i8_i16, x16.data(), 0x1p-12f);
      upd(w8.data(), w8b, t->update_i8_f32, xf.data(), 50.0f);
      upd(w16.data(), w16b, t->update_i16_i8, x8.data(), 0.75f);
      upd(w16.data(), w16b, t->update_i16_i16, x16.data(), 0x1p-16f);
      upd(w16.data(), w16b, t->update_i16_i16, x16.data(), 1.5f);
      upd(w16.data(), w16b, t->update_i16_f32, xf.data(), 3000.0f);
      std::vector<i8> q8(n), q8b(n);
      std::vector<i16> q16(n), q16b(n);
      CHECK(t->quantize_i8(xf.data(), n, 127.0f, q8.data(), m, s) ==
            ref::quantize(xf.data(), n, 127.0f, q8b.data(), m, s));
      CHECK(q8 == q8b);
      CHECK(t->quantize_i16(xf.data(), n, 30000.0f, q16.data(), m, s) ==
            ref::quantize(xf.data(), n, 30000.0f, q16b.data(), m, s));
      CHECK(q16 == q16b);
    }
  }
  // update_bias: the (slow, libm fma) reference once per case, then every table
  for (rounding_mode m : kModes) {
    const dither_source s{{static_cast<u32>(g()), static_cast<u32>(g())}, (u64(g()) << 16) | 0xfff0};
    auto upd_bias = [&](auto& w, auto fn_of, float a, float b) {
      using W = typename std::remove_reference_t<decltype(w)>::value_type;
      fill_int(w.data(), n, 0, g);
      std::vector<W> want = w;
      const size_t c = ref::update_bias(want.data(), x8.data(), hb.data(), n, a, b, m, s);
      for (const table* t : ts) {
        INFO(std::string(name(t->id)) << " " << mode_name(m) << " update_bias a=" << a << " b=" << b);
        std::vector<W> got = w;
        CHECK(fn_of(*t)(got.data(), x8.data(), hb.data(), n, a, b, m, s) == c);
        CHECK(got == want);
      }
    };
    auto u8 = [](const table& t) { return t.update_bias_i8_i8; };
    auto u16 = [](const table& t) { return t.update_bias_i16_i8; };
    upd_bias(w8, u8, m == rounding_mode::stochastic ? 0.0f : -0.37f, m == rounding_mode::stochastic ? 0.0f : -1e-3f);
    upd_bias(w16, u16, 0.75f, -0x1p-12f);
  }
  for (const table* t : ts) {
    INFO(std::string(name(t->id)));
    t->dequantize_i8(x8.data(), n, 0.01f, yf.data());
    ref::dequantize(x8.data(), n, 0.01f, yf2.data());
    CHECK(std::memcmp(yf.data(), yf2.data(), n * sizeof(float)) == 0);
    t->dequantize_i16(x16.data(), n, 1e-4f, yf.data());
    ref::dequantize(x16.data(), n, 1e-4f, yf2.data());
    CHECK(std::memcmp(yf.data(), yf2.data(), n * sizeof(float)) == 0);
    CHECK(same_float(t->dot_f32(xf.data(), yf.data(), n), ref::dot(xf.data(), yf.data(), n)));
    std::vector<float> w1(yf), w2(yf);
    t->axpy_f32(w1.data(), yf2.data(), n, 0.5f);
    ref::axpy(w2.data(), yf2.data(), n, 0.5f);
    CHECK(std::memcmp(w1.data(), w2.data(), n * sizeof(float)) == 0);
    CHECK(same_float(t->dot_i8_f32(x8.data(), yf.data(), n), ref::dot(x8.data(), yf.data(), n)));
    CHECK(t->dot_i16_i8(x16.data(), x8.data(), n) == ref::dot(x16.data(), x8.data(), n));
    t->axpy_i8_f32(w1.data(), x8.data(), n, -0.25f);
    ref::axpy(w2.data(), x8.data(), n, -0.25f);
    CHECK(std::memcmp(w1.data(), w2.data(), n * sizeof(float)) == 0);
    t->update_bias_f32(w1.data(), yf2.data(), hb.data(), n, 0.5f, -1e-3f);
    ref::update_bias(w2.data(), yf2.data(), hb.data(), n, 0.5f, -1e-3f);
    bool same = true;
    for (size_t i = 0; i < n; ++i) same = same && same_float(w1[i], w2[i]);
    CHECK(same);
  }
}

// The reference rounds explicitly, so it does not care about the MXCSR rounding mode (its
// products do, and so do the SIMD products, identically). The AVX-512 tables convert with
// embedded round-to-nearest-even and match it under any mode; AVX2's cvtps2dq follows the
// MXCSR, so the AVX2 table is only specified under the default mode.
TEST_CASE("AVX-512 tables match the reference under any MXCSR rounding mode") {
  const int saved = std::fegetround();
  for (int mode : {FE_UPWARD, FE_DOWNWARD, FE_TOWARDZERO}) {
    REQUIRE(std::fesetround(mode) == 0);
    for (const table* t : tables()) {
      if (t->id != isa::avx512bw && t->id != isa::avx512vnni) continue;
      failures f;
      check_quantize<i8>(*t, "quantize_i8", t->quantize_i8, &ref_quantize<i8>, f, seed_for("mx q8"));
      check_update<i8, i8>(*t, "update_i8_i8", t->update_i8_i8, &ref_update<i8, i8>, f, seed_for("mx u88"), 2);
      check_update<i16, i16>(*t, "update_i16_i16", t->update_i16_i16, &ref_update<i16, i16>, f, seed_for("mx u1616"),
                             2);
      check_update<i8, float>(*t, "update_i8_f32", t->update_i8_f32, &ref_update<i8, float>, f, seed_for("mx u8f"), 2);
      check_dot<float, float>(*t, "dot_f32", t->dot_f32, &ref::dot, f, seed_for("mx dot"));
      check_dot<i8, float, float>(*t, "dot_i8_f32", t->dot_i8_f32, &ref::dot, f, seed_for("mx dot_i8_f32"));
      check_update_bias<i8>(*t, "update_bias_i8_i8", t->update_bias_i8_i8, &ref_update_bias<i8>, f,
                            seed_for("mx ub88"), 2);
      check_update_bias<i16>(*t, "update_bias_i16_i8", t->update_bias_i16_i8, &ref_update_bias<i16>, f,
                             seed_for("mx ub168"), 2);
      CHECK_MESSAGE(f.count == 0, std::string(name(t->id))
                                      << " rounding mode " << mode << ": " << f.count << " mismatches");
    }
  }
  std::fesetround(saved);
}
