// MF-SGD epochs as run-log rows (runs/run_log.hpp), shared by `lowp mf` and
// the Python module: objective = train RMSE, gap = test RMSE (NaN without a
// test set), saturations cumulative, work = rating updates so far.
#ifndef LOWP_SOLVERS_LOWRANK_RUN_RECORD_HPP
#define LOWP_SOLVERS_LOWRANK_RUN_RECORD_HPP

#include <cstddef>
#include <cstdint>

#include "lowp/runs/run_log.hpp"
#include "lowp/solvers/lowrank/mf_sgd.hpp"

namespace lowp {
namespace lowrank {

// Appends epoch e to the trace; `saturations` carries the running total between calls.
inline void append_mf_epoch(runs::run_record& rec, const mf_epoch& e, std::size_t ratings,
                            std::uint64_t& saturations) {
  saturations += e.saturations;
  runs::trace_row row;
  row.epoch = e.epoch;
  row.objective = e.train_rmse;
  row.gap = e.test_rmse;
  row.seconds = e.seconds;
  row.saturations = saturations;
  row.work = static_cast<std::uint64_t>(e.epoch) * ratings;
  rec.trace.push_back(row);
}

}  // namespace lowrank
}  // namespace lowp
#endif
