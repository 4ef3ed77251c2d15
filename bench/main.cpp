// lowp-bench: throughput of the lowp::kernels entries, measured against the
// read-bandwidth roofline and against our own float baselines, all in one run.
// A benchmark, not a test: it validates each kernel against the scalar
// reference (outside the timed region) and aborts on a mismatch, but it makes
// no pass/fail decision of its own; the summary lines only compare the figures
// with the project's goals. See bench/README.md.
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <new>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "lowp/kernels/dispatch.hpp"
#include "lowp/kernels/packed.hpp"

#ifndef LOWP_BENCH_VERSION
#define LOWP_BENCH_VERSION "dev"
#endif

namespace lowp_bench {

// ---- the ISA copies of bench/loops.cpp -------------------------------------
#define LOWP_BENCH_DECLARE_LOOPS(ns)                                          \
  namespace ns {                                                              \
  std::uint64_t read_xor(const unsigned char* p, std::size_t bytes) noexcept; \
  void scale_f32(const float* x, std::size_t n, float s, float* y) noexcept;  \
  }
LOWP_BENCH_DECLARE_LOOPS(loops_scalar)
LOWP_BENCH_DECLARE_LOOPS(loops_avx2)
LOWP_BENCH_DECLARE_LOOPS(loops_avx512)
#undef LOWP_BENCH_DECLARE_LOOPS

struct loop_set {
  const char* name;   // which copy
  const char* flags;  // the -m flags it was compiled with (those of the matching src/ kernel TU)
  std::uint64_t (*read_xor)(const unsigned char*, std::size_t) noexcept;
  void (*scale_f32)(const float*, std::size_t, float, float*) noexcept;
};
constexpr loop_set loops_for_scalar{"scalar", "(x86-64 baseline, as src/kernels_scalar.cpp)", loops_scalar::read_xor,
                                    loops_scalar::scale_f32};
constexpr loop_set loops_for_avx2{"avx2", "-mavx2 -mfma -mbmi2 (as src/kernels_avx2.cpp)", loops_avx2::read_xor,
                                  loops_avx2::scale_f32};
constexpr loop_set loops_for_avx512{
    "avx512", "-mavx2 -mfma -mbmi2 -mavx512f -mavx512bw -mavx512vl -mavx512dq (as src/kernels_avx512bw.cpp)",
    loops_avx512::read_xor, loops_avx512::scale_f32};

namespace lk = lowp::kernels;
using lk::rounding_mode;
using clock_type = std::chrono::steady_clock;

// ---- failure paths ---------------------------------------------------------

// The CSV temporary (removed on every failure path, renamed on success).
char g_csv_tmp[4096] = {};

void remove_csv_tmp() noexcept {
  if (g_csv_tmp[0] != '\0') ::unlink(g_csv_tmp);
}

extern "C" void on_signal(int sig) {
  remove_csv_tmp();
  _exit(128 + sig);
}

bool g_progress_open = false;  // a progress line on stderr awaits its newline

[[noreturn]] __attribute__((format(printf, 2, 3))) void die(int code, const char* fmt, ...) {
  std::fflush(stdout);
  std::fprintf(stderr, "%slowp-bench: ", g_progress_open ? "\n" : "");
  va_list ap;
  va_start(ap, fmt);
  std::vfprintf(stderr, fmt, ap);
  va_end(ap);
  std::fprintf(stderr, "\n");
  if (code == 2) std::fprintf(stderr, "Try 'lowp-bench --help'.\n");
  remove_csv_tmp();
  std::exit(code);
}

// ---- buffers -----------------------------------------------------------------

template <class T>
class buffer {
 public:
  explicit buffer(std::size_t n) : n_(n) {
    const std::size_t bytes = (std::max<std::size_t>(n * sizeof(T), 1) + 63) / 64 * 64;
    p_ = static_cast<T*>(std::aligned_alloc(64, bytes));
    if (p_ == nullptr) die(1, "out of memory allocating %zu bytes", bytes);
  }
  ~buffer() { std::free(p_); }
  buffer(const buffer&) = delete;
  buffer& operator=(const buffer&) = delete;
  T* data() noexcept { return p_; }
  const T* data() const noexcept { return p_; }
  std::size_t size() const noexcept { return n_; }
  T& operator[](std::size_t i) noexcept { return p_[i]; }
  const T& operator[](std::size_t i) const noexcept { return p_[i]; }

 private:
  T* p_ = nullptr;
  std::size_t n_ = 0;
};

// Deterministic fills (these also touch every page before timing).
struct bits_stream {
  std::uint64_t c;
  std::uint64_t next() noexcept { return lowp::detail::splitmix64(c++); }
};

void fill_random_bytes(void* p, std::size_t bytes, std::uint64_t seed) {
  bits_stream g{seed};
  auto* b = static_cast<unsigned char*>(p);
  std::size_t i = 0;
  for (; i + 8 <= bytes; i += 8) {
    const std::uint64_t v = g.next();
    std::memcpy(b + i, &v, 8);
  }
  for (; i < bytes; ++i) b[i] = static_cast<unsigned char>(g.next());
}
// int8 model values in [-64, 63] (room before saturation).
void fill_model(std::int8_t* p, std::size_t n, std::uint64_t seed) {
  fill_random_bytes(p, n, seed);
  for (std::size_t i = 0; i < n; ++i) p[i] = static_cast<std::int8_t>((p[i] & 127) - 64);
}
// int16 model values in [-16384, 16383].
void fill_model(std::int16_t* p, std::size_t n, std::uint64_t seed) {
  fill_random_bytes(p, n * 2, seed);
  for (std::size_t i = 0; i < n; ++i) p[i] = static_cast<std::int16_t>((p[i] & 32767) - 16384);
}
// Full-range integer data.
void fill_data(std::int8_t* p, std::size_t n, std::uint64_t seed) { fill_random_bytes(p, n, seed); }
void fill_data(std::int16_t* p, std::size_t n, std::uint64_t seed) { fill_random_bytes(p, n * 2, seed); }
// Uniform floats in [-r, r).
void fill_f32(float* p, std::size_t n, std::uint64_t seed, float r) {
  bits_stream g{seed};
  std::size_t i = 0;
  const float k = r / 8388608.0f;  // 2^23
  for (; i + 2 <= n; i += 2) {
    const std::uint64_t v = g.next();
    p[i] = static_cast<float>(static_cast<std::int32_t>(v >> 40) - 8388608) * k;
    p[i + 1] = static_cast<float>(static_cast<std::int32_t>((v >> 8) & 0xffffff) - 8388608) * k;
  }
  if (i < n) p[i] = static_cast<float>(static_cast<std::int32_t>(g.next() >> 40) - 8388608) * k;
}
// Float data with the spread of int8 data, for update_i8_f32.
void fill_data(float* p, std::size_t n, std::uint64_t seed) { fill_f32(p, n, seed, 128.0f); }

// Sparse pattern of density 1/16: one index, uniformly placed, per block of 16
// (sorted, distinct, evenly spread).
constexpr std::size_t sparse_stride = 16;
void fill_indices(std::uint32_t* idx, std::size_t nnz, std::uint64_t seed) {
  bits_stream g{seed};
  for (std::size_t k = 0; k < nnz; ++k)
    idx[k] = static_cast<std::uint32_t>(k * sparse_stride + (g.next() & (sparse_stride - 1)));
}

// ---- keeping results live and comparing them ----------------------------------

volatile std::uint64_t g_sink = 0;

template <class T>
std::uint64_t bits(T v) noexcept {
  if constexpr (std::is_floating_point_v<T>) {
    std::uint32_t u;
    static_assert(sizeof u == sizeof(float));
    std::memcpy(&u, &v, sizeof u);
    return u;
  } else {
    return static_cast<std::uint64_t>(v);
  }
}

std::string g_isa_label;  // for messages

[[noreturn]] void mismatch(const std::string& kernel, std::size_t p, const std::string& what) {
  die(1, "VALIDATION FAILED: %s (%s) on a prefix of %zu elements: %s differs from the scalar reference", kernel.c_str(),
      g_isa_label.c_str(), p, what.c_str());
}

template <class T>
void check_same(const std::string& kernel, std::size_t p, const T* got, const T* want, std::size_t len,
                const char* what) {
  if (std::memcmp(got, want, len * sizeof(T)) != 0) {
    std::size_t i = 0;
    while (i < len && std::memcmp(got + i, want + i, sizeof(T)) == 0) ++i;
    mismatch(kernel, p, std::string(what) + " (first at element " + std::to_string(i) + ")");
  }
}

// Prefix lengths validated: up to 2^20 elements, and an odd length that
// exercises the tails.
std::vector<std::size_t> prefixes(std::size_t n) {
  std::vector<std::size_t> v{std::min<std::size_t>(n, std::size_t(1) << 20)};
  if (n > 1013) v.push_back(1013);
  return v;
}

constexpr lk::dither_source validation_source{lowp::rng_key{0x1234567u, 0x89abcdefu}, 12345};

// ---- one kernel at one size --------------------------------------------------

class instance {
 public:
  virtual ~instance() = default;
  // Compare with the scalar reference on prefixes (untimed); dies on mismatch.
  virtual void validate() = 0;
  // `iters` back-to-back calls; returns the elapsed seconds.
  virtual double run(std::size_t iters) = 0;
  // Untimed, between repetitions (restores a mutated model).
  virtual void reset() {}

