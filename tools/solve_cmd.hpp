// `lowp sgd|svrg|halp`: train a linear model from the command line with a
// run log, checkpoints and resume.
#ifndef LOWP_TOOLS_SOLVE_CMD_HPP
#define LOWP_TOOLS_SOLVE_CMD_HPP

#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>

namespace CLI {
class App;
}

namespace lowp_cli {

// A bad option value or combination (exit 2); data problems are other exceptions (exit 1).
struct option_error : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

struct solve_options {
  std::string algorithm;  // sgd, svrg, halp
  std::string data, test, labels, test_labels, loss = "logistic";
  std::size_t classes = 0;
  bool bias = false, quiet = false, quantize_data = false;
  double f_star = std::numeric_limits<double>::quiet_NaN(), l2 = 1e-4, step = 0.0, mu = 0.0, delta = 0.0, tolerance = 0.0, time_limit = 0.0, step_decay = 0.0;
  int bits = -1;  // -1: the algorithm's default (halp 8, others 0 = double)
  std::string rounding = "stochastic";
  std::size_t epochs = 20, epoch_length = 0;
  std::uint64_t seed = 0;
  int threads = 1;
  std::size_t inner_threads = 1;
  std::string out, trace, checkpoint, resume;
  bool distributed = false;  // svrg/halp --distributed (distributed_cmd.hpp)
  int comm_bits = 0;
};

// Adds the subcommand and its options; returns it so main can test parsed().
CLI::App* add_solve_command(CLI::App& app, const std::string& algorithm, solve_options& o);
// Exit code: 0 converged or max_epochs or stopped, 3 diverged. Throws
// option_error for bad option combinations (main maps it to exit 2).
int run_solve(const solve_options& o);

}  // namespace lowp_cli
#endif
