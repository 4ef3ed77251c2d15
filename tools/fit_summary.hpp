// What `lowp sgd|svrg|halp` prints after training, with or without
// --distributed: train accuracy (classification losses) and the test set's
// accuracy or objective.
#ifndef LOWP_TOOLS_FIT_SUMMARY_HPP
#define LOWP_TOOLS_FIT_SUMMARY_HPP

#include <cstddef>
#include <cstdio>
#include <string>
#include <vector>

namespace lowp_cli {

// Fraction of examples classified correctly (logistic: sign; softmax: argmax).
template <class F>
double accuracy(const F& f, const std::vector<double>& w) {
  std::size_t ok = 0;
  const std::size_t k = f.outputs();
  std::vector<double> a(k);
  for (std::size_t i = 0; i < f.examples(); ++i) {
    f.margins(i, w.data(), a.data());
    if (k == 1) {
      ok += (a[0] > 0) == (f.label(i) > 0);
    } else {
      std::size_t best = 0;
      for (std::size_t c = 1; c < k; ++c) best = a[c] > a[best] ? c : best;
      ok += static_cast<double>(best) == f.label(i);
    }
  }
  return static_cast<double>(ok) / static_cast<double>(f.examples());
}

template <class F>
void print_fit_summary(const F& f, const F* test, const std::vector<double>& w, const std::string& loss) {
  if (loss != "least_squares") std::printf("train accuracy %.2f %%\n", 100 * accuracy(f, w));
  if (test == nullptr) return;
  if (loss == "least_squares")
    std::printf("test objective %.12g\n", test->evaluate(w.data()));
  else
    std::printf("test accuracy %.2f %%\n", 100 * accuracy(*test, w));
}

}  // namespace lowp_cli
#endif
