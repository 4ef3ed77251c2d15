// Discrete factor graphs for Gibbs sampling (issue 8, spec gibbs.md B.6).
//
// Two model types share one sampler interface (gibbs.hpp):
//  - factor_graph: general discrete variables (cardinality <= 255, stored as
//    uint8) and factors given as tables of non-negative potentials, kept as
//    log-potentials (-inf for a zero entry, so zero-probability states are
//    exactly impossible). Built from a UAI model (datasets/uai.hpp).
//  - ising_model: the pairwise +-1 fast path, pi(s) ~ exp(sum_ij b_ij s_i s_j
//    + sum_i h_i s_i), spins stored as 0/1 (1 = +1). Its conditional is one
//    sigmoid of the local field instead of a table walk per factor.
// Both keep CSR adjacency (variable -> factors / neighbours) and an evidence
// vector (-1 = free; otherwise the clamped value, which samplers never change).
//
// The interface a sampler uses:
//   n_vars(), cardinality(v), evidence(v),
//   conditional(v, read, prob): prob[0..card) = pi(x_v = c | read(u) for the
//     neighbours u); returns false when every value has probability 0 (only
//     reachable through stale reads; the sampler then keeps x_v).
#ifndef LOWP_SOLVERS_GIBBS_FACTOR_GRAPH_HPP
#define LOWP_SOLVERS_GIBBS_FACTOR_GRAPH_HPP

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "lowp/datasets/uai.hpp"

namespace lowp {
namespace gibbs {

inline constexpr int max_cardinality = 16;  // conditional() writes into a stack buffer of this size

class factor_graph {
 public:
  factor_graph() = default;
  explicit factor_graph(std::vector<std::uint32_t> cardinalities) { set_variables(std::move(cardinalities)); }

  void set_variables(std::vector<std::uint32_t> cardinalities) {
    card_.clear();
    for (std::uint32_t c : cardinalities) {
      if (c < 1 || c > static_cast<std::uint32_t>(max_cardinality))
        throw std::invalid_argument("factor_graph: cardinality " + std::to_string(c) + " not in [1, " +
                                    std::to_string(max_cardinality) + "]");
      card_.push_back(static_cast<std::uint8_t>(c));
    }
    evidence_.assign(card_.size(), -1);
    f_begin_.assign(1, 0);
    f_vars_.clear();
    f_stride_.clear();
    t_begin_.assign(1, 0);
    log_table_.clear();
    built_ = false;
  }

  // Table entries >= 0 and finite; the last scope variable varies fastest (UAI order).
  void add_factor(const std::vector<std::uint32_t>& scope, const std::vector<double>& table) {
    std::uint64_t size = 1;
    for (std::uint32_t v : scope) {
      if (v >= card_.size()) throw std::invalid_argument("factor_graph: variable " + std::to_string(v) + " out of range");
      size *= card_[v];
    }
    if (table.size() != size)
      throw std::invalid_argument("factor_graph: table has " + std::to_string(table.size()) + " entries, expected " +
                                  std::to_string(size));
    std::uint32_t stride = 1;
    const std::size_t at = f_vars_.size();
    f_vars_.resize(at + scope.size());
    f_stride_.resize(at + scope.size());
    for (std::size_t k = scope.size(); k-- > 0;) {
      f_vars_[at + k] = scope[k];
      f_stride_[at + k] = stride;
      stride *= card_[scope[k]];
    }
    f_begin_.push_back(static_cast<std::uint32_t>(f_vars_.size()));
    for (double t : table) {
      if (!(t >= 0.0) || !std::isfinite(t)) throw std::invalid_argument("factor_graph: table entry not finite and >= 0");
      log_table_.push_back(t > 0.0 ? std::log(t) : -std::numeric_limits<double>::infinity());
    }
    t_begin_.push_back(log_table_.size());
    built_ = false;
  }

  void set_evidence(std::uint32_t v, std::uint32_t value) {
    if (v >= card_.size() || value >= card_[v]) throw std::invalid_argument("factor_graph: bad evidence");
    evidence_[v] = static_cast<std::int16_t>(value);
  }

