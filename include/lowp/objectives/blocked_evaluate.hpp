// f(w) and grad f(w) of a linear-model-shaped objective in one deterministic pass:
// rows in fixed blocks (parallel/executor.hpp), each block summed in order, the blocks
// summed in order afterwards, so any executor gives the same bits. linear_model and a
// distributed shard of one both evaluate through here, which is what lets a one-rank
// shard reproduce the full objective bit for bit.
#ifndef LOWP_OBJECTIVES_BLOCKED_EVALUATE_HPP
#define LOWP_OBJECTIVES_BLOCKED_EVALUATE_HPP

#include <algorithm>
#include <cstddef>
#include <vector>

#include "lowp/parallel/executor.hpp"

namespace lowp {
namespace objectives {

// F: examples(), outputs(), dimension(), l2(), margins(i, w, a), loss(i, a),
// derivative(i, a, c), add_row(i, c, g). Returns (1/n) sum_i f_i(w) + l2/2 ||w||^2; g (if
// not null) gets its gradient, margins_out (if not null) the n x outputs() margins at w.
template <class F, class Exec>
double blocked_evaluate(const F& f, const double* w, double* g, double* margins_out, const Exec& exec) {
  const std::size_t n = f.examples(), k = f.outputs(), dim = f.dimension();
  const parallel::row_blocks blocks(n);
  std::vector<double> part_f(blocks.count, 0.0);
  std::vector<double> part_g(g != nullptr ? blocks.count * dim : 0, 0.0);
  exec.for_each_block(blocks.count, [&](std::size_t b) {
    std::vector<double> a(k), c(k);
    double fs = 0.0;
    for (std::size_t i = blocks.begin(b); i < blocks.end(b); ++i) {
      f.margins(i, w, a.data());
      if (margins_out != nullptr) std::copy(a.begin(), a.end(), margins_out + i * k);
      fs += f.loss(i, a.data());
      if (g != nullptr) {
        f.derivative(i, a.data(), c.data());
        f.add_row(i, c.data(), part_g.data() + b * dim);
      }
    }
    part_f[b] = fs;
  });
  const double inv_n = 1.0 / static_cast<double>(n), lam = f.l2();
  double fv = 0.0, w2 = 0.0;
  for (std::size_t b = 0; b < blocks.count; ++b) fv += part_f[b];
  for (std::size_t j = 0; j < dim; ++j) w2 += w[j] * w[j];
  if (g != nullptr) {
    for (std::size_t j = 0; j < dim; ++j) {
      double s = 0.0;
      for (std::size_t b = 0; b < blocks.count; ++b) s += part_g[b * dim + j];
      g[j] = s * inv_n + lam * w[j];
    }
  }
  return fv * inv_n + 0.5 * lam * w2;
}

}  // namespace objectives
}  // namespace lowp
#endif
