// The configurations the RTL tests build, and the reference model their
// simulations are compared with. Both the Verilog test top (gen_rtl.cpp) and
// the expected values come from the same C++ types: the instance parameters
// are config<...>::bits, ::frac, ... and the expected values are the
// lowp::hls templates instantiated with those types, each cross-checked with
// the library's own narrowing (lowp::narrow with round::floor / toward_zero /
// nearest_even, and round::detail::sr_shift for the stochastic mode).
#ifndef LOWP_TESTS_HLS_RTL_MODEL_HPP
#define LOWP_TESTS_HLS_RTL_MODEL_HPP

#include <cstdint>
#include <cstdio>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "lowp/hls/kernels.hpp"
#include "lowp/quantize/stochastic.hpp"

namespace lowp_hls_test {

using lowp::hls::config;
using lowp::hls::ovf;
using lowp::hls::rnd;

// Every (bits, frac, rounding, overflow) the RTL is verified for; together
// they reach every branch of lowp_round (floor, toward zero, nearest even,
// stochastic with d < 16, = 16 and > 16, d = 0, saturate and wrap).
using configs = std::tuple<config<8, 6, rnd::stochastic, ovf::saturate>,  // the headline case; also the vector lanes
                           config<8, 6, rnd::nearest_even, ovf::saturate>,
                           config<8, 4, rnd::floor, ovf::wrap>,
                           config<4, 2, rnd::stochastic, ovf::saturate, 8, 8>,  // 8 dither bits
                           config<12, 8, rnd::toward_zero, ovf::saturate>,
                           config<16, 12, rnd::stochastic, ovf::wrap>,
                           config<16, 8, rnd::stochastic, ovf::saturate, 16, 20>,  // d = 20 > 16
                           config<6, 0, rnd::nearest_even, ovf::saturate, 10, 10>>;  // integers: dot exact
constexpr int n_configs = static_cast<int>(std::tuple_size<configs>::value);
constexpr int per_config = 5;  // dot acc, dot q, quantize, sgd, halp
constexpr int vec_lanes = 4;   // lowp_sgd_vec lanes (config 0)
constexpr int n_results = n_configs * per_config + 3;  // + gibbs, counter_draw, sgd_vec
const char* const result_names[per_config] = {"dot.acc", "dot.q", "quantize", "sgd_update", "halp_step"};

// One clock's inputs. Every instance takes the low bits it needs.
struct stimulus {
  std::uint64_t in[6];
  std::uint32_t k0, k1;
  std::uint64_t ctr;
  std::uint32_t dither;  // 16 bits
  bool clr;
};

inline std::int64_t sx(std::uint64_t v, int bits) {
  const std::uint64_t m = bits >= 64 ? ~0ULL : ((1ULL << bits) - 1);
  std::uint64_t u = v & m;
  if (bits < 64 && ((u >> (bits - 1)) & 1U)) u |= ~m;
  return static_cast<std::int64_t>(u);
}
inline std::uint64_t pack(std::int64_t v, int bits, bool clip) {
  const std::uint64_t m = bits >= 64 ? ~0ULL : ((1ULL << bits) - 1);
  return (static_cast<std::uint64_t>(v) & m) | (clip ? (1ULL << 63) : 0);
}

// Stimulus with the corners over-represented: min / max / 0 / +-1 of a random
// width, values of a random width (so narrow instances see small and large
// magnitudes, and saturation edges), all-ones and zero dithers.
struct stimulus_source {
  lowp::counter_rng r;
  bool first_ = true;  // the first clock clears the accumulators (the RTL starts at X)
  explicit stimulus_source(std::uint64_t seed) : r(seed, 11) {}
  std::uint64_t u64() { return (std::uint64_t(r.next_u32()) << 32) | r.next_u32(); }
  std::uint64_t value() {
    static const int widths[] = {2, 4, 6, 8, 10, 12, 16, 20, 24, 32};
    const std::uint32_t m = r.next_u32();
    const int w = widths[(m >> 8) % 10];
    switch (m & 7U) {
      case 0: {
        const int c = (m >> 16) % 5;
        const std::int64_t lo = -(std::int64_t(1) << (w - 1)), hi = (std::int64_t(1) << (w - 1)) - 1;
        return static_cast<std::uint64_t>(c == 0 ? lo : (c == 1 ? hi : (c == 2 ? 0 : (c == 3 ? 1 : -1))));
      }
      case 1:
      case 2:
      case 3: return static_cast<std::uint64_t>(sx(u64(), 1 + static_cast<int>((m >> 16) % 33)));
      default: return u64();
    }
  }
  stimulus next() {
    stimulus s;
    for (auto& v : s.in) v = value();
    s.k0 = r.next_u32();
    s.k1 = r.next_u32();
    s.ctr = (r.next_u32() & 1U) ? u64() : r.next_u32();  // also counters that carry into the high word
    const std::uint32_t d = r.next_u32();
    s.dither = (d & 7U) == 0 ? 0xffffU : ((d & 15U) == 1 ? 0U : (d >> 16));
    s.clr = (d & 0x3f00U) == 0 || first_;  // a new dot product every 64 clocks on average
    first_ = false;
    return s;
  }
};

// Rounding with a given 16-bit dither, through the library's sr_shift.
struct given_dither {
  std::uint32_t d;
  std::int64_t shift(std::int64_t v, int n) const noexcept { return lowp::round::detail::sr_shift(v, n, d); }
};
template <class To, class From>
To library_narrow(From x, rnd r, std::uint32_t dither, bool* clip) {
  lowp::saturation_counter c;
  To y;
  switch (r) {
    case rnd::floor: y = lowp::narrow<To>(x, lowp::round::floor{}, &c); break;
    case rnd::toward_zero: y = lowp::narrow<To>(x, lowp::round::toward_zero{}, &c); break;
    case rnd::nearest_even: y = lowp::narrow<To>(x, lowp::round::nearest_even{}, &c); break;
    default: y = lowp::narrow<To>(x, given_dither{dither}, &c); break;
  }
  *clip = c.events != 0;
  return y;
}

class model {
 public:
  // mutate: a deliberately wrong reference (one dither bit flipped in the
  // SGD lanes) that the simulations must catch.
  explicit model(bool mutate = false) : mutate_(mutate) {}

