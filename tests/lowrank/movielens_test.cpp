// MovieLens-100k folds u2-u5 (spec lowrank.md A.6.3 item 11): k = 64,
// lambda = 0.1, eta = 0.1, 20 epochs. LIBMF measured 0.9114 mean test RMSE
// on the same folds (PEERS.md); Surprise SVD 0.934. Bounds from the issue:
// float <= 0.920, 16-bit within +0.003 of float, 8-bit (stochastic) <= 0.925.
// Fold-to-fold spread is ~0.003, so the mean over 4 folds is stable to ~0.002
// across seeds (measured, seed 1: float 0.9156, q16 0.9156; 8-bit SR 0.9208 on 2 threads, 8-bit nearest 0.962).
#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include "lowp/datasets/ratings.hpp"
#include "lowp/solvers/lowrank/mf_sgd.hpp"

using namespace lowp;
using namespace lowp::lowrank;

namespace {
const std::filesystem::path root = LOWP_SOURCE_DIR "/../shared/datasets/ml-100k";
// Built by appending: GCC 12 at -O3 reports a false -Wrestrict on "u" + std::string.
std::filesystem::path fold_file(int f, const char* ext) {
  std::string n = "u";
  n += std::to_string(f);
  n += ext;
  return root / n;
}
template <class S>
double mean_test_rmse(int threads = 1) {
  double s = 0;
  for (int f = 2; f <= 5; ++f) {
    const auto tr = datasets::read_movielens(fold_file(f, ".base"));
    const auto te = datasets::read_movielens(fold_file(f, ".test"));
    const auto r = S({.rank = 64, .lambda = 0.1, .step_size = 0.1, .epochs = 20, .threads = threads, .seed = 1})
                       .fit(tr, &te);
    REQUIRE(r.why == status::max_epochs);
    s += r.trace.back().test_rmse;
  }
  return s / 4;
}
}  // namespace

TEST_CASE("movielens-100k u2-u5: float mean test RMSE <= 0.920 and 16-bit within 0.003 of it") {
  if (!std::filesystem::exists(root / "u2.base")) {
    MESSAGE("skipped: " << root.string() << " is absent");
    return;
  }
  const double f = mean_test_rmse<mf_sgd_f32>(), q16 = mean_test_rmse<mf_sgd_q16>();
  MESSAGE("mean test RMSE: float " << f << ", 16-bit " << q16 << " (LIBMF 0.9114)");
  CHECK(f <= 0.920);
  CHECK(q16 <= f + 0.003);
}

TEST_CASE("movielens-100k u2-u5: 8-bit factors with stochastic rounding mean test RMSE <= 0.925 on 2 threads") {
  if (!std::filesystem::exists(root / "u2.base")) {
    MESSAGE("skipped: " << root.string() << " is absent");
    return;
  }
  const double q8 = mean_test_rmse<mf_sgd_q8>(2);
  const double n8 = mean_test_rmse<mf_sgd<fixed<8, dynamic_scale>, round::nearest_even>>(2);
  MESSAGE("mean test RMSE: 8-bit stochastic " << q8 << ", 8-bit nearest " << n8);
  CHECK(q8 <= 0.925);
  CHECK(n8 > q8);
}
