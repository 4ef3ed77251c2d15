// A second counter-based generator, built on AES rounds, for the stochastic
// rounding kernels where the RNG is the bottleneck.
//
// Construction: ARS-5 of Salmon, Moraes, Dror and Shaw ("Parallel random
// numbers: as easy as 1, 2, 3", SC'11): a 128-bit counter block is XORed
// with the key, then goes through four AES encryption rounds and one final
// round, the round keys advancing by a Weyl increment (64-bit lanes). The
// paper reports ARS-5 as the fewest rounds that pass TestU01's BigCrush;
// it is not a cipher (no real key schedule) and is not meant to be one.
//
// Why: x86 has a one-instruction AES round (AES-NI, and VAES on 512-bit
// registers), so one block of 4 draws costs 5 instructions, against 10+
// per draw for counter_draw's two mixing rounds. In the int8 stochastic
// update this removes most of the RNG cost (kernels/README.md).
//
// Layout: draw c is 32-bit word (c mod 4) of the block for counter c / 4;
// block b's input is the 128-bit little-endian integer b. Words split into
// two 16-bit dithers exactly as counter_draw's do (low half first), so every
// kernel convention carries over. The software AES round here is the
// reference (C++14, table-free S-box computed at compile time, no
// exceptions); SIMD kernels use the instructions and are tested equal.
#ifndef LOWP_QUANTIZE_ARS_HPP
#define LOWP_QUANTIZE_ARS_HPP

#include <cstdint>

#include "lowp/quantize/rng.hpp"