  double numbers_per_call = 0;  // "numbers" processed by one call
  double bytes_per_number = 0;  // for the roofline
  std::size_t ws_bytes = 0;     // total size of the buffers one call touches
};

template <class F>
double time_calls(std::size_t iters, F&& f) {
  const auto t0 = clock_type::now();
  for (std::size_t i = 0; i < iters; ++i) {
    // A compiler barrier: even if the callee were visible (LTO) and pure, every
    // call has to be made.
    asm volatile("" ::: "memory");
    f();
  }
  const auto t1 = clock_type::now();
  return std::chrono::duration<double>(t1 - t0).count();
}

// Models up to this size keep a pristine copy to restore between repetitions
// (in-cache levels run many calls per repetition); beyond it a repetition is a
// call or two and the drift is negligible.
constexpr std::size_t pristine_limit = std::size_t(1) << 22;

template <class T, class U = T>
auto dot_fn(const lk::table& t) {
  if constexpr (!std::is_same_v<T, U>) {
    if constexpr (std::is_same_v<T, std::int8_t>)
      return t.dot_i8_f32;  // int8 data . float model
    else
      return t.dot_i16_i8;  // int16 model . int8 data
  } else if constexpr (std::is_same_v<T, std::int8_t>) {
    return t.dot_i8;
  } else if constexpr (std::is_same_v<T, std::int16_t>) {
    return t.dot_i16;
  } else {
    return t.dot_f32;
  }
}
template <class W>
auto update_bias_fn(const lk::table& t) {
  if constexpr (std::is_same_v<W, std::int8_t>)
    return t.update_bias_i8_i8;
  else if constexpr (std::is_same_v<W, std::int16_t>)
    return t.update_bias_i16_i8;
  else
    return t.update_bias_f32;
}
template <class T>
auto dot_sparse_fn(const lk::table& t) {
  if constexpr (std::is_same_v<T, std::int8_t>)
    return t.dot_sparse_i8;
  else if constexpr (std::is_same_v<T, std::int16_t>)
    return t.dot_sparse_i16;
  else
    return t.dot_sparse_f32;
}
template <class Q>
auto quantize_fn(const lk::table& t) {
  if constexpr (std::is_same_v<Q, std::int8_t>)
    return t.quantize_i8;
  else
    return t.quantize_i16;
}
template <class Q>
auto dequantize_fn(const lk::table& t) {
  if constexpr (std::is_same_v<Q, std::int8_t>)
    return t.dequantize_i8;
  else
    return t.dequantize_i16;
}
template <class W, class X>
auto update_fn(const lk::table& t) {
  using std::is_same_v;
  if constexpr (is_same_v<W, std::int8_t>) {
    if constexpr (is_same_v<X, std::int8_t>)
      return t.update_i8_i8;
    else if constexpr (is_same_v<X, std::int16_t>)
      return t.update_i8_i16;
    else
      return t.update_i8_f32;
  } else {
    if constexpr (is_same_v<X, std::int8_t>)
      return t.update_i16_i8;
    else if constexpr (is_same_v<X, std::int16_t>)
      return t.update_i16_i16;
    else
      return t.update_i16_f32;
  }
}
template <class W, class X>
auto update_sparse_fn(const lk::table& t) {
  using std::is_same_v;
  if constexpr (is_same_v<W, std::int8_t>) {
    if constexpr (is_same_v<X, std::int8_t>)
      return t.update_sparse_i8_i8;
    else if constexpr (is_same_v<X, std::int16_t>)
      return t.update_sparse_i8_i16;
    else
      return t.update_sparse_i8_f32;
  } else {
    if constexpr (is_same_v<X, std::int8_t>)
      return t.update_sparse_i16_i8;
    else if constexpr (is_same_v<X, std::int16_t>)
      return t.update_sparse_i16_i16;
    else
      return t.update_sparse_i16_f32;
  }
}

// The model step `a` (sign alternates call by call so the model does not
// drift): small for the stochastic modes (|a·x| <= 2^-9 for int8-spread data,
// the regime stochastic rounding is for), larger for nearest so that about
// half of the elements actually change.
template <class X>
float step_for(rounding_mode m) {
  if (m == rounding_mode::nearest_even) return std::is_same_v<X, std::int16_t> ? 1.0f / 32768 : 1.0f / 128;
  return 1.0f / 65536;
}

// Fills for the dots: floats in [-1, 1), integers over their full range.
template <class T>
void fill_dot_operand(T* p, std::size_t n, std::uint64_t seed) {
  if constexpr (std::is_floating_point_v<T>)
    fill_f32(p, n, seed, 1.0f);
  else
    fill_data(p, n, seed);
}

// The dot of a T vector with a U vector (U = T for the plain dots).
template <class T, class U = T>
class dot_dense final : public instance {
 public:
  dot_dense(std::string name, const lk::table& t, std::size_t n)
      : name_(std::move(name)), fn_(dot_fn<T, U>(t)), n_(n), x_(n), y_(n) {
    fill_dot_operand(x_.data(), n, 11);
    fill_dot_operand(y_.data(), n, 12);
    numbers_per_call = 2.0 * static_cast<double>(n);
    bytes_per_number = 0.5 * static_cast<double>(sizeof(T) + sizeof(U));
    ws_bytes = n * (sizeof(T) + sizeof(U));
  }
  void validate() override {
    for (std::size_t p : prefixes(n_)) {
      const auto got = fn_(x_.data(), y_.data(), p);
      const auto want = lk::ref::dot(x_.data(), y_.data(), p);
      if (bits(got) != bits(want)) mismatch(name_, p, "the dot product");
    }
  }
  double run(std::size_t iters) override {
    std::uint64_t acc = 0;
    const double s = time_calls(iters, [&] { acc += bits(fn_(x_.data(), y_.data(), n_)); });
    g_sink = acc;
    return s;
  }

 private:
  std::string name_;
  decltype(dot_fn<T, U>(std::declval<const lk::table&>())) fn_;
  std::size_t n_;
  buffer<T> x_;
  buffer<U> y_;
};

template <class T>
class dot_sparse final : public instance {
 public:
  dot_sparse(std::string name, const lk::table& t, std::size_t n)
      : name_(std::move(name)), fn_(dot_sparse_fn<T>(t)), nnz_(n / sparse_stride), w_(n), idx_(nnz_), val_(nnz_) {
    if constexpr (std::is_floating_point_v<T>) {
      fill_f32(w_.data(), n, 21, 1.0f);
      fill_f32(val_.data(), nnz_, 22, 1.0f);
    } else {
      fill_data(w_.data(), n, 21);
      fill_data(val_.data(), nnz_, 22);
    }
    fill_indices(idx_.data(), nnz_, 23);
    numbers_per_call = 2.0 * static_cast<double>(nnz_);
    bytes_per_number = sizeof(T) + 2.0;  // value + gathered model element + half a 4-byte index
    ws_bytes = n * sizeof(T) + nnz_ * (sizeof(T) + 4);
  }
  void validate() override {
    for (std::size_t p : prefixes(nnz_)) {
      const auto got = fn_(w_.data(), idx_.data(), val_.data(), p);
      const auto want = lk::ref::dot_sparse(w_.data(), idx_.data(), val_.data(), p);
      if (bits(got) != bits(want)) mismatch(name_, p, "the sparse dot product");
    }
  }
  double run(std::size_t iters) override {
    std::uint64_t acc = 0;
    const double s = time_calls(iters, [&] { acc += bits(fn_(w_.data(), idx_.data(), val_.data(), nnz_)); });
    g_sink = acc;
    return s;
  }

 private:
  std::string name_;
  decltype(dot_sparse_fn<T>(std::declval<const lk::table&>())) fn_;
  std::size_t nnz_;
  buffer<T> w_;
  buffer<std::uint32_t> idx_;
  buffer<T> val_;
};

template <class Q>
class quantize final : public instance {
 public:
  quantize(std::string name, const lk::table& t, std::size_t n, rounding_mode m)
      : name_(std::move(name)), fn_(quantize_fn<Q>(t)), n_(n), m_(m), x_(n), q_(n) {
    fill_f32(x_.data(), n, 31, 1.0f);
    fill_random_bytes(q_.data(), n * sizeof(Q), 32);
    numbers_per_call = static_cast<double>(n);
    bytes_per_number = 4 + sizeof(Q);
    ws_bytes = n * (4 + sizeof(Q));
  }
  void validate() override {
    for (std::size_t p : prefixes(n_)) {
      buffer<Q> want(p);
      const std::size_t c1 = fn_(x_.data(), p, inv_, q_.data(), m_, validation_source);
      const std::size_t c2 = lk::ref::quantize(x_.data(), p, inv_, want.data(), m_, validation_source);
      check_same(name_, p, q_.data(), want.data(), p, "the quantized values");
      if (c1 != c2) mismatch(name_, p, "the clipped count");
    }
  }
  double run(std::size_t iters) override {
    std::uint64_t acc = 0;
    const double s =
        time_calls(iters, [&] { acc += fn_(x_.data(), n_, inv_, q_.data(), m_, lk::take_dither(rng_, m_, n_)); });
    g_sink = acc + bits(q_[n_ - 1]);
    return s;
  }

