// HALP: High-Accuracy Low-Precision training (De Sa, Leszczynski, Zhang,
// Marzoev, Aberger, Olukotun, Re; arXiv 1803.03383, Algorithm 2).
//
// SVRG whose inner iterate is a b-bit offset z from the full-precision anchor
// w~_k, re-centred (z <- 0) and re-scaled (s_k = ||g~_k|| / (mu (2^{b-1}-1)))
// every outer iteration: "bit centering". Because ||w~_k - w*|| <= ||g~_k||/mu
// for mu-strongly convex f, the b-bit box around w~_k always contains w*, and
// it shrinks with the gradient, so HALP converges linearly to the exact
// optimum where LP-SVRG stalls. solvers/halp/README.md maps each line of the
// paper's algorithm to the code.
//
//   halp<fixed<8, dynamic_scale>>                    HALP-8 with stochastic rounding
//   halp<fixed<8, dynamic_scale>, round::nearest_even>  ablation: freezes (spec 6.6.8)
//   halp<double>                                      quantization disabled: equals SVRG to ~1e-12
//   halp<fixed<8, dynamic_scale>, round::stochastic_fixed>  the integer form of the inner update
//   halp<float>                                       float32 offset from the double anchor: on float32
//                                                     data, centred float32 SVRG (no float32 floor)
//
// On int8 data (objectives over datasets::quantized_dense<int8_t> with one
// scale, least squares or logistic loss) HALP-8 and HALP-16 run the integer
// inner loop of spec 6.4 on the SIMD kernels; everything else runs the double
// reference loop, which is what the property tests exercise.
//
// Too few bits for the problem (d, kappa) makes HALP diverge geometrically;
// that is detected and returned as status::diverged with an explanation.
#ifndef LOWP_SOLVERS_HALP_HALP_HPP
#define LOWP_SOLVERS_HALP_HALP_HPP

#include <vector>

#include "lowp/parallel/executor.hpp"
#include "lowp/quantize/stochastic.hpp"
#include "lowp/solvers/detail/svrg_family.hpp"
#include "lowp/solvers/detail/svrg_fast.hpp"
#include "lowp/types/fixed.hpp"
#include "lowp/types/scale.hpp"

namespace lowp {

template <class Format = fixed<8, dynamic_scale>, class Rounding = round::stochastic<>,
          parallel::executor Exec = parallel::serial>
class halp {
  static_assert(std::is_same_v<Format, double> || std::is_same_v<Format, float> || bit_centering_format<Format>,
                "lowp::halp re-centres and re-scales every epoch: use lowp::fixed<B, lowp::dynamic_scale> "
                "(or double / float to disable quantization)");
  static_assert(rounding_policy<Rounding>, "lowp::halp: Rounding must be a lowp::round policy");

 public:
  static constexpr const char* name = "halp";
  explicit halp(solver_options o = {}, Exec exec = {}) : o_(o), exec_(exec) { detail::check_common_options(name, o); }

  // Objective: a linear_model_objective (the structured and SIMD paths) or any
  // separable_objective (the generic double reference loop).
  template <svrg_objective Objective, callback... Cs>
  report optimize(const Objective& f, std::vector<double>& w, Cs&&... cbs) const {
    return resume(f, w, resume_point{}, cbs...);
  }
  template <svrg_objective Objective, callback... Cs>
  report resume(const Objective& f, std::vector<double>& w, const resume_point& rp, Cs&&... cbs) const {
    if constexpr (detail::halp_fast_path<Format, Rounding, Objective>) {
      // The SIMD loop is sequential; a Hogwild! inner loop (inner_threads > 1) runs the reference loop.
      if (f.data().mode() == datasets::scale_mode::per_dataset && !reference_ && o_.inner_threads == 1) {
        const double mu = o_.mu > 0 ? o_.mu : f.strong_convexity();
        if (!(mu > 0)) throw std::invalid_argument("halp: mu must be > 0; set solver_options::mu");
        detail::halp_int8_step<Format, Rounding> step(f.data(), mu);
        return detail::fast_loop(name, o_, exec_, f, w, rp, step, cbs...);
      }
    }
    if constexpr (detail::halp_f32_fast_path<Format, Objective>) {
      // float32 data and offset: centred float32 SVRG (no quantization, so no scale and no mu).
      if (!reference_ && o_.inner_threads == 1) {
        detail::svrg_f32_step<true> step(f.data());
        return detail::fast_loop(name, o_, exec_, f, w, rp, step, cbs...);
      }
    }
    return detail::svrg_family<Format, Rounding, detail::centring::bit_centering>(name, o_, exec_, f, w, rp,
                                                                                  cbs...);
  }
  // Force the double reference loop even where a fast path exists (tests, ablations).
  halp& use_reference_loop(bool on = true) noexcept {
    reference_ = on;
    return *this;
  }
  const solver_options& options() const noexcept { return o_; }

 private:
  solver_options o_;
  Exec exec_;
  bool reference_ = false;
};

using halp8 = halp<fixed<8, dynamic_scale>>;
using halp16 = halp<fixed<16, dynamic_scale>>;

}  // namespace lowp
#endif
