// Runs the data-parallel solver on MPI_COMM_WORLD (one shard per rank) and,
// on rank 0, the same run on an in-process group of as many simulated ranks,
// and compares: the MPI transport must not change the result (1e-12, in fact
// the same bits: allreduce_sum is ordered), every rank must end with the same
// model, and the run must reach a relative gap of 1e-10.
//   distributed_mpi_driver exact|int8|halp8_int8|svrg_int16
// Exit 0 on success, 1 on a failed check (printed), 2 on bad usage.
#include <mpi.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "lowp/datasets/synthetic.hpp"
#include "lowp/distributed/distributed.hpp"
#include "lowp/distributed/mpi.hpp"

using namespace lowp;
using F = objectives::least_squares<datasets::dense_dataset>;

namespace {
struct min_gap {
  double f_star, best = 1e300;
  bool on_epoch_end(const epoch_state& s) {
    best = std::min(best, (s.objective - f_star) / f_star);
    return false;
  }
};

template <class Solver>
int check(const Solver& solver, const F& f, double f_star) {
  distributed::mpi_communicator comm;
  distributed::row_shard<F> shard(f, comm.rank(), comm.size());
  std::vector<double> w(f.dimension(), 0.0);
  min_gap gap{f_star};
  const distributed_report r = solver.optimize(comm, shard, w, gap);

  // Every rank must hold rank 0's bits.
  std::vector<double> w0 = w;
  comm.broadcast(w0.data(), w0.size(), 0);
  int bad = w0 != w ? 1 : 0;
  int any_bad = 0;
  MPI_Allreduce(&bad, &any_bad, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  if (comm.rank() != 0) return any_bad;
  int fails = 0;
  if (any_bad) {
    std::printf("FAIL: the ranks' final models differ\n");
    ++fails;
  }
  // The same run on simulated ranks in this process.
  std::vector<double> w_sim;
  distributed::in_process_group group(comm.size());
  group.run([&](distributed::in_process_communicator& c) {
    distributed::row_shard<F> s(f, c.rank(), c.size());
    std::vector<double> ws(f.dimension(), 0.0);
    solver.optimize(c, s, ws);
    if (c.rank() == 0) w_sim = ws;
  });
  double diff = 0.0;
  for (std::size_t j = 0; j < w.size(); ++j) diff = std::max(diff, std::abs(w[j] - w_sim[j]) / std::max(1.0, std::abs(w_sim[j])));
  std::printf("%s on %d ranks: %s after %zu epochs, best relative gap %.3g, max |w_mpi - w_sim| %.3g, "
              "%llu bytes sent by rank 0 (%llu per epoch)\n",
              Solver::name, comm.size(), to_string(r.why), r.epochs, gap.best, diff,
              static_cast<unsigned long long>(r.comm.bytes_sent),
              static_cast<unsigned long long>(r.epoch_bytes.empty() ? 0 : r.epoch_bytes.front()));
  if (!(diff <= 1e-12)) {
    std::printf("FAIL: MPI and in-process results differ by %.3g > 1e-12\n", diff);
    ++fails;
  }
  if (!(gap.best <= 1e-10)) {
    std::printf("FAIL: relative gap %.3g > 1e-10\n", gap.best);
    ++fails;
  }
  return fails > 0 ? 1 : 0;
}
}  // namespace

int main(int argc, char** argv) {
  distributed::mpi_session session(&argc, &argv);
  const std::string mode = argc > 1 ? argv[1] : "";
  int rc = 0;
  try {
    // The spec's problem (halp.md section 4): N = 1000, d = 20, Gaussian least squares.
    auto p = datasets::synthetic::linear_regression({.n = 1000, .d = 20, .noise_sigma = 0.5, .seed = 1});
    F f(p.data, 0.0);
    const double f_star = f.evaluate(p.w_opt.data());
    f.set_optimum(f_star);
    const solver_options o{.epochs = 30, .seed = 3};
    using q8 = fixed<8, dynamic_scale>;
    using q16 = fixed<16, dynamic_scale>;
    if (mode == "exact") {
      rc = check(distributed_halp<q8>(o), f, f_star);
      rc |= check(distributed_svrg<>(o), f, f_star);
    } else if (mode == "int8") {
      rc = check(distributed_svrg<>(o, {.comm_bits = 8}), f, f_star);
      rc |= check(distributed_halp<q16>(o, {.comm_bits = 8}), f, f_star);
    } else if (mode == "halp8_int8") {
      rc = check(distributed_halp<q8>(o, {.comm_bits = 8}), f, f_star);
    } else if (mode == "svrg_int16") {
      rc = check(distributed_svrg<>(o, {.comm_bits = 16}), f, f_star);
    } else {
      std::fprintf(stderr, "usage: distributed_mpi_driver exact|int8|halp8_int8|svrg_int16\n");
      rc = 2;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  int all = 0;
  MPI_Allreduce(&rc, &all, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  return all;
}