 private:
  std::string name_;
  decltype(quantize_fn<Q>(std::declval<const lk::table&>())) fn_;
  std::size_t n_;
  rounding_mode m_;
  float inv_ = std::is_same_v<Q, std::int8_t> ? 127.0f : 32767.0f;  // x in [-1, 1): nothing clips
  lowp::counter_rng rng_{2024, 1};
  buffer<float> x_;
  buffer<Q> q_;
};

template <class Q>
class dequantize final : public instance {
 public:
  dequantize(std::string name, const lk::table& t, std::size_t n)
      : name_(std::move(name)), fn_(dequantize_fn<Q>(t)), n_(n), q_(n), y_(n) {
    fill_data(q_.data(), n, 41);
    fill_f32(y_.data(), n, 42, 1.0f);
    numbers_per_call = static_cast<double>(n);
    bytes_per_number = sizeof(Q) + 4;
    ws_bytes = n * (sizeof(Q) + 4);
  }
  void validate() override {
    for (std::size_t p : prefixes(n_)) {
      buffer<float> want(p);
      fn_(q_.data(), p, scale_, y_.data());
      lk::ref::dequantize(q_.data(), p, scale_, want.data());
      check_same(name_, p, y_.data(), want.data(), p, "the dequantized values");
    }
  }
  double run(std::size_t iters) override {
    const double s = time_calls(iters, [&] { fn_(q_.data(), n_, scale_, y_.data()); });
    g_sink = bits(y_[n_ - 1]);
    return s;
  }

 private:
  std::string name_;
  decltype(dequantize_fn<Q>(std::declval<const lk::table&>())) fn_;
  std::size_t n_;
  float scale_ = 1.0f / 127;
  buffer<Q> q_;
  buffer<float> y_;
};

// The float copy-scale baseline y = s·x (bench/loops.cpp, compiled for the ISA
// of the kernel table in use).
class scale_copy final : public instance {
 public:
  scale_copy(std::string name, const loop_set& loops, std::size_t n)
      : name_(std::move(name)), fn_(loops.scale_f32), n_(n), x_(n), y_(n) {
    fill_f32(x_.data(), n, 51, 1.0f);
    fill_f32(y_.data(), n, 52, 1.0f);
    numbers_per_call = static_cast<double>(n);
    bytes_per_number = 8;
    ws_bytes = 8 * n;
  }
  void validate() override {
    for (std::size_t p : prefixes(n_)) {
      buffer<float> want(p);
      fn_(x_.data(), p, s_, y_.data());
      for (std::size_t i = 0; i < p; ++i) want[i] = x_[i] * s_;
      check_same(name_, p, y_.data(), want.data(), p, "the scaled values");
    }
  }
  double run(std::size_t iters) override {
    const double s = time_calls(iters, [&] { fn_(x_.data(), n_, s_, y_.data()); });
    g_sink = bits(y_[n_ - 1]);
    return s;
  }

 private:
  std::string name_;
  void (*fn_)(const float*, std::size_t, float, float*) noexcept;
  std::size_t n_;
  float s_ = 1.0f / 127;
  buffer<float> x_, y_;
};

// A kernel that updates a model of n W in place. The step `a` alternates sign call by call
// so that the model does not drift; models up to pristine_limit keep a copy to restore
// between repetitions.
template <class W>
class model_update : public instance {
 public:
  void reset() override {
    if (pristine_.size() != 0) std::memcpy(w_.data(), pristine_.data(), n_ * sizeof(W));
  }

 protected:
  model_update(std::string name, std::size_t n)
      : name_(std::move(name)), n_(n), w_(n), pristine_(n <= pristine_limit ? n : 0) {}
  // After filling w_.
  void keep_pristine() {
    if (pristine_.size() != 0) std::memcpy(pristine_.data(), w_.data(), n_ * sizeof(W));
  }
  float alternate(float a) noexcept { return (k_++ & 1) != 0 ? -a : a; }
  // Validation on a prefix of p elements (the model's first `span`): `kernel` and `reference`
  // each update a copy; they must leave the same model and return the same count, if any.
  template <class F, class G>
  void check_prefix(std::size_t p, std::size_t span, F&& kernel, G&& reference, const char* what) const {
    buffer<W> got(span), want(span);
    std::memcpy(got.data(), w_.data(), span * sizeof(W));
    std::memcpy(want.data(), w_.data(), span * sizeof(W));
    if constexpr (std::is_void_v<decltype(kernel(got.data()))>) {
      kernel(got.data());
      reference(want.data());
      check_same(name_, p, got.data(), want.data(), span, what);
    } else {
      const std::size_t c1 = kernel(got.data()), c2 = reference(want.data());
      check_same(name_, p, got.data(), want.data(), span, what);
      if (c1 != c2) mismatch(name_, p, "the clipped count");
    }
  }

  std::string name_;
  std::size_t n_;
  std::uint64_t k_ = 0;
  buffer<W> w_;
  buffer<W> pristine_;
};

template <class W, class X>
class update final : public model_update<W> {
  using base = model_update<W>;
  using base::n_, base::w_;

 public:
  update(std::string name, const lk::table& t, std::size_t n, rounding_mode m)
      : base(std::move(name), n), fn_(update_fn<W, X>(t)), m_(m), a_(step_for<X>(m)), x_(n) {
    fill_model(w_.data(), n, 61);
    fill_data(x_.data(), n, 62);
    base::keep_pristine();
    this->numbers_per_call = static_cast<double>(n);
    this->bytes_per_number = sizeof(X) + 2 * sizeof(W);  // data read + model read and written
    this->ws_bytes = n * (sizeof(W) + sizeof(X));
  }
  void validate() override {
    for (std::size_t p : prefixes(n_))
      base::check_prefix(
          p, p, [&](W* w) { return fn_(w, x_.data(), p, a_, m_, validation_source); },
          [&](W* w) { return lk::ref::update(w, x_.data(), p, a_, m_, validation_source); }, "the updated model");
  }
  double run(std::size_t iters) override {
    std::uint64_t acc = 0;
    const double s = time_calls(
        iters, [&] { acc += fn_(w_.data(), x_.data(), n_, base::alternate(a_), m_, lk::take_dither(rng_, m_, n_)); });
    g_sink = acc + bits(w_[n_ - 1]);
    return s;
  }

 private:
  decltype(update_fn<W, X>(std::declval<const lk::table&>())) fn_;
  rounding_mode m_;
  float a_;
  lowp::counter_rng rng_{2024, 2};
  buffer<X> x_;
};

// The float update baseline w = fma(a, x, w) (X = float), and the mixed
// y = fma(a, float(x), y) of the full gradient pass (X = int8).
template <class X = float>
class axpy final : public model_update<float> {
  using base = model_update<float>;

 public:
  axpy(std::string name, const lk::table& t, std::size_t n) : base(std::move(name), n), x_(n) {
    if constexpr (std::is_floating_point_v<X>) {
      fn_ = t.axpy_f32;
      fill_f32(x_.data(), n, 72, 1.0f);
    } else {
      fn_ = t.axpy_i8_f32;
      fill_data(x_.data(), n, 72);
      a_ /= 128;  // the same spread of products as the float data
    }
    fill_f32(w_.data(), n, 71, 1.0f);
    keep_pristine();
    numbers_per_call = static_cast<double>(n);
    bytes_per_number = sizeof(X) + 8;
    ws_bytes = n * (sizeof(X) + 4);
  }
  void validate() override {
    for (std::size_t p : prefixes(n_))
      check_prefix(
          p, p, [&](float* w) { fn_(w, x_.data(), p, a_); }, [&](float* w) { lk::ref::axpy(w, x_.data(), p, a_); },
          "the updated vector");
  }
  double run(std::size_t iters) override {
    const double s = time_calls(iters, [&] { fn_(w_.data(), x_.data(), n_, alternate(a_)); });
    g_sink = bits(w_[n_ - 1]);
    return s;
  }

 private:
  void (*fn_)(float*, const X*, std::size_t, float) = nullptr;
  float a_ = 1.0f / 1024;
  buffer<X> x_;
};

// The HALP inner update w <- sat(w + round(fma(b, w, fma(a, x, h)))) on int8 data
// (W = int8 / int16 model), and its float baseline w = w + fma(b, w, fma(a, x, h))
// (W = float, float data). h is a float per coordinate; b a small shrink (-2^-16).
template <class W>
class update_bias final : public model_update<W> {
  using base = model_update<W>;
  using base::n_, base::w_;
  static constexpr bool is_float = std::is_floating_point_v<W>;
  using X = std::conditional_t<is_float, float, std::int8_t>;