  // Builds the variable -> (factor, scope position) CSR. Samplers call it.
  void finalize() {
    if (built_) return;
    const std::size_t n = card_.size();
    v_begin_.assign(n + 1, 0);
    for (std::uint32_t v : f_vars_) ++v_begin_[v + 1];
    for (std::size_t v = 0; v < n; ++v) v_begin_[v + 1] += v_begin_[v];
    v_factor_.assign(f_vars_.size(), 0);
    v_slot_.assign(f_vars_.size(), 0);
    std::vector<std::uint32_t> fill(v_begin_.begin(), v_begin_.end() - 1);
    for (std::uint32_t f = 0; f + 1 < f_begin_.size(); ++f)
      for (std::uint32_t s = f_begin_[f]; s < f_begin_[f + 1]; ++s) {
        const std::uint32_t k = fill[f_vars_[s]]++;
        v_factor_[k] = f;
        v_slot_[k] = s;
      }
    built_ = true;
  }

  std::size_t n_vars() const noexcept { return card_.size(); }
  std::size_t n_factors() const noexcept { return f_begin_.size() - 1; }
  int cardinality(std::size_t v) const noexcept { return card_[v]; }
  int evidence(std::size_t v) const noexcept { return evidence_[v]; }

  // Read is a callable u -> current (or stale) value of variable u.
  template <class Read>
  bool conditional(std::size_t v, Read&& read, double* prob) const {
    const int c = card_[v];
    double pot[max_cardinality];
    for (int k = 0; k < c; ++k) pot[k] = 0.0;
    for (std::uint32_t e = v_begin_[v]; e < v_begin_[v + 1]; ++e) {
      const std::uint32_t f = v_factor_[e], self = v_slot_[e];
      std::uint64_t idx = t_begin_[f];
      for (std::uint32_t s = f_begin_[f]; s < f_begin_[f + 1]; ++s)
        if (s != self) idx += static_cast<std::uint64_t>(f_stride_[s]) * read(f_vars_[s]);
      for (int k = 0; k < c; ++k) pot[k] += log_table_[idx + static_cast<std::uint64_t>(f_stride_[self]) * k];
    }
    double m = -std::numeric_limits<double>::infinity();
    for (int k = 0; k < c; ++k) m = std::max(m, pot[k]);
    if (m == -std::numeric_limits<double>::infinity()) return false;
    double z = 0.0;
    for (int k = 0; k < c; ++k) z += prob[k] = std::exp(pot[k] - m);
    for (int k = 0; k < c; ++k) prob[k] /= z;
    return true;
  }

  // Unnormalised log-probability of a full assignment (exact enumeration in tests).
  double log_potential(const std::vector<std::uint8_t>& x) const {
    double s = 0.0;
    for (std::size_t f = 0; f + 1 < f_begin_.size(); ++f) {
      std::uint64_t idx = t_begin_[f];
      for (std::uint32_t k = f_begin_[f]; k < f_begin_[f + 1]; ++k) idx += static_cast<std::uint64_t>(f_stride_[k]) * x[f_vars_[k]];
      s += log_table_[idx];
    }
    return s;
  }

 private:
  std::vector<std::uint8_t> card_;
  std::vector<std::int16_t> evidence_;
  std::vector<std::uint32_t> f_begin_{0}, f_vars_, f_stride_;
  std::vector<std::uint64_t> t_begin_{0};
  std::vector<double> log_table_;
  std::vector<std::uint32_t> v_begin_, v_factor_, v_slot_;
  bool built_ = false;
};

// A UAI model (MARKOV or BAYES; both are products of their tables) plus optional evidence.
inline factor_graph from_uai(const datasets::uai_model& m, const datasets::uai_evidence& ev = {}) {
  for (std::size_t v = 0; v < m.cardinalities.size(); ++v)
    if (m.cardinalities[v] > static_cast<std::uint32_t>(max_cardinality))
      throw std::invalid_argument("variable " + std::to_string(v) + " has cardinality " +
                                  std::to_string(m.cardinalities[v]) + "; the Gibbs sampler supports at most " +
                                  std::to_string(max_cardinality));
  factor_graph g(m.cardinalities);
  for (const auto& f : m.factors) g.add_factor(f.scope, f.table);
  for (const auto& [v, val] : ev) g.set_evidence(v, val);
  g.finalize();
  return g;
}

// Pairwise +-1 model: pi(s) ~ exp(sum_{edges} beta_ij s_i s_j + sum_i h_i s_i).
class ising_model {
 public:
  struct edge {
    std::uint32_t i, j;
    double beta;
  };
  ising_model(std::size_t n, const std::vector<edge>& edges, std::vector<double> h) : h_(std::move(h)) {
    if (h_.size() != n) throw std::invalid_argument("ising_model: h must have one entry per spin");
    evidence_.assign(n, -1);
    begin_.assign(n + 1, 0);
    for (const auto& e : edges) {
      if (e.i >= n || e.j >= n || e.i == e.j) throw std::invalid_argument("ising_model: bad edge");
      ++begin_[e.i + 1];
      ++begin_[e.j + 1];
    }
    for (std::size_t v = 0; v < n; ++v) begin_[v + 1] += begin_[v];
    nbr_.resize(begin_[n]);
    beta_.resize(begin_[n]);
    std::vector<std::uint32_t> fill(begin_.begin(), begin_.end() - 1);
    for (const auto& e : edges) {
      nbr_[fill[e.i]] = e.j;
      beta_[fill[e.i]++] = e.beta;
      nbr_[fill[e.j]] = e.i;
      beta_[fill[e.j]++] = e.beta;
    }
  }

