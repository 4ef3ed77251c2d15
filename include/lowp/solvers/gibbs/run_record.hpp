// A sampler run as a run log (runs/run_log.hpp): what `lowp gibbs` writes and
// what the Python module returns, so the two describe a run the same way.
//   trace: one row per snapshot (options::snapshot_every): epoch = sweeps done,
//          work = single-site updates (sweeps x free variables), objective =
//          mean over variables of E[x_v] under the marginals so far, gap =
//          largest |P(x_v = c) - final estimate| (how far from settled)
//   model: the final marginals, flattened like result::counts
// Only the record's fields are filled; writing it needs lowp::io.
#ifndef LOWP_SOLVERS_GIBBS_RUN_RECORD_HPP
#define LOWP_SOLVERS_GIBBS_RUN_RECORD_HPP

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <string>
#include <vector>

#include "lowp/runs/run_log.hpp"
#include "lowp/solvers/gibbs/gibbs.hpp"

namespace lowp {
namespace gibbs {

template <class Model>
void fill_run_record(const Model& model, const result& r, runs::run_record& rec) {
  const std::size_t n = model.n_vars();
  const std::vector<double> fin = r.marginals();
  std::size_t n_free = 0;
  for (std::size_t v = 0; v < n; ++v) n_free += model.evidence(v) < 0 ? 1 : 0;
  auto mean_expectation = [&](const std::vector<double>& m) {
    double s = 0.0;
    for (std::size_t v = 0; v < n; ++v)
      for (std::size_t k = r.offset[v]; k < r.offset[v + 1]; ++k) s += static_cast<double>(k - r.offset[v]) * m[k];
    return n ? s / static_cast<double>(n) : 0.0;
  };
  rec.trace.clear();
  for (std::size_t s = 0; s < r.snapshots.size(); ++s) {
    runs::trace_row row;
    row.epoch = r.snapshot_sweeps[s];
    row.work = r.snapshot_sweeps[s] * n_free;
    row.seconds = r.snapshot_seconds[s];
    row.objective = mean_expectation(r.snapshots[s]);
    double gap = 0.0;
    for (std::size_t k = 0; k < fin.size(); ++k) gap = std::max(gap, std::abs(r.snapshots[s][k] - fin[k]));
    row.gap = gap;
    rec.trace.push_back(row);
  }
  rec.model = fin;
  rec.status = "max_epochs";
  if (r.stuck > 0)
    rec.message = std::to_string(r.stuck) + " updates found every value impossible (stale reads) and kept the old value";
}

}  // namespace gibbs
}  // namespace lowp
#endif