 public:
  update_bias(std::string name, const lk::table& t, std::size_t n, rounding_mode m = rounding_mode::nearest_even)
      : base(std::move(name), n),
        fn_(update_bias_fn<W>(t)),
        m_(m),
        a_(is_float ? 1.0f / 1024 : step_for<std::int8_t>(m)),
        x_(n),
        h_(n) {
    if constexpr (is_float) {
      fill_f32(w_.data(), n, 111, 1.0f);
      fill_f32(x_.data(), n, 112, 1.0f);
      fill_f32(h_.data(), n, 113, 1.0f / 1024);
    } else {
      fill_model(w_.data(), n, 111);
      fill_data(x_.data(), n, 112);
      // h of the size of a·x: |h| <= 2^-9 (stochastic), 1/2 (nearest) model quanta
      fill_f32(h_.data(), n, 113, m == rounding_mode::nearest_even ? 0.5f : 1.0f / 512);
    }
    if constexpr (!is_float) {
      if (m == rounding_mode::stochastic_fixed) {  // the integer form: b = 0, h also on the 2^-16 grid
        b_ = 0.0f;
        if constexpr (std::is_same_v<W, std::int8_t>)
          fixed_fn_ = t.update_bias_fixed_i8_i8;
        else
          fixed_fn_ = t.update_bias_fixed_i16_i8;
        hf_.assign(h_.data(), n);
      }
    }
    base::keep_pristine();
    this->numbers_per_call = static_cast<double>(n);
    this->bytes_per_number = sizeof(X) + 4 + 2 * sizeof(W);  // data and h read, model read and written
    this->ws_bytes = n * (sizeof(W) + sizeof(X) + 4);
  }
  void validate() override {
    for (std::size_t p : prefixes(n_)) {
      if constexpr (is_float)
        base::check_prefix(
            p, p, [&](W* w) { fn_(w, x_.data(), h_.data(), p, a_, b_); },
            [&](W* w) { lk::ref::update_bias(w, x_.data(), h_.data(), p, a_, b_); }, "the updated model");
      else if (fixed_fn_ != nullptr)
        base::check_prefix(
            p, p, [&](W* w) { return fixed_fn_(w, x_.data(), hf_.view(), p, a_, validation_source); },
            [&](W* w) { return lk::ref::update_bias_fixed(w, x_.data(), hf_.view(), p, a_, validation_source); },
            "the updated model");
      else
        base::check_prefix(
            p, p, [&](W* w) { return fn_(w, x_.data(), h_.data(), p, a_, b_, m_, validation_source); },
            [&](W* w) { return lk::ref::update_bias(w, x_.data(), h_.data(), p, a_, b_, m_, validation_source); },
            "the updated model");
    }
  }
  double run(std::size_t iters) override {
    std::uint64_t acc = 0;
    const double s = time_calls(iters, [&] {
      const float a = base::alternate(a_);
      if constexpr (is_float)
        fn_(w_.data(), x_.data(), h_.data(), n_, a, b_);
      else if (fixed_fn_ != nullptr)
        acc += fixed_fn_(w_.data(), x_.data(), hf_.view(), n_, a, lk::take_dither(rng_, m_, n_));
      else
        acc += fn_(w_.data(), x_.data(), h_.data(), n_, a, b_, m_, lk::take_dither(rng_, m_, n_));
    });
    g_sink = acc + bits(w_[n_ - 1]);
    return s;
  }

 private:
  decltype(update_bias_fn<W>(std::declval<const lk::table&>())) fn_;
  rounding_mode m_;
  float a_, b_ = -1.0f / 65536;
  lowp::counter_rng rng_{2024, 4};
  buffer<X> x_;
  buffer<float> h_;
  std::size_t (*fixed_fn_)(W*, const std::int8_t*, const lk::fixed_offset&, std::size_t, float,
                           lk::dither_source) = nullptr;
  lk::fixed_offset_buffer hf_;
};

template <class W, class X>
class update_sparse final : public model_update<W> {
  using base = model_update<W>;
  using base::n_, base::w_;

 public:
  update_sparse(std::string name, const lk::table& t, std::size_t n, rounding_mode m)
      : base(std::move(name), n),
        fn_(update_sparse_fn<W, X>(t)),
        nnz_(n / sparse_stride),
        m_(m),
        a_(step_for<X>(m)),
        idx_(nnz_),
        val_(nnz_) {
    fill_model(w_.data(), n, 81);
    fill_data(val_.data(), nnz_, 82);
    fill_indices(idx_.data(), nnz_, 83);
    base::keep_pristine();
    this->numbers_per_call = static_cast<double>(nnz_);
    this->bytes_per_number = sizeof(X) + 4 + 2 * sizeof(W);
    this->ws_bytes = n * sizeof(W) + nnz_ * (sizeof(X) + 4);
  }
  void validate() override {
    for (std::size_t p : prefixes(nnz_))
      base::check_prefix(
          p, idx_[p - 1] + std::size_t(1),  // indices are sorted
          [&](W* w) { return fn_(w, idx_.data(), val_.data(), p, a_, m_, validation_source); },
          [&](W* w) { return lk::ref::update_sparse(w, idx_.data(), val_.data(), p, a_, m_, validation_source); },
          "the updated model");
  }
  double run(std::size_t iters) override {
    std::uint64_t acc = 0;
    const double s = time_calls(iters, [&] {
      acc += fn_(w_.data(), idx_.data(), val_.data(), nnz_, base::alternate(a_), m_, lk::take_dither(rng_, m_, nnz_));
    });
    g_sink = acc + bits(w_[idx_[0]]);
    return s;
  }

 private:
  decltype(update_sparse_fn<W, X>(std::declval<const lk::table&>())) fn_;
  std::size_t nnz_;
  rounding_mode m_;
  float a_;
  lowp::counter_rng rng_{2024, 3};
  buffer<std::uint32_t> idx_;
  buffer<X> val_;
};

class axpy_sparse final : public model_update<float> {
  using base = model_update<float>;

 public:
  axpy_sparse(std::string name, const lk::table& t, std::size_t n)
      : base(std::move(name), n), fn_(t.axpy_sparse_f32), nnz_(n / sparse_stride), idx_(nnz_), val_(nnz_) {
    fill_f32(w_.data(), n, 91, 1.0f);
    fill_f32(val_.data(), nnz_, 92, 1.0f);
    fill_indices(idx_.data(), nnz_, 93);
    keep_pristine();
    numbers_per_call = static_cast<double>(nnz_);
    bytes_per_number = 4 + 4 + 8;
    ws_bytes = n * 4 + nnz_ * 8;
  }
  void validate() override {
    for (std::size_t p : prefixes(nnz_))
      check_prefix(
          p, idx_[p - 1] + std::size_t(1), [&](float* w) { fn_(w, idx_.data(), val_.data(), p, a_); },
          [&](float* w) { lk::ref::axpy_sparse(w, idx_.data(), val_.data(), p, a_); }, "the updated vector");
  }
  double run(std::size_t iters) override {
    const double s = time_calls(iters, [&] { fn_(w_.data(), idx_.data(), val_.data(), nnz_, alternate(a_)); });
    g_sink = bits(w_[idx_[0]]);
    return s;
  }

 private:
  void (*fn_)(float*, const std::uint32_t*, const float*, std::size_t, float);
  std::size_t nnz_;
  float a_ = 1.0f / 1024;
  buffer<std::uint32_t> idx_;
  buffer<float> val_;
};

// The stream-read loop over a buffer of a kernel's working-set size.
class stream_read final : public instance {
 public:
  stream_read(const loop_set& loops, std::size_t bytes) : fn_(loops.read_xor), bytes_(bytes), b_(bytes) {
    fill_random_bytes(b_.data(), bytes, 101);       // touches every page
    numbers_per_call = static_cast<double>(bytes);  // "numbers" = bytes here: rates are bytes/s
    bytes_per_number = 1;
    ws_bytes = bytes;
  }
  void validate() override {
    std::uint64_t want = 0;
    std::size_t i = 0;
    for (; i + 8 <= bytes_; i += 8) {
      std::uint64_t v;
      std::memcpy(&v, b_.data() + i, 8);
      want ^= v;
    }
    for (; i < bytes_; ++i) want ^= b_[i];
    if (fn_(b_.data(), bytes_) != want) mismatch("stream-read loop", bytes_, "the XOR of the buffer");
  }
  double run(std::size_t iters) override {
    std::uint64_t acc = 0;
    const double s = time_calls(iters, [&] { acc += fn_(b_.data(), bytes_); });
    g_sink = acc;
    return s;
  }

