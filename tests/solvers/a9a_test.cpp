// HALP-8 on a real data set: a9a logistic regression (lambda = 1e-4, bias
// column), against float SVRG and the exact optimum PEERS.md quotes.
#include <doctest/doctest.h>

#include <filesystem>

#include "lowp/datasets/catalogue.hpp"
#include "lowp/solvers/solvers.hpp"

using namespace lowp;
namespace ds = lowp::datasets;

namespace {
template <class F>
double accuracy(const F& f, const std::vector<double>& w) {
  std::size_t ok = 0;
  for (std::size_t i = 0; i < f.examples(); ++i) ok += (f.row_dot(i, w.data()) > 0) == (f.label(i) > 0);
  return 100.0 * static_cast<double>(ok) / static_cast<double>(f.examples());
}
const std::filesystem::path root = LOWP_SOURCE_DIR "/../shared/datasets";
}  // namespace

TEST_CASE("a9a: HALP-8 test accuracy is within 0.3 points of SVRG and the objective matches the known optimum") {
  if (!std::filesystem::exists(root / "libsvm/a9a")) {
    MESSAGE("skipped: " << (root / "libsvm/a9a").string() << " is absent");
    return;
  }
  const auto train = ds::with_bias_column(ds::load_libsvm("a9a", root));
  const auto test = ds::with_bias_column(ds::load_libsvm("a9a.t", root));
  objectives::logistic_regression<ds::csr_dataset> f(train, 1e-4), ft(test, 1e-4);
  const double f_star = 0.3244834517039625496;  // PEERS.md (LIBLINEAR to 1e-14)

  std::vector<double> w_svrg(f.dimension(), 0.0), w_halp(f.dimension(), 0.0);
  const report rs = svrg<>({.step_size = 0.1, .epochs = 20, .seed = 1}).optimize(f, w_svrg);
  // Our objective is the peers' objective: SVRG reaches their f* to 1e-12.
  CHECK((rs.objective - f_star) / f_star <= 1e-12);
  CHECK(rs.objective >= f_star * (1 - 1e-15));
  // mu = 1e-2: the curvature scale near w*, not the global bound lambda (solvers/halp/README.md).
  const report rh = halp<fixed<8, dynamic_scale>>({.step_size = 0.1, .epochs = 20, .seed = 1, .mu = 1e-2})
                        .optimize(f, w_halp);
  const double acc_svrg = accuracy(ft, w_svrg), acc_halp = accuracy(ft, w_halp);
  MESSAGE("a9a test accuracy: SVRG " << acc_svrg << " %, HALP-8 " << acc_halp << " %; HALP-8 gap "
                                      << (rh.objective - f_star) / f_star);
  CHECK(std::abs(acc_halp - acc_svrg) <= 0.3);
  CHECK(acc_svrg >= 84.5);
  CHECK((rh.objective - f_star) / f_star <= 1e-6);
}
