// `lowp gibbs`: Gibbs sampling of a UAI factor graph (sequential, HOGWILD!
// threads, simulated delay, low-precision coins) with an HDF5 run log of the
// marginals over time.
#ifndef LOWP_TOOLS_GIBBS_CMD_HPP
#define LOWP_TOOLS_GIBBS_CMD_HPP

#include <cstdint>
#include <string>

namespace CLI {
class App;
}

namespace lowp_cli {

struct gibbs_options {
  std::string model, evidence, out, trace, rounding = "stochastic", scan = "random";
  int threads = 1, bits = 0, print = 10;
  std::uint64_t sweeps = 1000, burn_in = 100, thin = 1, seed = 0, snapshots = 20;
  std::uint32_t tau_max = 0;
  bool quiet = false;
};

CLI::App* add_gibbs_command(CLI::App& app, gibbs_options& o);
// Exit code 0; throws option_error (exit 2) for bad options, parse_error /
// io_error (exit 1) for bad files.
int run_gibbs(const gibbs_options& o);

}  // namespace lowp_cli
#endif