 private:
  std::uint64_t (*fn_)(const unsigned char*, std::size_t) noexcept;
  std::size_t bytes_;
  buffer<unsigned char> b_;
};

// ---- timing ------------------------------------------------------------------

struct stats {
  double med = NAN, lo = NAN, hi = NAN;  // numbers per second
};

stats measure(instance& in, int reps, double min_rep_seconds) {
  // Warm up, then find a call count that takes >= 2 ms, and scale it to the
  // repetition length.
  in.reset();
  std::size_t k = 1;
  double t = in.run(k);
  while (t < 2e-3) {
    k *= 2;
    t = in.run(k);
  }
  const std::size_t iters =
      std::max<std::size_t>(1, static_cast<std::size_t>(std::ceil(static_cast<double>(k) * min_rep_seconds / t)));
  std::vector<double> rate;
  for (int r = 0; r < reps; ++r) {
    in.reset();
    const double s = in.run(iters);
    rate.push_back(in.numbers_per_call * static_cast<double>(iters) / s);
  }
  std::sort(rate.begin(), rate.end());
  stats st;
  const std::size_t m = rate.size();
  st.med = m % 2 != 0 ? rate[m / 2] : 0.5 * (rate[m / 2 - 1] + rate[m / 2]);
  st.lo = rate.front();
  st.hi = rate.back();
  return st;
}

// ---- the kernel list ---------------------------------------------------------

struct kernel_spec {
  std::string name;
  std::string baseline;  // float baseline of the same kind ("" for a baseline itself)
  std::function<std::unique_ptr<instance>(std::size_t n)> make;
};

std::vector<kernel_spec> kernel_specs(const lk::table& t, const loop_set& loops) {
  using i8 = std::int8_t;
  using i16 = std::int16_t;
  const auto near = rounding_mode::nearest_even;
  const auto sto = rounding_mode::stochastic;
  const auto shared = rounding_mode::stochastic_shared;
  const auto ars = rounding_mode::stochastic_ars;
  const auto fixed = rounding_mode::stochastic_fixed;
  const lk::table* tp = &t;
  const loop_set* lp = &loops;
  std::vector<kernel_spec> v;
  auto add = [&](std::string name, std::string base, auto make) {
    v.push_back({name, std::move(base), [name, make](std::size_t n) { return make(name, n); }});
  };
  // dots
  add("dot_f32", "",
      [tp](const std::string& s, std::size_t n) { return std::make_unique<dot_dense<float>>(s, *tp, n); });
  add("dot_i8", "dot_f32",
      [tp](const std::string& s, std::size_t n) { return std::make_unique<dot_dense<i8>>(s, *tp, n); });
  add("dot_i16", "dot_f32",
      [tp](const std::string& s, std::size_t n) { return std::make_unique<dot_dense<i16>>(s, *tp, n); });
  add("dot_i8_f32", "dot_f32",
      [tp](const std::string& s, std::size_t n) { return std::make_unique<dot_dense<i8, float>>(s, *tp, n); });
  add("dot_i16_i8", "dot_f32",
      [tp](const std::string& s, std::size_t n) { return std::make_unique<dot_dense<i16, i8>>(s, *tp, n); });
  // conversions
  add("scale_f32", "", [lp](const std::string& s, std::size_t n) { return std::make_unique<scale_copy>(s, *lp, n); });
  add("quantize_i8 nearest", "scale_f32",
      [tp, near](const std::string& s, std::size_t n) { return std::make_unique<quantize<i8>>(s, *tp, n, near); });
  add("quantize_i8 stochastic", "scale_f32",
      [tp, sto](const std::string& s, std::size_t n) { return std::make_unique<quantize<i8>>(s, *tp, n, sto); });
  add("quantize_i8 stochastic_ars", "scale_f32",
      [tp, ars](const std::string& s, std::size_t n) { return std::make_unique<quantize<i8>>(s, *tp, n, ars); });
  add("quantize_i16 nearest", "scale_f32",
      [tp, near](const std::string& s, std::size_t n) { return std::make_unique<quantize<i16>>(s, *tp, n, near); });
  add("quantize_i16 stochastic", "scale_f32",
      [tp, sto](const std::string& s, std::size_t n) { return std::make_unique<quantize<i16>>(s, *tp, n, sto); });
  add("dequantize_i8", "scale_f32",
      [tp](const std::string& s, std::size_t n) { return std::make_unique<dequantize<i8>>(s, *tp, n); });
  // dense updates
  add("axpy_f32", "", [tp](const std::string& s, std::size_t n) { return std::make_unique<axpy<>>(s, *tp, n); });
  add("axpy_i8_f32", "axpy_f32",
      [tp](const std::string& s, std::size_t n) { return std::make_unique<axpy<i8>>(s, *tp, n); });
  add("update_i8_i8 nearest", "axpy_f32",
      [tp, near](const std::string& s, std::size_t n) { return std::make_unique<update<i8, i8>>(s, *tp, n, near); });
  add("update_i8_i8 stochastic", "axpy_f32",
      [tp, sto](const std::string& s, std::size_t n) { return std::make_unique<update<i8, i8>>(s, *tp, n, sto); });
  add("update_i8_i8 stochastic_shared", "axpy_f32", [tp, shared](const std::string& s, std::size_t n) {
    return std::make_unique<update<i8, i8>>(s, *tp, n, shared);
  });
  add("update_i8_i8 stochastic_ars", "axpy_f32",
      [tp, ars](const std::string& s, std::size_t n) { return std::make_unique<update<i8, i8>>(s, *tp, n, ars); });
  add("update_i8_i8 stochastic_fixed", "axpy_f32", [tp, fixed](const std::string& s, std::size_t n) {
    return std::make_unique<update<i8, i8>>(s, *tp, n, fixed);
  });
  add("update_i16_i16 stochastic", "axpy_f32",
      [tp, sto](const std::string& s, std::size_t n) { return std::make_unique<update<i16, i16>>(s, *tp, n, sto); });
  add("update_i8_f32 stochastic", "axpy_f32",
      [tp, sto](const std::string& s, std::size_t n) { return std::make_unique<update<i8, float>>(s, *tp, n, sto); });
  // the HALP inner update
  add("update_bias_f32", "",
      [tp](const std::string& s, std::size_t n) { return std::make_unique<update_bias<float>>(s, *tp, n); });
  add("update_bias_i8_i8 nearest", "update_bias_f32", [tp, near](const std::string& s, std::size_t n) {
    return std::make_unique<update_bias<i8>>(s, *tp, n, near);
  });
  add("update_bias_i8_i8 stochastic", "update_bias_f32", [tp, sto](const std::string& s, std::size_t n) {
    return std::make_unique<update_bias<i8>>(s, *tp, n, sto);
  });
  add("update_bias_i8_i8 stochastic_ars", "update_bias_f32", [tp, ars](const std::string& s, std::size_t n) {
    return std::make_unique<update_bias<i8>>(s, *tp, n, ars);
  });
  add("update_bias_i8_i8 stochastic_fixed", "update_bias_f32", [tp, fixed](const std::string& s, std::size_t n) {
    return std::make_unique<update_bias<i8>>(s, *tp, n, fixed);
  });
  add("update_bias_i16_i8 stochastic", "update_bias_f32", [tp, sto](const std::string& s, std::size_t n) {
    return std::make_unique<update_bias<i16>>(s, *tp, n, sto);
  });
  // sparse, density 1/16
  add("dot_sparse_f32", "",
      [tp](const std::string& s, std::size_t n) { return std::make_unique<dot_sparse<float>>(s, *tp, n); });
  add("dot_sparse_i8", "dot_sparse_f32",
      [tp](const std::string& s, std::size_t n) { return std::make_unique<dot_sparse<i8>>(s, *tp, n); });
  add("axpy_sparse_f32", "",
      [tp](const std::string& s, std::size_t n) { return std::make_unique<axpy_sparse>(s, *tp, n); });
  add("update_sparse_i8_i8 stochastic", "axpy_sparse_f32", [tp, sto](const std::string& s, std::size_t n) {
    return std::make_unique<update_sparse<i8, i8>>(s, *tp, n, sto);
  });
  return v;
}

// ---- options -------------------------------------------------------------------

struct options {
  bool quick = false;
  int reps = 0;       // 0: the mode's default
  int dram_log2 = 0;  // 0: the mode's default
  std::string isa = "best";
  std::string csv;
  std::vector<std::string> only;  // comma-separated substrings, any may match
};

void print_help(const std::vector<std::string>& names) {
  std::printf(
      "Usage: lowp-bench [options]\n"
      "Throughput of the lowp::kernels entries (1 thread) at four size levels, with the\n"
      "read-bandwidth roofline and the ratio to a float baseline, all measured in this run.\n"
      "\n"
      "Options:\n"
      "  --quick            smaller out-of-cache level (2^25..2^27 elements: the int8 dot working set\n"
      "                     is made at least the L3 size) and 3 repetitions (~30 s demo)\n"
      "  --reps N           repetitions per measurement, median reported (1..1000; default 5, quick 3)\n"
      "  --isa NAME         scalar | avx2 | avx512bw | avx512vnni | best (default best; best honours\n"
      "                     LOWP_ISA in the environment, as the library does)\n"
      "  --csv FILE         also write the table as CSV to FILE (written to a temporary, then renamed)\n"
      "  --only LIST        only kernels whose name contains one of the comma-separated substrings\n"
      "                     (their float baselines are measured too)\n"
      "  --dram-log2 K      elements per array at the out-of-cache level, 2^K (22..30;\n"
      "                     default 28)\n"
      "  -h, --help         this help\n"
      "\n"
      "Kernels:");
  for (std::size_t i = 0; i < names.size(); ++i) std::printf("%s%s", i % 4 == 0 ? "\n  " : "  ", names[i].c_str());
  std::printf(
      "\n\nExit status: 0 done; 1 a kernel disagreed with the scalar reference (or out of memory);\n"
      "2 bad command line. See bench/README.md for the definitions.\n");
}

bool parse_int(const std::string& s, long lo, long hi, int& out) {
  if (s.empty()) return false;
  char* end = nullptr;
  errno = 0;
  const long v = std::strtol(s.c_str(), &end, 10);
  if (errno != 0 || end == nullptr || *end != '\0' || v < lo || v > hi) return false;
  out = static_cast<int>(v);
  return true;
}

options parse(int argc, char** argv, const std::vector<std::string>& names) {
  options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    std::string val;
    bool has_val = false;
    if (a.rfind("--", 0) == 0) {
      const auto eq = a.find('=');
      if (eq != std::string::npos) {
        val = a.substr(eq + 1);
        a = a.substr(0, eq);
        has_val = true;
      }
    }
    auto value = [&](const char* what) -> std::string {
      if (has_val) return val;
      if (i + 1 >= argc) die(2, "option %s needs a value (%s)", a.c_str(), what);
      return argv[++i];
    };
    auto no_value = [&] {
      if (has_val) die(2, "option %s takes no value", a.c_str());
    };
    if (a == "-h" || a == "--help") {
      no_value();
      print_help(names);
      std::exit(0);
    } else if (a == "--quick") {
      no_value();
      o.quick = true;
    } else if (a == "--reps") {
      const std::string v = value("a number of repetitions, 1..1000");
      if (!parse_int(v, 1, 1000, o.reps)) die(2, "bad value for --reps: '%s' (expected an integer 1..1000)", v.c_str());
    } else if (a == "--dram-log2") {
      const std::string v = value("an exponent, 22..30");
      if (!parse_int(v, 22, 30, o.dram_log2))
        die(2, "bad value for --dram-log2: '%s' (expected an integer 22..30)", v.c_str());
    } else if (a == "--isa") {
      o.isa = value("scalar|avx2|avx512bw|avx512vnni|best");
      bool ok = o.isa == "best";
      for (lk::isa x : lk::all_isas) ok = ok || o.isa == lk::name(x);
      if (!ok) die(2, "bad value for --isa: '%s' (expected scalar, avx2, avx512bw, avx512vnni or best)", o.isa.c_str());
    } else if (a == "--csv") {
      o.csv = value("a file name");
      if (o.csv.empty()) die(2, "bad value for --csv: empty file name");
    } else if (a == "--only") {
      const std::string v = value("comma-separated substrings of kernel names");
      std::size_t start = 0;
      while (start <= v.size()) {
        const std::size_t c = std::min(v.find(',', start), v.size());
        if (c > start) o.only.push_back(v.substr(start, c - start));
        start = c + 1;
      }
      if (o.only.empty()) die(2, "bad value for --only: '%s' (expected a substring of a kernel name)", v.c_str());
    } else if (a.rfind("-", 0) != 0) {
      die(2, "unexpected argument '%s' (lowp-bench takes options only)", argv[i]);
    } else {
      die(2, "unknown option '%s'", argv[i]);
    }
  }
  return o;
}

