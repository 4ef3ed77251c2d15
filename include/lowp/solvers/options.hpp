// Parameters of the SGD/SVRG family (SGD, SVRG, LP-SGD, LP-SVRG, HALP).
// One flat struct so designated initializers work for every solver; each
// solver documents and validates the fields it reads.
#ifndef LOWP_SOLVERS_OPTIONS_HPP
#define LOWP_SOLVERS_OPTIONS_HPP

#include <cstddef>
#include <cstdint>

namespace lowp {

struct solver_options {
  double step_size = 0.0;          // alpha; 0 = 0.2 / L_max (spec 6.5)
  std::size_t epoch_length = 0;    // T inner steps per outer iteration; 0 = 2N (SVRG family) or N (SGD)
  std::size_t epochs = 20;         // K outer iterations (epochs for SGD)
  double tolerance = 0.0;          // converged when ||grad f(w~)|| <= tolerance (0: run all epochs)
  std::uint64_t seed = 0;          // every random choice derives from it
  double mu = 0.0;                 // HALP scale denominator; 0 = the objective's strong-convexity bound
  double delta = 0.0;              // LP-SGD / LP-SVRG fixed grid step (required for them)
  bool option_two = false;         // SVRG family: next anchor = a uniformly random inner iterate
  double divergence_factor = 10.0; // diverged when ||grad f|| grows by more than this in one epoch,
                                   // or past this times its value at the start point (0 = never)
  double step_decay = 0.0;         // SGD: alpha_t = alpha / (1 + step_decay * epoch); 0 = constant
  std::size_t inner_threads = 1;   // SVRG family: threads sharing the inner loop, Hogwild!-style on the
                                   // iterate (relaxed atomics); 1 = sequential and bit-reproducible.
                                   // Runs with > 1 are seeded but not bit-reproducible (thread timing).
};

// Where to continue a run that was stopped (from a checkpoint): the model
// passed to optimize() is the anchor at the start of `first_epoch`, and these
// carry the counters over so the trace continues seamlessly. Every epoch
// draws from its own random streams, so the continuation is bit-identical to
// an uninterrupted run.
struct resume_point {
  std::size_t first_epoch = 0;
  std::uint64_t work = 0;
  std::uint64_t total_saturations = 0;
  double seconds = 0.0;
  double previous_gradient_norm = 0.0;  // ||grad f|| at the resumed anchor's predecessor (0 = unknown)
  double initial_gradient_norm = 0.0;   // ||grad f|| at the run's start point (0 = take the resumed anchor's)
};

}  // namespace lowp
#endif
