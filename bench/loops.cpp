// The benchmark's own reference loops: the stream-read loop that measures read
// bandwidth (the roofline) and the float copy-scale baseline for quantize /
// dequantize.
//
// This file is compiled several times (see bench/CMakeLists.txt), once per
// ISA, with exactly the -m flags of the matching kernel translation unit in
// src/ and the same optimisation and lowp_dev_flags; LOWP_BENCH_LOOPS_NS names
// the namespace of each copy. The loops use GCC vector extensions of the
// native register width of each copy (16, 32 or 64 bytes: wider types would be
// split and spilled), so they do not depend on the auto-vectoriser.
#include <cstddef>
#include <cstdint>
#include <cstring>

#ifndef LOWP_BENCH_LOOPS_NS
#error "LOWP_BENCH_LOOPS_NS must name the namespace of this copy (set by bench/CMakeLists.txt)"
#endif

namespace lowp_bench {
namespace LOWP_BENCH_LOOPS_NS {

namespace {
#if defined(__AVX512F__)
constexpr std::size_t vbytes = 64;
#elif defined(__AVX2__)
constexpr std::size_t vbytes = 32;
#else
constexpr std::size_t vbytes = 16;
#endif
typedef std::uint64_t vu __attribute__((vector_size(vbytes), may_alias));
typedef float vf __attribute__((vector_size(vbytes), may_alias));
constexpr std::size_t vwords = vbytes / 8, vfloats = vbytes / 4;
}  // namespace

// XOR of the buffer's 64-bit words (then of its last bytes % 8, one by one):
// a read loop that needs as little arithmetic as possible per load. The
// buffer is read as 4 concurrent streams (its four quarters) with 2
// accumulators each; each accumulator takes two loads per step, which AVX-512
// folds into one vpternlogq (one plain load + one load-operand op), so the
// loop is bound by the loads, not by the vector ALU ports. `p` must be
// 64-byte aligned; any length works.
std::uint64_t read_xor(const unsigned char* p, std::size_t bytes) noexcept {
  const std::size_t q = bytes / 4 / (4 * vbytes) * (4 * vbytes);  // bytes per stream, whole steps
  const vu* s0 = reinterpret_cast<const vu*>(p);
  const vu* s1 = reinterpret_cast<const vu*>(p + q);
  const vu* s2 = reinterpret_cast<const vu*>(p + 2 * q);
  const vu* s3 = reinterpret_cast<const vu*>(p + 3 * q);
  vu a0 = {}, a1 = {}, a2 = {}, a3 = {}, a4 = {}, a5 = {}, a6 = {}, a7 = {};
  const std::size_t nv = q / vbytes;
  for (std::size_t i = 0; i < nv; i += 4) {
    a0 ^= s0[i] ^ s0[i + 1];
    a1 ^= s1[i] ^ s1[i + 1];
    a2 ^= s2[i] ^ s2[i + 1];
    a3 ^= s3[i] ^ s3[i + 1];
    a4 ^= s0[i + 2] ^ s0[i + 3];
    a5 ^= s1[i + 2] ^ s1[i + 3];
    a6 ^= s2[i + 2] ^ s2[i + 3];
    a7 ^= s3[i + 2] ^ s3[i + 3];
  }
  const vu a = ((a0 ^ a1) ^ (a2 ^ a3)) ^ ((a4 ^ a5) ^ (a6 ^ a7));
  std::uint64_t r = 0;
  for (std::size_t l = 0; l < vwords; ++l) r ^= a[l];
  std::size_t b = 4 * q;
  for (; b + 8 <= bytes; b += 8) {
    std::uint64_t w;
    std::memcpy(&w, p + b, 8);
    r ^= w;
  }
  for (; b < bytes; ++b) r ^= p[b];
  return r;
}

// y[i] = x[i] * s: the float "copy-scale" baseline for quantize / dequantize
// (reads 4 bytes and writes 4 bytes per number). Any alignment, any length.
void scale_f32(const float* x, std::size_t n, float s, float* y) noexcept {
  vf vs;
  for (std::size_t l = 0; l < vfloats; ++l) vs[l] = s;
  std::size_t i = 0;
  for (; i + 2 * vfloats <= n; i += 2 * vfloats) {
    vf u0, u1;
    std::memcpy(&u0, x + i, sizeof u0);
    std::memcpy(&u1, x + i + vfloats, sizeof u1);
    u0 *= vs;
    u1 *= vs;
    std::memcpy(y + i, &u0, sizeof u0);
    std::memcpy(y + i + vfloats, &u1, sizeof u1);
  }
  for (; i < n; ++i) y[i] = x[i] * s;
}

}  // namespace LOWP_BENCH_LOOPS_NS
}  // namespace lowp_bench