  // Expected outputs after the clock edge that consumed s.
  std::vector<std::uint64_t> step(const stimulus& s) {
    std::vector<std::uint64_t> out(n_results, 0);
    step_all(s, out, std::make_index_sequence<n_configs>{});
    const int g = n_configs * per_config;
    using c0 = std::tuple_element<0, configs>::type;
    const auto p = lowp::hls::make<c0::prob_t>(static_cast<std::int64_t>(s.in[5] & 0x1ffffU));
    out[g] = lowp::hls::gibbs_flip<c0>(p, s.dither) ? 1 : 0;
    const std::uint32_t draw = lowp::counter_draw(lowp::rng_key{s.k0, s.k1}, s.ctr);
    out[g + 1] = draw;
    std::uint64_t vec = 0;
    for (int i = 0; i < vec_lanes; ++i) {
      bool clip = false;
      const std::uint32_t d = lowp::dither16(lowp::rng_key{s.k0, s.k1}, s.ctr, std::uint64_t(i));
      const auto w = lowp::hls::sgd_lane<c0>(lowp::hls::make<c0::value_t>(sx(s.in[0] >> (8 * i), 8)),
                                             lowp::hls::make<c0::value_t>(sx(s.in[1] >> (8 * i), 8)),
                                             lowp::hls::make<c0::coef_t>(sx(s.in[3], 16)), mutated(d), &clip);
      vec |= (static_cast<std::uint64_t>(lowp::hls::raw(w)) & 0xffU) << (8 * i);
      vec |= (clip ? 1ULL : 0ULL) << (32 + i);
    }
    out[g + 2] = vec;
    return out;
  }
  long disagreements() const noexcept { return disagree_; }  // template vs library form

