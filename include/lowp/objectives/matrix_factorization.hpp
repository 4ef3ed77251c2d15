// Regularized matrix factorization of a ratings matrix (users x items):
//   minimize  Σ_{(u,v,r) ∈ Ω} (r - pred(u,v))² + λ_P Σ_u ||p_u||² + λ_Q Σ_v ||q_v||²
//   pred(u,v) = p_uᵀ q_v  [+ μ + b_u + b_v with biases]
// (the LIBMF objective, spec lowrank.md A.6.2). This header holds the model
// (factors in real units, as doubles-free float arrays) and its measures;
// solvers/lowrank/mf_sgd.hpp trains it.
#ifndef LOWP_OBJECTIVES_MATRIX_FACTORIZATION_HPP
#define LOWP_OBJECTIVES_MATRIX_FACTORIZATION_HPP

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "lowp/datasets/dataset.hpp"

namespace lowp {
namespace objectives {

struct mf_model {
  std::size_t users = 0, items = 0, rank = 0;
  std::vector<float> P;  // users x rank, row-major, real units
  std::vector<float> Q;  // items x rank
  std::vector<float> user_bias, item_bias;  // empty without biases
  double mean = 0.0;     // μ: added to every prediction (0 without biases)
  double fallback = 0.0; // prediction for ids the model has never seen (the training mean)

  double predict(std::uint32_t u, std::uint32_t v) const noexcept {
    if (u >= users || v >= items) return fallback;
    const float* p = P.data() + std::size_t(u) * rank;
    const float* q = Q.data() + std::size_t(v) * rank;
    double s = mean;
    for (std::size_t c = 0; c < rank; ++c) s += double(p[c]) * double(q[c]);
    if (!user_bias.empty()) s += double(user_bias[u]) + double(item_bias[v]);
    return s;
  }
};

// Root mean squared error of the model's predictions on `data`.
inline double rmse(const mf_model& m, const datasets::ratings& data) {
  if (data.size() == 0) throw std::invalid_argument("rmse: no ratings");
  double s = 0;
  for (std::size_t k = 0; k < data.size(); ++k) {
    const double e = double(data.rating[k]) - m.predict(data.user[k], data.item[k]);
    s += e * e;
  }
  return std::sqrt(s / double(data.size()));
}

// The regularized objective above (λ on every factor row, as LIBMF's l2).
inline double mf_objective(const mf_model& m, const datasets::ratings& data, double lambda_p, double lambda_q) {
  double s = 0;
  for (std::size_t k = 0; k < data.size(); ++k) {
    const double e = double(data.rating[k]) - m.predict(data.user[k], data.item[k]);
    s += e * e;
  }
  double np = 0, nq = 0;
  for (float x : m.P) np += double(x) * x;
  for (float x : m.Q) nq += double(x) * x;
  return s + lambda_p * np + lambda_q * nq;
}

}  // namespace objectives
}  // namespace lowp
#endif