// ---- platform ----------------------------------------------------------------

std::string cpu_model() {
  std::ifstream f("/proc/cpuinfo");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("model name", 0) == 0) {
      const auto c = line.find(':');
      if (c != std::string::npos) return line.substr(std::min(line.size(), c + 2));
    }
  }
  return "unknown";
}

std::string read_line(const std::string& path) {
  std::ifstream f(path);
  std::string s;
  std::getline(f, s);
  return s;
}

// Cache sizes of cpu0 from sysfs: "L1d 48K, L2 2048K, L3 266240K" and the L3 size in bytes.
std::string cache_summary(std::size_t& l3_bytes) {
  std::string out;
  l3_bytes = 0;
  for (int i = 0; i < 8; ++i) {
    const std::string d = "/sys/devices/system/cpu/cpu0/cache/index" + std::to_string(i) + "/";
    const std::string level = read_line(d + "level"), type = read_line(d + "type"), size = read_line(d + "size");
    if (level.empty() || size.empty() || type == "Instruction") continue;
    if (!out.empty()) out += ", ";
    out += "L" + level + (type == "Data" ? "d " : " ") + size;
    if (level == "3") {
      char* end = nullptr;
      const unsigned long long v = std::strtoull(size.c_str(), &end, 10);
      const char u = end != nullptr ? *end : '\0';
      l3_bytes = static_cast<std::size_t>(v) * (u == 'K' ? 1024u : u == 'M' ? 1024u * 1024u : 1u);
    }
  }
  return out.empty() ? "cache sizes unknown" : out;
}

std::string human_bytes(double b) {
  char s[32];
  if (b >= 1024.0 * 1024 * 1024)
    std::snprintf(s, sizeof s, "%.3g GiB", b / (1024.0 * 1024 * 1024));
  else if (b >= 1024.0 * 1024)
    std::snprintf(s, sizeof s, "%.3g MiB", b / (1024.0 * 1024));
  else
    std::snprintf(s, sizeof s, "%.3g KiB", b / 1024.0);
  return s;
}

// 3 significant digits, fixed point.
std::string fmt3(double v) {
  char s[32];
  if (!std::isfinite(v)) return "-";
  const double a = std::fabs(v);
  if (a >= 100)
    std::snprintf(s, sizeof s, "%.0f", v);
  else if (a >= 10)
    std::snprintf(s, sizeof s, "%.1f", v);
  else if (a >= 1)
    std::snprintf(s, sizeof s, "%.2f", v);
  else
    std::snprintf(s, sizeof s, "%.3f", v);
  return s;
}