  static std::string name_of(int k) {
    if (k >= n_configs * per_config) {
      static const char* g[] = {"gibbs_flip", "counter_draw", "sgd_vec(config 0, 4 lanes)"};
      return g[k - n_configs * per_config];
    }
    return "config " + std::to_string(k / per_config) + " " + result_names[k % per_config];
  }

 private:
  std::uint32_t mutated(std::uint32_t d) const noexcept { return mutate_ ? (d ^ 0x0100U) : d; }

  template <std::size_t... I>
  void step_all(const stimulus& s, std::vector<std::uint64_t>& out, std::index_sequence<I...>) {
    (step_one<I>(s, out), ...);
  }

  template <std::size_t I>
  void step_one(const stimulus& s, std::vector<std::uint64_t>& out) {
    using C = typename std::tuple_element<I, configs>::type;
    using V = typename C::value_t;
    using lowp::hls::make;
    using lowp::hls::raw;
    constexpr int B = C::bits, CB = C::coef_bits;
    std::uint64_t* o = out.data() + I * per_config;
    const V a = make<V>(sx(s.in[0], B)), b = make<V>(sx(s.in[1], B));
    bool clip = false, lclip = false;
    // dot: acc <= (clr ? 0 : acc) + a*b; q = round(acc) after the edge.
    auto& acc = std::get<I>(acc_);
    acc = lowp::hls::mac_step<C>(s.clr ? typename C::acc_t() : acc, a, b);
    o[0] = pack(raw(acc), C::acc_bits, false);
    const V q = lowp::hls::dot_round<C>(acc, s.dither, &clip);
    check(raw(q), clip, library_narrow<V>(acc, C::rounding, s.dither, &lclip), lclip);
    o[1] = pack(raw(q), B, clip);
    // quantize
    const auto wv = make<typename C::wide_t>(sx(s.in[2], 32));
    const V qq = lowp::hls::quantize_lane<C>(wv, s.dither, &clip);
    check(raw(qq), clip, library_narrow<V>(wv, C::rounding, s.dither, &lclip), lclip);
    o[2] = pack(raw(qq), B, clip);
    // sgd
    const auto ca = make<typename C::coef_t>(sx(s.in[3], CB)), cb = make<typename C::coef_t>(sx(s.in[4], CB));
    const V w = lowp::hls::sgd_lane<C>(a, b, ca, I == 0 ? mutated(s.dither) : s.dither, &clip);
    if (I != 0 || !mutate_) check(raw(w), clip, library_narrow<V>(a + ca * b, C::rounding, s.dither, &lclip), lclip);
    o[3] = pack(raw(w), B, clip);
    // halp: z = a, x = b
    const V z = lowp::hls::halp_lane<C>(a, b, wv, ca, cb, s.dither, &clip);
    check(raw(z), clip, library_narrow<V>(a + ((wv + ca * b) + cb * a), C::rounding, s.dither, &lclip), lclip);
    o[4] = pack(raw(z), B, clip);
  }

  // The library value is taken by value first, so its clip flag is read after it was set.
  template <class V>
  void check(std::int64_t v, bool c, V lib, const bool& lc) {
    const std::int64_t lv = lowp::hls::raw(lib);
    if (v != lv || c != lc) {
      if (disagree_ < 10)
        std::printf("model: lowp::hls template %lld/%d != library narrow %lld/%d\n", static_cast<long long>(v), c,
                    static_cast<long long>(lv), lc);
      ++disagree_;
    }
  }

  template <class T>
  struct acc_of {
    using type = typename T::acc_t;
  };
  template <class... Cs>
  static std::tuple<typename acc_of<Cs>::type...> make_accs(std::tuple<Cs...>*);
  decltype(make_accs(static_cast<configs*>(nullptr))) acc_{};
  bool mutate_;
  long disagree_ = 0;
};

}  // namespace lowp_hls_test
#endif
