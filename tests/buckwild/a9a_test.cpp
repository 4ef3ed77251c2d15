// Buckwild! on a real data set (Taming the Wild, NeurIPS 2015: 8-bit
// Buckwild! matches 32-bit Hogwild! in statistical efficiency): a9a logistic
// regression, lambda = 1e-4, bias column, one thread (so the statement is
// about precision and is reproducible: a 2-thread run's accuracy depends on
// the interleaving; in CI one such run gave a 0.59-point gap, another 0.23).
#include <doctest/doctest.h>

#include <filesystem>

#include "lowp/datasets/catalogue.hpp"
#include "lowp/solvers/buckwild/buckwild.hpp"

using namespace lowp;
namespace ds = lowp::datasets;

namespace {
const std::filesystem::path root = LOWP_SOURCE_DIR "/../shared/datasets";
}

TEST_CASE("a9a: 8-bit Buckwild test accuracy is within 0.5 points of float Hogwild") {
  if (!std::filesystem::exists(root / "libsvm/a9a")) {
    MESSAGE("skipped: " << (root / "libsvm/a9a").string() << " is absent");
    return;
  }
  const auto train = ds::with_bias_column(ds::load_libsvm("a9a", root));
  const auto test = ds::with_bias_column(ds::load_libsvm("a9a.t", root));
  // Step 0.1 decayed by 0.9 per epoch, 15 epochs, 1 thread. A single SGD run's
  // final test accuracy moves by up to ~0.8 points between seeds (measured,
  // 5 seeds, 1 thread), so the claim is tested on the mean over 5 seeds, whose
  // seed-to-seed spread is ~sqrt(5) smaller.
  buckwild_options o;
  o.step_size = 0.1;
  o.step_decay = 0.9;
  o.epochs = 15;
  o.l2 = 1e-4;
  o.threads = 1;
  const auto p8 = make_buckwild_problem<std::int8_t>(train, linear_loss::logistic);
  const auto t8 = make_buckwild_problem<std::int8_t>(test, linear_loss::logistic);
  const auto pf = make_buckwild_problem<float>(train, linear_loss::logistic);
  const auto tf = make_buckwild_problem<float>(test, linear_loss::logistic);
  double acc8 = 0, accf = 0, f8 = 0;
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    o.seed = seed;
    std::vector<double> w8(p8.d, 0.0), wf(pf.d, 0.0);
    const report r8 = buckwild<std::int8_t, std::int8_t, float, race::atomic_relaxed>(o).optimize(p8, w8);
    const report rf = hogwild(o).optimize(pf, wf);
    CHECK(r8.why == status::max_epochs);
    CHECK(rf.why == status::max_epochs);
    acc8 += 100 * evaluate_buckwild(t8, w8, o.l2).accuracy / 5;
    accf += 100 * evaluate_buckwild(tf, wf, o.l2).accuracy / 5;
    f8 += r8.objective / 5;
  }
  MESSAGE("a9a mean test accuracy over 5 seeds: D8M8 " << acc8 << " %, float Hogwild " << accf
                                                        << " %; mean D8M8 train objective " << f8
                                                        << " (f* = 0.32448)");
  CHECK(std::abs(acc8 - accf) <= 0.5);
  CHECK(accf >= 84.0);  // LIBLINEAR and SVRG reach 85.0 % (PEERS.md)
  CHECK(f8 < 0.3244834517039625496 * 1.1);
}
