// `lowp mf`: matrix factorization of a ratings file by SGD (LIBMF-style
// block scheduling) with float / 16-bit / 8-bit factors, and an HDF5 run log.
#ifndef LOWP_TOOLS_MF_CMD_HPP
#define LOWP_TOOLS_MF_CMD_HPP

#include <cstdint>
#include <string>

namespace CLI {
class App;
}

namespace lowp_cli {

struct mf_cmd_options {
  std::string data, test, format = "auto", rounding = "stochastic", schedule = "blocked", out, model;
  std::size_t rank = 64, epochs = 20, blocks = 0;
  int bits = 32, threads = 1;
  double lambda = 0.1, step = 0.1;
  bool biases = false, quiet = false;
  std::uint64_t seed = 0;
};

CLI::App* add_mf_command(CLI::App& app, mf_cmd_options& o);
// Exit code: 0 done, 3 diverged. Throws option_error (exit 2) for bad options.
int run_mf(const mf_cmd_options& o);

}  // namespace lowp_cli
#endif