namespace lowp {
namespace detail {

// Every function below that the SIMD translation units call is a template on
// a Tag: each TU instantiates it with a tag of its own, so the linker never
// shares one TU's (differently compiled) copy with another; src/simd_scalar.hpp
// explains why that matters. Library code uses the default tag.
struct ars_ref_tag {};

// GF(2^8) with the AES polynomial x^8 + x^4 + x^3 + x + 1.
constexpr std::uint8_t gf_mul2(std::uint8_t a) noexcept {
  return static_cast<std::uint8_t>((a << 1) ^ ((a & 0x80) ? 0x1b : 0x00));
}
constexpr std::uint8_t gf_mul(std::uint8_t a, std::uint8_t b) noexcept {
  std::uint8_t r = 0;
  for (int i = 0; i < 8; ++i) {
    if (b & 1) r = static_cast<std::uint8_t>(r ^ a);
    a = gf_mul2(a);
    b = static_cast<std::uint8_t>(b >> 1);
  }
  return r;
}
constexpr std::uint8_t rotl8(std::uint8_t b, int k) noexcept {
  return static_cast<std::uint8_t>((b << k) | (b >> (8 - k)));
}
// The S-box from its definition: multiplicative inverse (0 -> 0), then the
// affine map b ^ rotl(b,1) ^ rotl(b,2) ^ rotl(b,3) ^ rotl(b,4) ^ 0x63.
constexpr std::uint8_t aes_sbox_entry(std::uint8_t x) noexcept {
  std::uint8_t inv = 0;
  if (x != 0) {
    std::uint8_t p = x;  // x^(254) = x^-1: square-and-multiply over the exponent bits
    inv = 1;
    for (int e = 254; e != 0; e >>= 1) {
      if (e & 1) inv = gf_mul(inv, p);
      p = gf_mul(p, p);
    }
  }
  return static_cast<std::uint8_t>(inv ^ rotl8(inv, 1) ^ rotl8(inv, 2) ^ rotl8(inv, 3) ^ rotl8(inv, 4) ^ 0x63);
}
struct aes_sbox_table {
  std::uint8_t v[256];
  constexpr aes_sbox_table() noexcept : v() {
    for (int i = 0; i < 256; ++i) v[i] = aes_sbox_entry(static_cast<std::uint8_t>(i));
  }
};
// C++14 has no inline variables: a function-local static keeps one table per program.
template <class Tag = ars_ref_tag>
const std::uint8_t* aes_sbox() noexcept {
  static constexpr aes_sbox_table t{};
  return t.v;
}

// One AES state as 16 bytes, byte i = bits 8i..8i+7 of the little-endian
// 128-bit value (the order _mm_aesenc_si128 uses); column c = bytes 4c..4c+3.
struct aes_block {
  std::uint8_t b[16];
};

template <class Tag = ars_ref_tag>
aes_block aes_block_from(std::uint64_t lo, std::uint64_t hi) noexcept {
  aes_block s{};
  for (int i = 0; i < 8; ++i) {
    s.b[i] = static_cast<std::uint8_t>(lo >> (8 * i));
    s.b[8 + i] = static_cast<std::uint8_t>(hi >> (8 * i));
  }
  return s;
}

// aesenc (last = false): ShiftRows, SubBytes, MixColumns, then XOR rk.
// aesenclast (last = true): the same without MixColumns.
template <class Tag = ars_ref_tag>
aes_block aes_round(const aes_block& s, const aes_block& rk, bool last) noexcept {
  const std::uint8_t* sb = aes_sbox<Tag>();
  struct m2 {  // x2 in GF(2^8), local to this instantiation
    static std::uint8_t f(std::uint8_t a) noexcept { return static_cast<std::uint8_t>((a << 1) ^ ((a & 0x80) ? 0x1b : 0)); }
  };
  aes_block t{};
  for (int c = 0; c < 4; ++c)
    for (int r = 0; r < 4; ++r) t.b[4 * c + r] = sb[s.b[4 * ((c + r) & 3) + r]];
  aes_block o{};
  for (int c = 0; c < 4; ++c) {
    const std::uint8_t a0 = t.b[4 * c], a1 = t.b[4 * c + 1], a2 = t.b[4 * c + 2], a3 = t.b[4 * c + 3];
    if (last) {
      o.b[4 * c] = a0, o.b[4 * c + 1] = a1, o.b[4 * c + 2] = a2, o.b[4 * c + 3] = a3;
    } else {
      o.b[4 * c] = static_cast<std::uint8_t>(m2::f(a0) ^ m2::f(a1) ^ a1 ^ a2 ^ a3);
      o.b[4 * c + 1] = static_cast<std::uint8_t>(a0 ^ m2::f(a1) ^ m2::f(a2) ^ a2 ^ a3);
      o.b[4 * c + 2] = static_cast<std::uint8_t>(a0 ^ a1 ^ m2::f(a2) ^ m2::f(a3) ^ a3);
      o.b[4 * c + 3] = static_cast<std::uint8_t>(m2::f(a0) ^ a0 ^ a1 ^ a2 ^ m2::f(a3));
    }
  }
  for (int i = 0; i < 16; ++i) o.b[i] = static_cast<std::uint8_t>(o.b[i] ^ rk.b[i]);
  return o;
}

}  // namespace detail

// The six round keys of one stream, as (lo, hi) 64-bit halves: rk0 from the
// 64-bit rng_key and a splitmix64 of it, then + (0x9E3779B97F4A7C15,
// 0xBB67AE8584CAA73B) per round in each 64-bit half (the SC'11 increments).
struct ars_keys {
  std::uint64_t lo[6], hi[6];
};
template <class Tag = detail::ars_ref_tag>
ars_keys ars_key_schedule(rng_key k) noexcept {
  ars_keys r{};
  std::uint64_t lo = std::uint64_t(k.k0) | (std::uint64_t(k.k1) << 32);
  std::uint64_t hi = lo + 0x9e3779b97f4a7c15ULL;  // splitmix64 of lo, spelled out (see Tag)
  hi = (hi ^ (hi >> 30)) * 0xbf58476d1ce4e5b9ULL;
  hi = (hi ^ (hi >> 27)) * 0x94d049bb133111ebULL;
  hi ^= hi >> 31;
  for (int i = 0; i < 6; ++i) {
    r.lo[i] = lo, r.hi[i] = hi;
    lo += 0x9E3779B97F4A7C15ULL;
    hi += 0xBB67AE8584CAA73BULL;
  }
  return r;
}

// The four draws of block b (draws 4b .. 4b+3), reference implementation.
template <class Tag = detail::ars_ref_tag>
void ars_block(const ars_keys& rk, std::uint64_t b, std::uint32_t out[4]) noexcept {
  using detail::aes_block;
  aes_block s = detail::aes_block_from<Tag>(b ^ rk.lo[0], rk.hi[0]);  // block input (b, 0) ^ rk0
  for (int i = 1; i <= 5; ++i) s = detail::aes_round<Tag>(s, detail::aes_block_from<Tag>(rk.lo[i], rk.hi[i]), i == 5);
  for (int w = 0; w < 4; ++w)
    out[w] = std::uint32_t(s.b[4 * w]) | (std::uint32_t(s.b[4 * w + 1]) << 8) |
             (std::uint32_t(s.b[4 * w + 2]) << 16) | (std::uint32_t(s.b[4 * w + 3]) << 24);
}

template <class Tag = detail::ars_ref_tag>
std::uint32_t ars_draw(const ars_keys& rk, std::uint64_t counter) noexcept {
  std::uint32_t w[4];
  ars_block<Tag>(rk, counter >> 2, w);
  return w[counter & 3];
}

// The 16-bit dither of element i of a call whose first draw is `first`
// (the ARS twin of dither16 in rng.hpp).
template <class Tag = detail::ars_ref_tag>
std::uint32_t ars_dither16(const ars_keys& rk, std::uint64_t first, std::uint64_t i) noexcept {
  const std::uint32_t r = ars_draw<Tag>(rk, first + (i >> 1));
  return (i & 1) ? (r >> 16) : (r & 0xffffU);
}

// Dithers of one kernel call in element order, one block computed per eight
// elements (what the reference kernels and the SIMD tails loop over).
template <class Tag = detail::ars_ref_tag>
class ars_dither_cursor {
 public:
  // Cheap to construct: the key schedule is computed at the first draw, so a kernel that
  // carries a cursor for a mode it does not use (and an HLS top) pays nothing for it.
  ars_dither_cursor(rng_key k, std::uint64_t first) noexcept : k_(k), first_(first) {}
  std::uint32_t at(std::uint64_t i) noexcept {
    if (!keyed_) rk_ = ars_key_schedule<Tag>(k_), keyed_ = true;
    const std::uint64_t c = first_ + (i >> 1);
    if (!valid_ || (c >> 2) != block_) {
      block_ = c >> 2, valid_ = true;
      ars_block<Tag>(rk_, block_, w_);
    }
    const std::uint32_t r = w_[c & 3];
    return (i & 1) ? (r >> 16) : (r & 0xffffU);
  }

