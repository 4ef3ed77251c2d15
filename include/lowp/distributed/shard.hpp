// Sharding for the data-parallel solvers: rank r of P holds the contiguous
// block of rows [r N / P, (r + 1) N / P) (integer division), so shards
// differ in size by at most one row and rank order is row order.
//
// row_shard<F> is a view of those rows of a linear-model objective: every
// rank may load the whole file and keep a view (what `lowp halp --distributed`
// does), or build a linear_model over its rows only and pass that instead.
// The view reports the full objective's smoothness(), strong_convexity() and
// optimum(), which are global constants of the problem.
#ifndef LOWP_DISTRIBUTED_SHARD_HPP
#define LOWP_DISTRIBUTED_SHARD_HPP

#include <algorithm>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

#include "lowp/objectives/objective.hpp"
#include "lowp/objectives/blocked_evaluate.hpp"
#include "lowp/parallel/executor.hpp"

namespace lowp {
namespace distributed {

struct row_range {
  std::size_t begin = 0, end = 0;
  std::size_t size() const noexcept { return end - begin; }
};

inline row_range shard_rows(std::size_t n, int rank, int size) {
  if (size < 1 || rank < 0 || rank >= size)
    throw std::invalid_argument("lowp::distributed::shard_rows: rank " + std::to_string(rank) + " of " +
                                std::to_string(size));
  const auto r = static_cast<unsigned __int128>(rank), p = static_cast<unsigned __int128>(size);
  return {static_cast<std::size_t>(r * n / p), static_cast<std::size_t>((r + 1) * n / p)};
}

template <linear_model_objective F>
class row_shard {
 public:
  // Keeps a reference to f: it must outlive the view.
  row_shard(const F& f, row_range rows) : f_(&f), rows_(rows) {
    if (rows.end > f.examples() || rows.begin >= rows.end)
      throw std::invalid_argument("lowp::distributed::row_shard: rows [" + std::to_string(rows.begin) + ", " +
                                  std::to_string(rows.end) + ") of " + std::to_string(f.examples()) +
                                  " examples (every rank needs at least one row: use fewer ranks)");
  }
  row_shard(const F& f, int rank, int size) : row_shard(f, shard_rows(f.examples(), rank, size)) {}

  const F& full() const noexcept { return *f_; }
  row_range rows() const noexcept { return rows_; }
  std::size_t examples() const noexcept { return rows_.size(); }
  std::size_t features() const noexcept { return f_->features(); }
  std::size_t outputs() const noexcept { return f_->outputs(); }
  std::size_t dimension() const noexcept { return f_->dimension(); }
  double l2() const noexcept { return f_->l2(); }
  double optimum() const noexcept { return f_->optimum(); }
  double smoothness() const noexcept { return f_->smoothness(); }
  double strong_convexity() const { return f_->strong_convexity(); }
  double label(std::size_t i) const noexcept { return f_->label(rows_.begin + i); }

  void margins(std::size_t i, const double* w, double* a) const noexcept { f_->margins(rows_.begin + i, w, a); }
  double loss(std::size_t i, const double* a) const noexcept { return f_->loss(rows_.begin + i, a); }
  void derivative(std::size_t i, const double* a, double* c) const noexcept { f_->derivative(rows_.begin + i, a, c); }
  void add_row(std::size_t i, const double* coef, double* g) const noexcept { f_->add_row(rows_.begin + i, coef, g); }
  double row_dot(std::size_t i, const double* w) const noexcept { return f_->row_dot(rows_.begin + i, w); }
  void row_axpy(std::size_t i, double c, double* g) const noexcept { f_->row_axpy(rows_.begin + i, c, g); }

  // The shard's own objective (1/n_r) sum_{i in shard} f_i(w) + l2/2 ||w||^2 and
  // its gradient, through the same blocked pass as linear_model::evaluate (so a
  // one-rank shard gives the full objective's bits).
  template <class Exec = parallel::serial>
  double evaluate(const double* w, double* g = nullptr, double* margins_out = nullptr, const Exec& exec = {}) const {
    return objectives::blocked_evaluate(*this, w, g, margins_out, exec);
  }

 private:
  const F* f_;
  row_range rows_;
};

}  // namespace distributed
}  // namespace lowp
#endif
