// `lowp halp|svrg --distributed [--comm-bits 0|8|16]`: the data-parallel
// solvers (include/lowp/distributed/) over MPI_COMM_WORLD, one shard of rows
// per rank (contiguous blocks by rank; every rank reads the whole file and
// keeps its rows). Start with mpirun/mpiexec; without it MPI runs one rank.
// MPI_Init is called only here, so plain `lowp halp` never needs mpirun.
// Rank 0 alone prints and writes --out / --trace; the run log's params gain
// ranks, comm_bits, comm_bytes_total and comm_epoch_bytes (rank 0's payload
// per epoch).
#ifndef LOWP_TOOLS_DISTRIBUTED_CMD_HPP
#define LOWP_TOOLS_DISTRIBUTED_CMD_HPP

namespace CLI {
class App;
}

namespace lowp_cli {

struct solve_options;

// Adds --distributed and --comm-bits to a `lowp svrg|halp` subcommand.
void add_distributed_options(CLI::App* c, solve_options& o);
// Exit codes as run_solve; throws option_error for bad combinations (exit 2),
// including --distributed in a build without MPI.
int run_distributed(const solve_options& o);

}  // namespace lowp_cli
#endif
