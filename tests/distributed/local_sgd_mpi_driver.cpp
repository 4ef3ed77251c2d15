// Runs local SGD (distributed/local_sgd.hpp) on MPI_COMM_WORLD, one shard per
// rank and one thread per rank, and, on rank 0, the same run on an in-process
// group of as many simulated ranks, and compares: the MPI transport must not
// change the result (the same bits: the ordered allreduce and the allgathered
// messages are added in rank order, the per-rank streams are the same),
// every rank must end with the same model, and the final gap f - f* must be
// at most 0.1 (f(0) - f*).
//   local_sgd_mpi_driver hogwild_exact|hogwild_int8|buckwild8_int8|buckwild8_every2_int16
// Exit 0 on success, 1 on a failed check (printed), 2 on bad usage.
#include <mpi.h>

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "lowp/datasets/synthetic.hpp"
#include "lowp/distributed/local_sgd.hpp"
#include "lowp/distributed/mpi.hpp"

using namespace lowp;
namespace syn = lowp::datasets::synthetic;

namespace {

template <class Solver>
int check(const buckwild_options& o, const local_sgd_options& l, const buckwild_problem<typename Solver::data_type>& p,
          double f_opt) {
  const distributed_local_sgd<Solver> solver(o, l);
  distributed::mpi_communicator comm;
  const auto shard = distributed::shard_problem(p, comm.rank(), comm.size());
  std::vector<double> w(p.d, 0.0);
  const local_sgd_report r = solver.optimize(comm, shard, w);

  std::vector<double> w0 = w;
  comm.broadcast(w0.data(), w0.size(), 0);
  int bad = w0 != w ? 1 : 0, any_bad = 0;
  MPI_Allreduce(&bad, &any_bad, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  if (comm.rank() != 0) return any_bad;
  int fails = 0;
  if (any_bad) {
    std::printf("FAIL: the ranks' final models differ\n");
    ++fails;
  }
  std::vector<double> w_sim;
  local_sgd_report r_sim;
  distributed::in_process_group group(comm.size());
  group.run([&](distributed::in_process_communicator& c) {
    const auto s = distributed::shard_problem(p, c.rank(), c.size());
    std::vector<double> ws(p.d, 0.0);
    const auto rs = solver.optimize(c, s, ws);
    if (c.rank() == 0) w_sim = ws, r_sim = rs;
  });
  const double gap = r.objective - f_opt, start_gap = std::log(2.0) - f_opt;
  std::printf("local_sgd<%s> on %d ranks, average_every %zu, comm_bits %d: %s after %zu epochs (%zu rounds), gap %.3g, "
              "%llu bytes sent by rank 0 (%llu per round), same bits as the simulation: %s\n",
              Solver::signature().c_str(), comm.size(), l.average_every, l.comm_bits, to_string(r.why), r.epochs,
              r.rounds, gap, static_cast<unsigned long long>(r.comm.bytes_sent),
              static_cast<unsigned long long>(r.round_bytes.empty() ? 0 : r.round_bytes.front()),
              w == w_sim && r.round_objective == r_sim.round_objective ? "yes" : "no");
  if (w != w_sim || r.round_objective != r_sim.round_objective) {
    std::printf("FAIL: MPI and in-process runs differ\n");
    ++fails;
  }
  if (!(gap <= 0.1 * start_gap) || r.why != status::max_epochs) {
    std::printf("FAIL: gap %.3g > 0.1 (f(0) - f*) = %.3g or status %s\n", gap, 0.1 * start_gap, to_string(r.why));
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
    // The local-SGD test problem (tests/distributed/local_sgd_test.cpp).
    syn::logistic_regression_params q;
    q.n = 1500;
    q.d = 100;
    q.margin_scale = 2.0;
    q.l2 = 1e-3;
    q.seed = 5;
    const auto lp = syn::logistic_regression(q);
    buckwild_options o;
    o.step_size = 0.005;
    o.step_decay = 0.95;
    o.epochs = 20;
    o.l2 = 1e-3;
    o.seed = 42;
    o.threads = 1;  // one thread per rank: the run is deterministic, so MPI == simulation bit for bit
    o.f_star = lp.f_opt;
    const auto pf = make_buckwild_problem<float>(lp.data, linear_loss::logistic);
    const auto p8 = make_buckwild_problem<std::int8_t>(lp.data, linear_loss::logistic);
    if (mode == "hogwild_exact") {
      rc = check<hogwild>(o, {.average_every = 1}, pf, lp.f_opt);
    } else if (mode == "hogwild_int8") {
      rc = check<hogwild>(o, {.average_every = 1, .comm_bits = 8}, pf, lp.f_opt);
    } else if (mode == "buckwild8_int8") {
      rc = check<buckwild8>(o, {.average_every = 1, .comm_bits = 8}, p8, lp.f_opt);
    } else if (mode == "buckwild8_every2_int16") {
      rc = check<buckwild8>(o, {.average_every = 2, .comm_bits = 16}, p8, lp.f_opt);
    } else {
      std::fprintf(stderr, "usage: local_sgd_mpi_driver hogwild_exact|hogwild_int8|buckwild8_int8|buckwild8_every2_int16\n");
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