 private:
  rng_key k_;
  ars_keys rk_{};
  std::uint64_t first_, block_ = 0;
  bool keyed_ = false, valid_ = false;
  std::uint32_t w_[4] = {0, 0, 0, 0};
};

// A stream with counter_rng's interface (so round::stochastic<ars_rng> is
// the reference policy of the kernels' stochastic_ars mode). next_u32 keeps
// the current block, so sequential draws cost one block per four.
class ars_rng {
 public:
  ars_rng(std::uint64_t seed, std::uint64_t stream) noexcept
      : base_(seed, stream), keys_(ars_key_schedule(base_.key())), counter_(0) {}
  // The ARS twin of a counter_rng stream: same key, same position. Implicit, so that a
  // solver that hands out counter_rng streams can build round::stochastic<ars_rng>.
  ars_rng(const counter_rng& stream) noexcept  // NOLINT(google-explicit-constructor)
      : base_(stream), keys_(ars_key_schedule(stream.key())), counter_(stream.counter()) {}

  rng_key key() const noexcept { return base_.key(); }
  const ars_keys& keys() const noexcept { return keys_; }
  std::uint64_t counter() const noexcept { return counter_; }
  void seek(std::uint64_t c) noexcept { counter_ = c; }
  // Kernel calls start on a block boundary (the SIMD path's fast case); the
  // skipped draws of a partial block are simply never used.
  std::uint64_t take(std::uint64_t n) noexcept {
    counter_ = (counter_ + 3) & ~std::uint64_t(3);
    const std::uint64_t c = counter_;
    counter_ += n;
    return c;
  }
  std::uint32_t next_u32() noexcept {
    if ((counter_ >> 2) != cached_block_ || !cached_) {
      cached_block_ = counter_ >> 2;
      cached_ = true;
      ars_block(keys_, cached_block_, cache_);
    }
    return cache_[counter_++ & 3];
  }
  float next_float() noexcept { return static_cast<float>(next_u32() >> 8) * (1.0f / 16777216.0f); }
  double next_double() noexcept {
    const std::uint64_t hi = next_u32() >> 5, lo = next_u32() >> 6;
    return static_cast<double>((hi << 26) | lo) * (1.0 / 9007199254740992.0);
  }

 private:
  counter_rng base_;  // only for its key derivation from (seed, stream)
  ars_keys keys_;
  std::uint64_t counter_;
  std::uint64_t cached_block_ = 0;
  bool cached_ = false;
  std::uint32_t cache_[4] = {0, 0, 0, 0};
};

}  // namespace lowp
#endif
