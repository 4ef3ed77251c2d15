// SVRG (Johnson & Zhang 2013) and LP-SVRG (De Sa et al. 2018, Algorithm 1).
//
//   svrg<>                                   full precision (double): the reference HALP must track
//   svrg<float>                              float32 iterate; on dense float data with a one-margin loss
//                                            it runs the vectorised float32 loop (the speed baseline)
//   svrg<fixed<8, dynamic_scale>>            LP-SVRG: the iterate lives on a fixed grid of step
//                                            solver_options::delta, every write stochastically rounded;
//                                            it converges only down to a floor ~ d delta^2
//
// Each outer iteration: one full-gradient pass at the anchor w~ (multithreaded
// with a deterministic reduction through Exec), then T = epoch_length inner
// steps w <- Q(w - alpha (grad f_i(w) - grad f_i(w~) + g~)), then w~ <- w
// (option I) or a random inner iterate (option II).
#ifndef LOWP_SOLVERS_SVRG_SVRG_HPP
#define LOWP_SOLVERS_SVRG_SVRG_HPP

#include <vector>

#include "lowp/parallel/executor.hpp"
#include "lowp/quantize/stochastic.hpp"
#include "lowp/solvers/detail/svrg_family.hpp"
#include "lowp/solvers/detail/svrg_fast.hpp"

namespace lowp {

template <class Format = double, class Rounding = round::stochastic<>, parallel::executor Exec = parallel::serial>
class svrg {
  static_assert(detail::iterate_format<Format>,
                "lowp::svrg: Format must be double or float (SVRG) or a lowp::fixed<B, lowp::dynamic_scale> (LP-SVRG)");
  static_assert(rounding_policy<Rounding>, "lowp::svrg: Rounding must be a lowp::round policy");

 public:
  static constexpr const char* name = detail::iterate_codes<Format>::quantized ? "lp_svrg" : "svrg";
  explicit svrg(solver_options o = {}, Exec exec = {}) : o_(o), exec_(exec) { detail::check_common_options(name, o); }

  // w: start point in, final anchor out.
  // Objective: a linear_model_objective or any separable_objective (objective.hpp).
  template <svrg_objective Objective, callback... Cs>
  report optimize(const Objective& f, std::vector<double>& w, Cs&&... cbs) const {
    return resume(f, w, resume_point{}, cbs...);
  }
  template <svrg_objective Objective, callback... Cs>
  report resume(const Objective& f, std::vector<double>& w, const resume_point& rp, Cs&&... cbs) const {
    if constexpr (detail::svrg_f32_fast_path<Format, Objective>) {
      if (o_.inner_threads == 1) {  // the SIMD loop is sequential
        detail::svrg_f32_step<false> step(f.data());
        return detail::fast_loop("svrg_f32", o_, exec_, f, w, rp, step, cbs...);
      }
    }
    return detail::svrg_family<Format, Rounding, detail::centring::absolute>(name, o_, exec_, f, w, rp, cbs...);
  }
  const solver_options& options() const noexcept { return o_; }

 private:
  solver_options o_;
  Exec exec_;
};

template <class Format, class Rounding = round::stochastic<>, parallel::executor Exec = parallel::serial>
  requires bit_centering_format<Format>
using lp_svrg = svrg<Format, Rounding, Exec>;

}  // namespace lowp
#endif
