// Shared fixtures for the solver tests: the spec's least-squares problem
// (halp.md section 4: N = 1000, x ~ N(0, I_d), y = x.w + 0.5 eps) and a
// trace recorder.
#ifndef LOWP_TESTS_SOLVERS_PROBLEMS_HPP
#define LOWP_TESTS_SOLVERS_PROBLEMS_HPP

#include <vector>

#include "lowp/datasets/synthetic.hpp"
#include "lowp/solvers/solvers.hpp"

namespace lowp_test {

struct ls_problem {
  lowp::datasets::synthetic::linear_regression_problem p;
  lowp::objectives::least_squares<lowp::datasets::dense_dataset> f;
  double f_star, mu, w_max;
  ls_problem(std::size_t d, double l2 = 0.0, std::uint64_t seed = 1, std::size_t n = 1000)
      : p(lowp::datasets::synthetic::linear_regression({.n = n, .d = d, .noise_sigma = 0.5, .l2 = l2, .seed = seed})),
        f(p.data, l2) {
    f_star = f.evaluate(p.w_opt.data());
    f.set_optimum(f_star);
    mu = f.strong_convexity();
    w_max = p.w_opt.cwiseAbs().maxCoeff();
  }
  std::vector<double> zeros() const { return std::vector<double>(f.dimension(), 0.0); }
  // The spec's fixed LP grid: 1.25 max|w*| / (2^{b-1} - 1).
  double lp_delta(int bits) const { return 1.25 * w_max / double((1 << (bits - 1)) - 1); }
};

struct recorder {
  std::vector<lowp::epoch_state> states;
  std::vector<std::vector<double>> models;
  bool on_epoch_end(const lowp::epoch_state& s) {
    states.push_back(s);
    models.emplace_back(s.model.begin(), s.model.end());
    states.back().model = {};
    return false;
  }
  std::vector<double> rel_gaps(double f_star) const {
    std::vector<double> g;
    for (const auto& s : states) g.push_back(s.gap / f_star);
    return g;
  }
};

}  // namespace lowp_test
#endif