  std::size_t n_vars() const noexcept { return h_.size(); }
  int cardinality(std::size_t) const noexcept { return 2; }
  int evidence(std::size_t v) const noexcept { return evidence_[v]; }
  void set_evidence(std::uint32_t v, int spin01) { evidence_.at(v) = static_cast<std::int16_t>(spin01 != 0); }
  void finalize() {}

  template <class Read>
  bool conditional(std::size_t v, Read&& read, double* prob) const {
    double field = h_[v];
    for (std::uint32_t e = begin_[v]; e < begin_[v + 1]; ++e) field += read(nbr_[e]) ? beta_[e] : -beta_[e];
    prob[1] = 1.0 / (1.0 + std::exp(-2.0 * field));
    prob[0] = 1.0 - prob[1];
    return true;
  }

  double log_potential(const std::vector<std::uint8_t>& x) const {
    double s = 0.0;
    for (std::size_t v = 0; v < h_.size(); ++v) {
      const double sv = x[v] ? 1.0 : -1.0;
      s += h_[v] * sv;
      for (std::uint32_t e = begin_[v]; e < begin_[v + 1]; ++e)
        if (nbr_[e] > v) s += beta_[e] * sv * (x[nbr_[e]] ? 1.0 : -1.0);
    }
    return s;
  }

  // Fixed-point energies: every coupling and field rounded to the nearest
  // multiple of 2^-frac_bits (ties to even), with |value| < 2^(int_bits), so
  // the local field is an exact sum of small integers times 2^-frac_bits, as
  // an int32 accumulator would compute it. This changes the model itself
  // (no sampler can undo it): compare against exact_marginals of the
  // quantized model. Out-of-range weights throw (no silent saturation).
  ising_model quantized(int frac_bits, int int_bits = 7) const {
    if (frac_bits < 0 || frac_bits > 24 || int_bits < 1 || int_bits > 7)
      throw std::invalid_argument("ising_model::quantized: frac_bits in 0..24, int_bits in 1..7");
    const double step = std::ldexp(1.0, -frac_bits), limit = std::ldexp(1.0, int_bits);
    auto q = [&](double w) {
      const double r = std::nearbyint(w / step) * step;  // default FE_TONEAREST: ties to even
      if (!(std::abs(r) < limit)) throw std::invalid_argument("ising_model::quantized: weight out of fixed-point range");
      return r;
    };
    ising_model m = *this;
    for (double& b : m.beta_) b = q(b);
    for (double& x : m.h_) x = q(x);
    return m;
  }

  // Dobrushin total influence alpha = max_i sum_j tanh|beta_ij|; the
  // bias and mixing bounds of De Sa et al. need alpha < 1.
  double total_influence() const {
    double a = 0.0;
    for (std::size_t v = 0; v < h_.size(); ++v) {
      double s = 0.0;
      for (std::uint32_t e = begin_[v]; e < begin_[v + 1]; ++e) s += std::tanh(std::abs(beta_[e]));
      a = std::max(a, s);
    }
    return a;
  }

  // The same model as a general factor graph (one 2x2 table per edge, one unary per spin).
  factor_graph to_factor_graph() const {
    factor_graph g(std::vector<std::uint32_t>(h_.size(), 2));
    for (std::uint32_t v = 0; v < h_.size(); ++v) {
      g.add_factor({v}, {std::exp(-h_[v]), std::exp(h_[v])});
      for (std::uint32_t e = begin_[v]; e < begin_[v + 1]; ++e)
        if (nbr_[e] > v) {
          const double b = beta_[e];
          g.add_factor({v, nbr_[e]}, {std::exp(b), std::exp(-b), std::exp(-b), std::exp(b)});
        }
      if (evidence_[v] >= 0) g.set_evidence(v, static_cast<std::uint32_t>(evidence_[v]));
    }
    g.finalize();
    return g;
  }

