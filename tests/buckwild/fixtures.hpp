// The Buckwild! tests' shared problem and defaults (solver, batch, replica,
// launch and distributed local-SGD tests): logistic regression with N = 1500
// (small: these tests also run under ASan and TSan, Debug) and d = 100 (not a
// multiple of 64, so the padded SIMD tails run), l2 = 1e-3.
#ifndef LOWP_TESTS_BUCKWILD_FIXTURES_HPP
#define LOWP_TESTS_BUCKWILD_FIXTURES_HPP

#include <vector>

#include "lowp/datasets/synthetic.hpp"
#include "lowp/solvers/buckwild/buckwild.hpp"

namespace buckwild_fixture {

inline const lowp::datasets::synthetic::logistic_regression_problem& logistic_data() {
  static const lowp::datasets::synthetic::logistic_regression_problem p = [] {
    lowp::datasets::synthetic::logistic_regression_params q;
    q.n = 1500;
    q.d = 100;
    q.margin_scale = 2.0;
    q.l2 = 1e-3;
    q.seed = 5;
    return lowp::datasets::synthetic::logistic_regression(q);
  }();
  return p;
}

// A dense data set as CSR: every entry (all = true; the same problem, through the scalar sparse
// path) or those with (i + j) % 3 != 0 (a thinned sparse problem).
inline lowp::datasets::csr_dataset as_csr(const lowp::datasets::dense_dataset& data, bool all) {
  lowp::datasets::csr_dataset s;
  s.d = data.d;
  s.y = data.y;
  for (std::size_t i = 0; i < data.n; ++i) {
    for (std::size_t j = 0; j < data.d; ++j)
      if (all || (i + j) % 3 != 0)
        s.indices.push_back(static_cast<std::uint32_t>(j)), s.values.push_back(data.X[i * data.d + j]);
    s.indptr.push_back(s.values.size());
  }
  return s;
}

inline lowp::buckwild_options base_options() {
  lowp::buckwild_options o;
  o.step_size = 0.005;  // ||x||^2 ~ d = 100: alpha L_max ~ 0.1
  o.step_decay = 0.9;
  o.epochs = 8;
  o.l2 = 1e-3;
  o.seed = 42;
  o.model_range = 0.0;  // 2 x max|w| of a short float run
  return o;
}

template <class Solver, class D>
std::vector<double> run(const lowp::buckwild_options& o, const lowp::buckwild_problem<D>& p,
                        lowp::report* r = nullptr) {
  std::vector<double> w(p.d, 0.0);
  const lowp::report rr = Solver(o).optimize(p, w);
  if (r) *r = rr;
  return w;
}

}  // namespace buckwild_fixture
#endif
