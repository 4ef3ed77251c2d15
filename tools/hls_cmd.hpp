// `lowp hls emit`: write the HLS C++ top, its C-simulation test bench, the
// Verilog and a README for one kernel configuration (src/hls/emit.hpp).
#ifndef LOWP_TOOLS_HLS_CMD_HPP
#define LOWP_TOOLS_HLS_CMD_HPP

#include <string>

namespace CLI {
class App;
}

namespace lowp_cli {

struct hls_options {
  std::string kernel, rounding = "stochastic", overflow = "saturate", out;
  int bits = 8, frac = -1, coef_bits = 16, coef_frac = 16, lanes = 64;
};

// Adds `hls` with its `emit` subcommand; returns `emit` so main can test parsed().
CLI::App* add_hls_command(CLI::App& app, hls_options& o);
// Exit code 0; throws option_error (exit 2) for bad values or an unusable
// output path, std::runtime_error (exit 1) when a file cannot be written.
int run_hls_emit(const hls_options& o);

}  // namespace lowp_cli
#endif
