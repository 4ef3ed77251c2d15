// The read-only view of a run that solvers hand to callbacks. One struct for
// every solver: fields a solver does not have stay NaN / 0, so a callback
// written for SGD also works for HALP.
#ifndef LOWP_SOLVERS_STATE_HPP
#define LOWP_SOLVERS_STATE_HPP

#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string_view>

namespace lowp {

// Passed once to on_begin: what is about to run.
struct run_info {
  std::string_view algorithm;      // "svrg", "halp", ...
  std::size_t dimension = 0;       // model size
  std::size_t examples = 0;        // N
  std::size_t max_epochs = 0;
  std::uint64_t seed = 0;
  int bits = 0;                    // 0 for full precision
  std::size_t first_epoch = 0;     // > 0 when resuming from a checkpoint
};

// Passed to on_epoch_end after every outer iteration (epoch 0 = the start
// point, before any update) and to on_end with the final values.
struct epoch_state {
  std::size_t epoch = 0;
  double objective = std::numeric_limits<double>::quiet_NaN();
  double gap = std::numeric_limits<double>::quiet_NaN();  // f - f*, when the problem knows f*
  double full_gradient_norm = std::numeric_limits<double>::quiet_NaN();
  double scale = std::numeric_limits<double>::quiet_NaN();  // HALP s_k / LP grid delta; NaN in float
  double seconds = 0.0;               // wall time since optimize() started
  std::uint64_t saturations = 0;      // clamped writes in this epoch
  std::uint64_t total_saturations = 0;
  std::uint64_t work = 0;             // cumulative example-gradient evaluations
  std::span<const double> model;      // the full-precision iterate (w, or w~ for SVRG/HALP)
  bool rejected = false;              // this epoch diverged: the values are the rejected point's,
                                      // `model` is still the last good one (and is what the solver returns)
};

}  // namespace lowp
#endif
