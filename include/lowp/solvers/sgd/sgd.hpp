// SGD and LP-SGD on a linear model.
//
//   sgd<>                          full precision (double)
//   sgd<fixed<8, dynamic_scale>>   LP-SGD: w <- Q_delta(w - alpha grad f_i(w)) on a fixed grid of step
//                                  solver_options::delta (stalls at a quantization floor)
//
// An epoch is epoch_length steps (default N) with uniform sampling; the step
// is alpha / (1 + step_decay * epoch). The objective and gradient printed per
// epoch are monitoring only and do not count as work.
#ifndef LOWP_SOLVERS_SGD_SGD_HPP
#define LOWP_SOLVERS_SGD_SGD_HPP

#include <limits>
#include <vector>

#include "lowp/parallel/executor.hpp"
#include "lowp/quantize/stochastic.hpp"
#include "lowp/solvers/detail/svrg_family.hpp"

namespace lowp {

template <class Format = double, class Rounding = round::stochastic<>, parallel::executor Exec = parallel::serial>
class sgd {
  static_assert(detail::iterate_format<Format>,
                "lowp::sgd: Format must be double (SGD) or a lowp::fixed<B, lowp::dynamic_scale> (LP-SGD)");
  static_assert(rounding_policy<Rounding>, "lowp::sgd: Rounding must be a lowp::round policy");
  using codes = detail::iterate_codes<Format>;

 public:
  static constexpr const char* name = codes::quantized ? "lp_sgd" : "sgd";
  explicit sgd(solver_options o = {}, Exec exec = {}) : o_(o), exec_(exec) { detail::check_common_options(name, o); }

  template <linear_model_objective Objective, callback... Cs>
  report optimize(const Objective& f, std::vector<double>& w, Cs&&... cbs) const {
    return run(f, w, resume_point{}, cbs...);
  }
  template <linear_model_objective Objective, callback... Cs>
  report resume(const Objective& f, std::vector<double>& w, const resume_point& rp, Cs&&... cbs) const {
    return run(f, w, rp, cbs...);
  }
  const solver_options& options() const noexcept { return o_; }

 private:
  template <class Objective, class... Cs>
  report run(const Objective& f, std::vector<double>& w, const resume_point& rp, Cs&... cbs) const {
    detail::check_model(name, f, w);
    if (codes::quantized && !(o_.delta > 0))
      throw std::invalid_argument(std::string(name) + ": a fixed-point LP solver needs solver_options::delta > 0");
    const std::size_t n = f.examples(), dim = f.dimension(), k = f.outputs(), d = f.features();
    const double alpha0 = o_.step_size > 0 ? o_.step_size : 0.2 / f.smoothness();
    const std::size_t T = o_.epoch_length > 0 ? o_.epoch_length : n;
    const double s = codes::quantized ? o_.delta : 1.0;

    detail::run_monitor mon(rp, f.optimum());
    std::vector<double> g(dim), model = w;
    double fv = f.evaluate(model.data(), g.data(), nullptr, exec_);
    double gnorm = detail::norm2(g);
    mon.set_initial_norm(gnorm);
    run_info info{name, dim, n, o_.epochs, o_.seed, codes::bits, rp.first_epoch};
    detail::callbacks_begin(info, cbs...);
    status why = status::max_epochs;
    if (rp.first_epoch == 0) {
      mon.record(0, fv, gnorm, codes::quantized ? s : std::numeric_limits<double>::quiet_NaN(), 0, 0, model);
      if (detail::callbacks_epoch_end(mon.state(), cbs...)) why = status::stopped_by_callback;
    }
    std::vector<typename codes::code> z(dim);
    std::vector<double> zd(dim), u(dim), c(k), a(k);
    std::size_t epoch = rp.first_epoch;
    for (; why == status::max_epochs && epoch < o_.epochs; ++epoch) {
      if (gnorm <= o_.tolerance) {
        why = status::converged;
        break;
      }
      saturation_counter sat;
      Rounding rounding =
          detail::make_rounding<Rounding>(detail::epoch_stream(o_.seed, epoch, detail::stream_purpose::round));
      auto sample_rng = detail::epoch_stream(o_.seed, epoch, detail::stream_purpose::sample);
      for (std::size_t j = 0; j < dim; ++j) {
        z[j] = codes::round(model[j] / s, rounding, sat);
        zd[j] = static_cast<double>(z[j]);
      }
      const double alpha = alpha0 / (1.0 + o_.step_decay * static_cast<double>(epoch));
      const double shrink = 1.0 - alpha * f.l2();
      for (std::size_t t = 0; t < T; ++t) {
        const std::size_t i = detail::uniform_index(sample_rng, n);
        for (std::size_t q = 0; q < k; ++q) a[q] = s * f.row_dot(i, zd.data() + q * d);
        f.derivative(i, a.data(), c.data());
        for (std::size_t q = 0; q < k; ++q) c[q] *= -(alpha / s);
        for (std::size_t j = 0; j < dim; ++j) u[j] = zd[j] * shrink;
        f.add_row(i, c.data(), u.data());
        for (std::size_t j = 0; j < dim; ++j) {
          z[j] = codes::round(u[j], rounding, sat);
          zd[j] = static_cast<double>(z[j]);
        }
      }
      std::vector<double> candidate(dim), g_next(dim);
      for (std::size_t j = 0; j < dim; ++j) candidate[j] = s * zd[j];
      const double f_next = f.evaluate(candidate.data(), g_next.data(), nullptr, exec_);
      const double gnorm_next = detail::norm2(g_next);
      mon.state().epoch = epoch;
      if (mon.diverged(f_next, gnorm_next, o_.divergence_factor, name)) {
        mon.record(epoch + 1, f_next, gnorm_next, s, sat.events, T, model);
        mon.state().rejected = true;
        detail::callbacks_epoch_end(mon.state(), cbs...);
        why = status::diverged;
        ++epoch;
        break;
      }
      model.swap(candidate);
      fv = f_next;
      gnorm = gnorm_next;
      mon.record(epoch + 1, fv, gnorm, codes::quantized ? s : std::numeric_limits<double>::quiet_NaN(), sat.events,
                 T, model);
      if (detail::callbacks_epoch_end(mon.state(), cbs...)) {
        why = status::stopped_by_callback;
        ++epoch;
        break;
      }
    }
    if (why == status::max_epochs && gnorm <= o_.tolerance) why = status::converged;
    w = model;
    mon.state().model = w;
    report r = mon.finish(why, fv, gnorm);
    detail::callbacks_end(mon.state(), r, cbs...);
    return r;
  }

  solver_options o_;
  Exec exec_;
};

template <class Format, class Rounding = round::stochastic<>, parallel::executor Exec = parallel::serial>
  requires bit_centering_format<Format>
using lp_sgd = sgd<Format, Rounding, Exec>;

}  // namespace lowp
#endif