 private:
  std::vector<double> h_;
  std::vector<std::int16_t> evidence_;
  std::vector<std::uint32_t> begin_, nbr_;
  std::vector<double> beta_;
};

// L x W torus (4 neighbours, periodic), uniform coupling and field.
inline ising_model make_ising_torus(std::size_t rows, std::size_t cols, double beta, double h) {
  std::vector<ising_model::edge> e;
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t c = 0; c < cols; ++c) {
      const auto v = static_cast<std::uint32_t>(r * cols + c);
      if (cols > 2 || c + 1 < cols) e.push_back({v, static_cast<std::uint32_t>(r * cols + (c + 1) % cols), beta});
      if (rows > 2 || r + 1 < rows) e.push_back({v, static_cast<std::uint32_t>(((r + 1) % rows) * cols + c), beta});
    }
  return ising_model(rows * cols, e, std::vector<double>(rows * cols, h));
}

// Ring of n >= 3 spins.
inline ising_model make_ising_ring(std::size_t n, double beta, double h) { return make_ising_torus(1, n, beta, h); }

// Dobrushin alpha of a general factor graph, by enumeration over the
// neighbour states of each variable: for every pair (i, j) the largest TV
// between pi_i(.|X) and pi_i(.|Y) for X, Y differing only at j. Exponential
// in the Markov-blanket size: meant for small factors (a diagnostic).
inline double total_influence(const factor_graph& g, std::size_t max_blanket_states = 1u << 16) {
  // Implemented by brute force over each variable's Markov blanket.
  double alpha = 0.0;
  const std::size_t n = g.n_vars();
  // Blanket: variables sharing a factor with i (found through conditional()'s reads).
  for (std::size_t i = 0; i < n; ++i) {
    std::vector<std::uint32_t> blanket;
    double tmp[max_cardinality];
    g.conditional(i, [&](std::uint32_t u) -> std::uint8_t {
      if (std::find(blanket.begin(), blanket.end(), u) == blanket.end()) blanket.push_back(u);
      return 0;
    }, tmp);
    std::size_t states = 1;
    for (std::uint32_t u : blanket) {
      states *= static_cast<std::size_t>(g.cardinality(u));
      if (states > max_blanket_states) throw std::invalid_argument("total_influence: Markov blanket too large");
    }
    std::vector<std::uint8_t> x(n, 0);
    double sum = 0.0;
    for (std::size_t jb = 0; jb < blanket.size(); ++jb) {
      double worst = 0.0;
      const std::uint32_t j = blanket[jb];
      for (std::size_t s = 0; s < states; ++s) {
        std::size_t r = s;
        for (std::uint32_t u : blanket) {
          x[u] = static_cast<std::uint8_t>(r % static_cast<std::size_t>(g.cardinality(u)));
          r /= static_cast<std::size_t>(g.cardinality(u));
        }
        if (x[j] != 0) continue;  // pairs (X with x_j = 0, Y with x_j = c) cover all by symmetry of max over both
        double px[max_cardinality], py[max_cardinality];
        const bool okx = g.conditional(i, [&](std::uint32_t u) { return x[u]; }, px);
        for (int c = 1; c < g.cardinality(j); ++c) {
          for (int a = 0; a < c; ++a) {
            x[j] = static_cast<std::uint8_t>(a);
            double pa[max_cardinality];
            const bool oka = a == 0 ? okx : g.conditional(i, [&](std::uint32_t u) { return x[u]; }, pa);
            if (a == 0)
              for (int k = 0; k < g.cardinality(i); ++k) pa[k] = px[k];
            x[j] = static_cast<std::uint8_t>(c);
            const bool oky = g.conditional(i, [&](std::uint32_t u) { return x[u]; }, py);
            if (oka && oky) {
              double tv = 0.0;
              for (int k = 0; k < g.cardinality(i); ++k) tv += std::abs(pa[k] - py[k]);
              worst = std::max(worst, 0.5 * tv);
            } else if (oka != oky) {
              worst = 1.0;
            }
          }
        }
        x[j] = 0;
      }
      sum += worst;
    }
    alpha = std::max(alpha, sum);
  }
  return alpha;
}

}  // namespace gibbs
}  // namespace lowp
#endif
