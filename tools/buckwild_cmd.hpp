// `lowp buckwild`: Hogwild!/Buckwild! asynchronous SGD from the command line,
// with every DMGC precision selectable and an HDF5 run log.
#ifndef LOWP_TOOLS_BUCKWILD_CMD_HPP
#define LOWP_TOOLS_BUCKWILD_CMD_HPP

#include <cstdint>
#include <string>

namespace CLI {
class App;
}

namespace lowp_cli {

struct buckwild_cli_options {
  std::string data, test, labels, test_labels, loss = "logistic";
  bool bias = false, quiet = false;
  int dataset_bits = 32, model_bits = 32, threads = 1;
  int positive_from = -1;  // IDX: labels >= this become +1, the others -1 (binary task)
  std::string race = "atomic", dither = "independent", data_rounding = "nearest";
  std::string order = "shuffled";  // row_order: shuffled, block_shuffled, sequential
  std::size_t block_kib = 256;     // block_shuffled: KiB of rows per block
  std::size_t staleness = 0;       // > 0: the staleness simulator (one thread)
  std::size_t batch = 1;           // mini-batch size B (1 = unbatched)
  bool replicas = false;           // per-thread model replicas, averaged every replica_sync examples
  std::size_t replica_sync = 0;    // replicas: examples per thread between averages (0 = once per epoch)
  double step = 0.1, step_decay = 1.0, l2 = 1e-4, model_range = 0.0;
  std::size_t epochs = 10;
  std::uint64_t seed = 0;
  std::string out, trace;
  bool distributed = false;       // local SGD over MPI (buckwild_distributed.hpp)
  std::size_t average_every = 1;  // --distributed: epochs between averagings (0 = at the end)
  int comm_bits = 0;              // --distributed: 0, 8 or 16
};

CLI::App* add_buckwild_command(CLI::App& app, buckwild_cli_options& o);
// Exit code: 0 done, 3 diverged. Throws option_error (exit 2) for bad options.
int run_buckwild(const buckwild_cli_options& o);

}  // namespace lowp_cli
#endif