std::string appendf(std::string& out, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
std::string appendf(std::string& out, const char* fmt, ...) {
  va_list ap, ap2;
  va_start(ap, fmt);
  va_copy(ap2, ap);
  const int len = std::vsnprintf(nullptr, 0, fmt, ap);  // any length (the definitions are long)
  va_end(ap);
  std::string text(len > 0 ? static_cast<std::size_t>(len) : 0, '\0');
  if (len > 0) std::vsnprintf(text.data(), text.size() + 1, fmt, ap2);
  va_end(ap2);
  out += text;
  return text;
}

// ---- the run -------------------------------------------------------------------

struct level {
  const char* name;
  int log2n;
};

struct config {
  options opt;
  lk::isa want = lk::isa::scalar;  // the ISA asked for (or the dispatcher's pick for --isa best)
  std::string isa_note;            // LOWP_ISA, when it capped the dispatcher
  const lk::table* tbl = nullptr;  // the table in use
  bool placeholder = false;        // its id is not `want`: a placeholder forwarding to scalar code
  const loop_set* read_loops = nullptr;
  const loop_set* base_loops = nullptr;
  int reps = 5;
  double min_rep_seconds = 0.020;
  std::vector<level> levels;
};

config configure(const options& opt) {
  config c;
  c.opt = opt;
  if (opt.isa == "best") {
    // What lowp::kernels::best() picks (dispatch.cpp), named here so a placeholder shows.
    lk::isa cap = lk::isa::avx512vnni;
    if (const char* env = std::getenv("LOWP_ISA")) {
      for (lk::isa x : lk::all_isas)
        if (std::strcmp(env, lk::name(x)) == 0) cap = x;
      c.isa_note = std::string(" (LOWP_ISA=") + env + ")";
    }
    for (lk::isa x : lk::all_isas)
      if (static_cast<int>(x) <= static_cast<int>(cap) && lk::available(x)) c.want = x;
    c.tbl = &lk::best();
  } else {
    for (lk::isa x : lk::all_isas)
      if (opt.isa == lk::name(x)) c.want = x;
    if (!lk::available(c.want))
      die(2, "--isa %s: not available here (this CPU lacks it, or it is not compiled in)", opt.isa.c_str());
    c.tbl = &lk::table_for(c.want);
  }
  c.placeholder = c.tbl->id != c.want;
  g_isa_label = std::string("table ") + lk::name(c.tbl->id);
  // The roofline: the widest read loop this CPU runs. The copy-scale baseline: the ISA of the table in use.
  c.read_loops = lk::available(lk::isa::avx512bw) ? &loops_for_avx512
                 : lk::available(lk::isa::avx2)   ? &loops_for_avx2
                                                  : &loops_for_scalar;
  c.base_loops = c.tbl->id == lk::isa::scalar ? &loops_for_scalar
                 : c.tbl->id == lk::isa::avx2 ? &loops_for_avx2
                                              : &loops_for_avx512;
  c.reps = opt.reps != 0 ? opt.reps : (opt.quick ? 3 : 5);
  // The out-of-cache level: 2^28 (1 GiB float arrays). --quick takes the smallest
  // of 2^25..2^27 whose int8 dot working set (2^(k+1) bytes) is at least the L3
  // size, so that int8 and float both run from memory where L3 is large.
  int dram_log2 = 28;
  if (opt.dram_log2 != 0) {
    dram_log2 = opt.dram_log2;
  } else if (opt.quick) {
    std::size_t l3_bytes = 0;
    cache_summary(l3_bytes);
    dram_log2 = 25;
    while (dram_log2 < 27 && (std::size_t(2) << dram_log2) < l3_bytes) ++dram_log2;
  }
  c.levels = {{"L1", 11}, {"L2", 16}, {"L3", 21}, {"DRAM", dram_log2}};
  return c;
}

// --only, plus the baselines the selected kernels need (kept in list order:
// baselines come first, so their figures exist when a ratio is computed).
std::vector<kernel_spec> select_kernels(const config& c) {
  std::vector<kernel_spec> all = kernel_specs(*c.tbl, *c.base_loops);
  std::vector<bool> keep(all.size(), c.opt.only.empty());
  for (std::size_t i = 0; i < all.size(); ++i)
    for (const auto& sub : c.opt.only)
      if (all[i].name.find(sub) != std::string::npos) keep[i] = true;
  if (std::find(keep.begin(), keep.end(), true) == keep.end())
    die(2, "--only: no kernel name contains any of the given substrings (see --help for the names)");
  for (std::size_t i = 0; i < all.size(); ++i)
    if (keep[i] && !all[i].baseline.empty())
      for (std::size_t j = 0; j < all.size(); ++j)
        if (all[j].name == all[i].baseline) keep[j] = true;
  std::vector<kernel_spec> specs;
  for (std::size_t i = 0; i < all.size(); ++i)
    if (keep[i]) specs.push_back(all[i]);
  return specs;
}

struct row {
  std::string kernel, baseline;
  int li = 0;  // level index
  std::size_t n = 0;
  stats g;  // numbers/s
  double bytes_per_number = 0;
  std::size_t ws_bytes = 0;
  stats bw;           // read bytes/s over ws_bytes
  double roof = NAN;  // numbers/s
  double frac = NAN;
  double ratio = NAN;  // vs the baseline at the same level
};

std::vector<row> measure_all(const config& c, const std::vector<kernel_spec>& specs) {
  // In-cache read bandwidth is measured right after each kernel (it is cheap,
  // and a measurement next to the kernel's shares its conditions, such as a busy
  // sibling hyperthread). The out-of-cache one costs seconds: once per size.
  std::map<std::size_t, stats> bw_cache;
  auto bandwidth = [&](std::size_t bytes, bool cache) {
    auto it = bw_cache.find(bytes);
    if (cache && it != bw_cache.end()) return it->second;
    stream_read sr(*c.read_loops, bytes);
    sr.validate();
    const stats s = measure(sr, c.reps, c.min_rep_seconds);
    if (cache) bw_cache.emplace(bytes, s);
    return s;
  };
  std::vector<row> rows;
  std::map<std::pair<std::string, int>, double> gnum;  // (kernel, level) -> median numbers/s
  for (std::size_t si = 0; si < specs.size(); ++si) {
    const kernel_spec& sp = specs[si];
    const auto t0 = clock_type::now();
    std::fprintf(stderr, "lowp-bench: [%2zu/%zu] %-32s", si + 1, specs.size(), sp.name.c_str());
    g_progress_open = true;
    for (int li = 0; li < static_cast<int>(c.levels.size()); ++li) {
      row r;
      r.kernel = sp.name;
      r.baseline = sp.baseline;
      r.li = li;
      r.n = std::size_t(1) << c.levels[li].log2n;
      {
        auto in = sp.make(r.n);  // allocates and fills (touches) the buffers
        in->validate();
        r.bytes_per_number = in->bytes_per_number;
        r.ws_bytes = in->ws_bytes;
        r.g = measure(*in, c.reps, c.min_rep_seconds);
      }  // the kernel's buffers are freed before the stream buffer is allocated
      r.bw = bandwidth(r.ws_bytes, r.n > pristine_limit);
      r.roof = r.bw.med / r.bytes_per_number;
      r.frac = r.g.med / r.roof;
      if (!sp.baseline.empty()) {
        auto it = gnum.find({sp.baseline, li});
        if (it != gnum.end()) r.ratio = r.g.med / it->second;
      }
      gnum[{sp.name, li}] = r.g.med;
      rows.push_back(r);
      std::fprintf(stderr, " %s", c.levels[li].name);
      std::fflush(stderr);
    }
    std::fprintf(stderr, "  (%.1f s)\n", std::chrono::duration<double>(clock_type::now() - t0).count());
    g_progress_open = false;
  }
  return rows;
}

std::string report(const config& c, const std::vector<row>& rows, double elapsed) {
  std::size_t l3_bytes = 0;
  const std::string caches = cache_summary(l3_bytes);
  const long ncpu = ::sysconf(_SC_NPROCESSORS_ONLN);
  const lk::isa used = c.tbl->id;
  std::string out;
  appendf(out, "lowp-bench %s: lowp::kernels throughput, 1 thread, %s mode\n", LOWP_BENCH_VERSION,
          c.opt.quick ? "quick" : "full");
  appendf(out, "CPU   : %s (%ld logical CPUs; %s)\n", cpu_model().c_str(), ncpu, caches.c_str());
  appendf(out, "ISA   : --isa %s%s -> %s; kernel table in use: %s\n", c.opt.isa.c_str(), c.isa_note.c_str(),
          lk::name(c.want), lk::name(used));
  if (c.placeholder)
    appendf(out,
            "        NOTE: the %s table of this build forwards to the %s table (placeholder): the kernel\n"
            "        figures below are those of the %s code.\n",
            lk::name(c.want), lk::name(used), lk::name(used));
  appendf(out, "Loops : read-bandwidth loop: %s, %s\n", c.read_loops->name, c.read_loops->flags);
  appendf(out, "        float copy-scale baseline: %s, %s\n", c.base_loops->name, c.base_loops->flags);
  appendf(out, "Levels: elements per array: ");
  for (std::size_t li = 0; li < c.levels.size(); ++li)
    appendf(out, "%s%s 2^%d", li == 0 ? "" : ", ", c.levels[li].name, c.levels[li].log2n);
  if (c.opt.quick && c.opt.dram_log2 == 0) appendf(out, " (quick: int8 dot working set >= L3, at most 2^27)");
  appendf(out, ";\n        sparse kernels: a model of that length, density 1/%zu\n", sparse_stride);
  appendf(out,
          "Timing: %d repetition(s) of >= %.0f ms each (in-cache levels repeat the call), median [min, max];\n"
          "        every kernel validated against the scalar reference on a prefix before timing. Total %.0f s.\n",
          c.reps, c.min_rep_seconds * 1e3, elapsed);
  appendf(out,
          "Definitions: numbers = elements processed per call: dot of two length-n vectors 2n (every element\n"
          "  read; so for int8, numbers/s = bytes/s); update/axpy n data elements; quantize/dequantize/scale n\n"
          "  input elements; sparse dot 2*nnz; sparse update nnz. G/s = 1e9 numbers/s.\n"
          "  B/num = bytes moved per number: dot sizeof(T) (mixed dots: the mean of the two); update\n"
          "  sizeof(data)+2*sizeof(model) (data read, model read+written), update_bias 4 more (h); axpy_f32 12,\n"
          "  axpy_i8_f32 9; quantize/dequantize 4+sizeof(int); scale_f32 8; sparse dot sizeof(T)+2,\n"
          "  sparse update sizeof(data)+4+2*sizeof(model) (4-byte indices; gathers counted ideally).\n"
          "  read GB/s = the stream-read loop over one buffer as large as the kernel's working set (this run);\n"
          "  roof = read GB/s / B/num (G numbers/s); frac = G/s / roof.\n"
          "  ratio = G/s / G/s of the float baseline of the same kind at the same level (dot_f32 for dots,\n"
          "  axpy_f32 for updates and axpy_i8_f32, update_bias_f32 for update_bias_*, scale_f32 = float\n"
          "  copy-scale y=s*x for quantize/dequantize).\n");

  // ---- summary ----
  const int big = static_cast<int>(c.levels.size()) - 1;
  auto find = [&](const std::string& k, int li) -> const row* {
    for (const row& r : rows)
      if (r.kernel == k && r.li == li) return &r;
    return nullptr;
  };
  auto goal_line = [&](const char* tag, const std::string& what, double v, double goal, bool is_ratio) {
    const std::string val = std::isfinite(v) ? fmt3(v) + (is_ratio ? "x" : "") : "n/a";
    char g[16];
    std::snprintf(g, sizeof g, "%g%s", goal, is_ratio ? "x" : "");
    const char* verdict = !std::isfinite(v) ? "n/a (not measured)" : (v >= goal ? "PASS" : "MISS");
    appendf(out, "  %-4s %-52s %8s   goal >= %-5s %s\n", tag, what.c_str(), val.c_str(), g, verdict);
  };
  // A ratio whose two sides read at different bandwidths partly measures the cache, not the kernel.
  auto bw_note = [&](const row* a, const row* b) {
    if (a == nullptr || b == nullptr || !(a->bw.med > 1.25 * b->bw.med)) return;
    appendf(out,
            "       note: %s's working set (%s) reads at %s GB/s, %s's (%s) at %s GB/s: this ratio partly\n"
            "       reflects where the data sits in the memory hierarchy, not only the kernel.\n",
            a->kernel.c_str(), human_bytes(static_cast<double>(a->ws_bytes)).c_str(), fmt3(a->bw.med / 1e9).c_str(),
            b->kernel.c_str(), human_bytes(static_cast<double>(b->ws_bytes)).c_str(), fmt3(b->bw.med / 1e9).c_str());
  };
  const std::string bigname = std::string(c.levels[big].name) + " (2^" + std::to_string(c.levels[big].log2n) + ")";
  appendf(out, "Summary (this run's figures against the project's goals):\n");
  const row* d8 = find("dot_i8", big);
  goal_line("(1)", bigname + " dot_i8 fraction of read roofline", d8 ? d8->frac : NAN, 0.8, false);
  goal_line("", bigname + " dot_i8 / dot_f32", d8 ? d8->ratio : NAN, 3.5, true);
  bw_note(d8, find("dot_f32", big));
  const row* u8 = find("update_i8_i8 stochastic", big);
  goal_line("(2)", bigname + " update_i8_i8 stochastic / axpy_f32", u8 ? u8->ratio : NAN, 3.0, true);
  bw_note(u8, find("axpy_f32", big));
  const row* u8a = find("update_i8_i8 stochastic_ars", big);
  goal_line("", bigname + " update_i8_i8 stochastic_ars / axpy_f32", u8a ? u8a->ratio : NAN, 3.0, true);
  const row* u8x = find("update_i8_i8 stochastic_fixed", big);
  goal_line("", bigname + " update_i8_i8 stochastic_fixed / axpy_f32", u8x ? u8x->ratio : NAN, 3.0, true);
  const row* l1 = find("dot_i8", 0);
  goal_line("(3)", std::string(c.levels[0].name) + " (2^11) dot_i8 / dot_f32", l1 ? l1->ratio : NAN, 3.0, true);
  // the HALP inner loop: data streamed, the bias update no slower per element than update_i8_i8
  const row* d8f = find("dot_i8_f32", big);
  goal_line("(4)", bigname + " dot_i8_f32 fraction of read roofline", d8f ? d8f->frac : NAN, 0.8, false);
  const row* a8f = find("axpy_i8_f32", big);
  goal_line("", bigname + " axpy_i8_f32 fraction of read roofline", a8f ? a8f->frac : NAN, 0.8, false);
  for (int li : {0, 1}) {  // in cache: both compute-bound (beyond, update_bias also streams its 4-byte h)
    const row* ub = find("update_bias_i8_i8 stochastic", li);
    const row* u = find("update_i8_i8 stochastic", li);
    const std::string lvl = std::string(c.levels[li].name) + " (2^" + std::to_string(c.levels[li].log2n) + ")";
    goal_line(li == 0 ? "(5)" : "", lvl + " update_bias_i8_i8 / update_i8_i8 stoch.",
              ub != nullptr && u != nullptr ? ub->g.med / u->g.med : NAN, 1.0, true);
    const row* ubx = find("update_bias_i8_i8 stochastic_fixed", li);
    const row* ux = find("update_i8_i8 stochastic_fixed", li);
    goal_line("", lvl + " update_bias_i8_i8 / update_i8_i8 fixed",
              ubx != nullptr && ux != nullptr ? ubx->g.med / ux->g.med : NAN, 1.0, true);
  }
  if (c.placeholder)
    appendf(out, "  note: %s code measured (placeholder %s table), see ISA above.\n", lk::name(used), lk::name(c.want));

  // ---- table ----
  appendf(out, "\n%-31s %-5s %-5s %24s %5s %9s %8s %6s %8s  %s\n", "kernel", "level", "n", "G/s median [min, max]",
          "B/num", "read GB/s", "roof G/s", "frac", "ratio", "baseline");
  std::string prev;
  for (const row& r : rows) {
    if (!prev.empty() && prev != r.kernel) out += "\n";
    prev = r.kernel;
    const std::string g = fmt3(r.g.med / 1e9) + " [" + fmt3(r.g.lo / 1e9) + ", " + fmt3(r.g.hi / 1e9) + "]";
    const std::string n = "2^" + std::to_string(c.levels[r.li].log2n);
    const std::string ratio = std::isfinite(r.ratio) ? fmt3(r.ratio) + "x" : "-";
    const std::string base = r.baseline.empty() ? "(float baseline)" : "vs " + r.baseline;
    appendf(out, "%-31s %-5s %-5s %24s %5s %9s %8s %6s %8s  %s\n", r.kernel.c_str(), c.levels[r.li].name, n.c_str(),
            g.c_str(), fmt3(r.bytes_per_number).c_str(), fmt3(r.bw.med / 1e9).c_str(), fmt3(r.roof / 1e9).c_str(),
            fmt3(r.frac).c_str(), ratio.c_str(), base.c_str());
  }
  return out;
}

std::string csv_text(const config& c, const std::vector<row>& rows) {
  std::string out =
      "kernel,baseline,level,log2n,n,reps,gnum_median,gnum_min,gnum_max,bytes_per_number,working_set_bytes,"
      "read_gbs_median,roofline_gnum,roofline_fraction,ratio_vs_baseline,isa_requested,isa_table\n";
  for (const row& r : rows) {
    char ratio[32] = "";
    if (std::isfinite(r.ratio)) std::snprintf(ratio, sizeof ratio, "%.6g", r.ratio);
    appendf(out, "%s,%s,%s,%d,%zu,%d,%.6g,%.6g,%.6g,%g,%zu,%.6g,%.6g,%.6g,%s,%s,%s\n", r.kernel.c_str(),
            r.baseline.c_str(), c.levels[r.li].name, c.levels[r.li].log2n, r.n, c.reps, r.g.med / 1e9, r.g.lo / 1e9,
            r.g.hi / 1e9, r.bytes_per_number, r.ws_bytes, r.bw.med / 1e9, r.roof / 1e9, r.frac, ratio, lk::name(c.want),
            lk::name(c.tbl->id));
  }
  return out;
}

int run(int argc, char** argv) {
  // Kernel names for --help come from a listing over the scalar table.
  std::vector<std::string> names;
  for (const auto& s : kernel_specs(lk::table_for(lk::isa::scalar), loops_for_scalar)) names.push_back(s.name);
  const config c = configure(parse(argc, argv, names));
  const std::vector<kernel_spec> specs = select_kernels(c);

  // CSV: create the temporary now, so that a bad path fails before the run.
  FILE* csv = nullptr;
  if (!c.opt.csv.empty()) {
    const std::string tmp = c.opt.csv + ".tmp." + std::to_string(::getpid());
    if (tmp.size() + 1 > sizeof g_csv_tmp) die(2, "--csv: file name too long");
    csv = std::fopen(tmp.c_str(), "w");
    if (csv == nullptr) die(2, "--csv: cannot create '%s': %s", tmp.c_str(), std::strerror(errno));
    std::memcpy(g_csv_tmp, tmp.c_str(), tmp.size() + 1);
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    std::signal(SIGHUP, on_signal);
  }

  const auto t0 = clock_type::now();
  const std::vector<row> rows = measure_all(c, specs);
  const double elapsed = std::chrono::duration<double>(clock_type::now() - t0).count();

  const std::string out = report(c, rows, elapsed);
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);

  if (csv != nullptr) {
    const std::string text = csv_text(c, rows);
    const bool wrote = std::fwrite(text.data(), 1, text.size(), csv) == text.size();
    if (std::fclose(csv) != 0 || !wrote) die(1, "--csv: writing '%s' failed", g_csv_tmp);
    if (std::rename(g_csv_tmp, c.opt.csv.c_str()) != 0)
      die(1, "--csv: cannot rename '%s' to '%s': %s", g_csv_tmp, c.opt.csv.c_str(), std::strerror(errno));
    g_csv_tmp[0] = '\0';
    std::fprintf(stderr, "lowp-bench: wrote %s\n", c.opt.csv.c_str());
  }
  return 0;
}

}  // namespace lowp_bench

int main(int argc, char** argv) {
  try {
    return lowp_bench::run(argc, argv);
  } catch (const std::bad_alloc&) {
    lowp_bench::die(1, "out of memory");
  } catch (const std::exception& e) {
    lowp_bench::die(1, "error: %s", e.what());
  }
}
