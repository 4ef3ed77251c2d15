// distributed_scaling: bytes communicated per epoch and time to a 1e-10
// relative gap of the data-parallel SVRG and HALP-8 (include/lowp/distributed/)
// for 1, 2, 4 MPI ranks on this machine, with exact, int16 and int8 messages.
//
//   distributed_scaling [--ranks 1,2,4] [--out DIR] [--n 20000] [--d 50] ...
// starts `mpiexec -np P <this program> --worker ...` for every P (so it must
// itself run outside mpiexec), then writes
//   DIR/p<P>_<algo>_<comm>.h5   one run log per run (rank 0; params carry the traffic)
//   DIR/epochs.csv              every epoch of every run
//   DIR/scaling.csv             one row per run: bytes per epoch, epochs and seconds to 1e-10
//   DIR/distributed_scaling.png `lowp plot --x seconds --y gap` over the SVRG run logs
// README.md has the numbers and the projection for clusters.
#include <mpi.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <unistd.h>

#include <CLI/CLI.hpp>

#include "lowp/datasets/synthetic.hpp"
#include "lowp/distributed/distributed.hpp"
#include "lowp/distributed/mpi.hpp"
#include "lowp/runs/run_log.hpp"
#include "lowp/runs/run_log_callback.hpp"
#include "run_program.hpp"

namespace fs = std::filesystem;
using namespace lowp;
using F = objectives::least_squares<datasets::dense_dataset>;

namespace {

struct options {
  std::vector<int> ranks = {1, 2, 4};
  std::string out = "experiments/distributed_scaling/results";
  std::size_t n = 20000, d = 50, epochs = 30;
  std::uint64_t seed = 3;
  double eps = 1e-10;
  std::string mpiexec = LOWP_MPIEXEC, lowp_exe;
  bool plot = true, worker = false;
};

struct recorder {
  std::vector<runs::trace_row> rows;
  bool on_epoch_end(const epoch_state& s) {
    rows.push_back(runs::to_trace_row(s));  // in memory: no file I/O inside the timed run
    return false;
  }
};

template <class Solver>
void run_one(const Solver& solver, distributed::mpi_communicator& comm, const F& f, double f_star,
             const std::string& algo, int comm_bits, const options& o, std::FILE* csv) {
  distributed::row_shard<F> shard(f, comm.rank(), comm.size());
  std::vector<double> w(f.dimension(), 0.0);
  recorder rec;
  MPI_Barrier(MPI_COMM_WORLD);  // start together
  const distributed_report r = solver.optimize(comm, shard, w, rec);
  if (comm.rank() != 0) return;
  const std::string comm_name = comm_bits == 0 ? "exact" : "int" + std::to_string(comm_bits);
  // Params are what the plot legend tells apart (ranks, comm_bits); the traffic goes in the message.
  runs::run_record log = runs::make_run_record(algo, o.seed);
  log.isa = "reference";
  log.status = to_string(r.why);
  const std::uint64_t per_epoch = r.epoch_bytes.empty() ? 0 : r.epoch_bytes.front();
  log.message = r.message + (r.message.empty() ? "" : "; ") + "rank 0 sent " + std::to_string(per_epoch) +
                " bytes per epoch, " + std::to_string(r.comm.bytes_sent) + " in all; " +
                std::to_string(r.comm_seconds) + " s in collectives";
  log.params = {{"ranks", std::int64_t{comm.size()}},
                {"comm_bits", std::int64_t{comm_bits}},
                {"n", static_cast<std::int64_t>(o.n)},
                {"d", static_cast<std::int64_t>(o.d)}};
  log.trace = rec.rows;
  for (auto& row : log.trace) row.gap = row.objective - f_star;
  log.model = w;
  const fs::path path = fs::path(o.out) / ("p" + std::to_string(comm.size()) + "_" + algo + "_" + comm_name + ".h5");
  runs::write_run_log(path.string(), log);
  for (const auto& row : log.trace)
    std::fprintf(csv, "%d,%s,%d,%llu,%.6f,%.10e,%llu,%llu\n", comm.size(), algo.c_str(), comm_bits,
                 static_cast<unsigned long long>(row.epoch), row.seconds, (row.objective - f_star) / f_star,
                 static_cast<unsigned long long>(row.epoch == 0 ? 0 : per_epoch),
                 static_cast<unsigned long long>(row.work));
  std::printf("  P=%d %-6s %-5s %s after %zu epochs, %.3f s (%.3f s in collectives), %llu bytes/epoch\n",
              comm.size(), algo.c_str(), comm_name.c_str(), to_string(r.why), r.epochs, r.seconds, r.comm_seconds,
              static_cast<unsigned long long>(per_epoch));
}

int worker(int argc, char** argv, const options& o) {
  distributed::mpi_session session(&argc, &argv);
  distributed::mpi_communicator comm;
  auto p = datasets::synthetic::linear_regression({.n = o.n, .d = o.d, .noise_sigma = 0.5, .seed = 1});
  F f(p.data, 0.0);
  const double f_star = f.evaluate(p.w_opt.data());
  f.set_optimum(f_star);
  std::FILE* csv = nullptr;
  if (comm.rank() == 0) {
    csv = std::fopen((fs::path(o.out) / ("epochs_p" + std::to_string(comm.size()) + ".csv")).c_str(), "w");
    if (csv == nullptr) {
      std::fprintf(stderr, "cannot write in %s\n", o.out.c_str());
      MPI_Abort(MPI_COMM_WORLD, 1);
    }
  }
  using q8 = fixed<8, dynamic_scale>;
  // The divergence guard stays on; tolerance 0: every run has the same epochs.
  const solver_options so{.epochs = o.epochs, .seed = o.seed};
  for (int bits : {0, 16, 8}) {
    run_one(distributed_svrg<>(so, {.comm_bits = bits}), comm, f, f_star, "SVRG", bits, o, csv);
    run_one(distributed_halp<q8>(so, {.comm_bits = bits}), comm, f, f_star, "HALP-8", bits, o, csv);
  }
  if (csv != nullptr && std::fclose(csv) != 0) MPI_Abort(MPI_COMM_WORLD, 1);
  return 0;
}

struct run_summary {
  int ranks = 0, bits = 0;
  std::string algo;
  unsigned long long bytes = 0;
  long epochs_to = -1;
  double seconds_to = -1, final_gap = 0;
};

int orchestrate(const options& o, const std::string& self) {
  fs::create_directories(o.out);
  // Open MPI: more ranks than cores is the point of the P = 4 run on 2 cores, and
  // containers run as root. Environment, not flags, so other MPIs ignore them.
  ::setenv("OMPI_MCA_rmaps_base_oversubscribe", "1", 0);
  if (::geteuid() == 0) {
    ::setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 0);
    ::setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 0);
  }
  std::vector<run_summary> runs_seen;
  std::ofstream all(fs::path(o.out) / "epochs.csv");
  all << "ranks,algorithm,comm_bits,epoch,seconds,rel_gap,bytes_epoch,work\n";
  for (int P : o.ranks) {
    std::vector<std::string> args = {o.mpiexec, "-np", std::to_string(P)};
    args.insert(args.end(), {self, "--worker", "--out", o.out, "--n", std::to_string(o.n), "--d", std::to_string(o.d),
                             "--epochs", std::to_string(o.epochs), "--seed", std::to_string(o.seed)});
    std::printf("%d rank%s:\n", P, P == 1 ? "" : "s");
    std::fflush(stdout);
    const int rc = lowp_tools::run_program(args);
    if (rc != 0) throw std::runtime_error(o.mpiexec + " -np " + std::to_string(P) + " exited with " + std::to_string(rc));
    std::ifstream in(fs::path(o.out) / ("epochs_p" + std::to_string(P) + ".csv"));
    std::string line;
    while (std::getline(in, line)) {
      all << line << '\n';
      std::stringstream ss(line);
      std::string tok;
      std::vector<std::string> c;
      while (std::getline(ss, tok, ',')) c.push_back(tok);
      if (c.size() != 8) throw std::runtime_error("malformed worker CSV line: " + line);
      const int bits = std::stoi(c[2]);
      if (runs_seen.empty() || runs_seen.back().ranks != P || runs_seen.back().algo != c[1] ||
          runs_seen.back().bits != bits)
        runs_seen.push_back({P, bits, c[1]});
      run_summary& s = runs_seen.back();
      const long epoch = std::stol(c[3]);
      const double gap = std::stod(c[5]);
      if (epoch == 1) s.bytes = std::stoull(c[6]);
      if (s.epochs_to < 0 && gap <= o.eps) s.epochs_to = epoch, s.seconds_to = std::stod(c[4]);
      s.final_gap = gap;
    }
    fs::remove(fs::path(o.out) / ("epochs_p" + std::to_string(P) + ".csv"));
  }
  std::ofstream sum(fs::path(o.out) / "scaling.csv");
  sum << "ranks,algorithm,comm_bits,bytes_per_epoch_rank0,epochs_to_eps,seconds_to_eps,final_rel_gap\n";
  std::printf("\nranks algorithm comm  bytes/epoch  epochs to %.0e  seconds to %.0e  final gap\n", o.eps, o.eps);
  for (const auto& s : runs_seen) {
    sum << s.ranks << ',' << s.algo << ',' << s.bits << ',' << s.bytes << ',' << s.epochs_to << ','
        << s.seconds_to << ',' << s.final_gap << '\n';
    std::printf("%5d %-9s %4d %12llu %15ld %16.3f %10.2e\n", s.ranks, s.algo.c_str(), s.bits, s.bytes, s.epochs_to,
                s.seconds_to, s.final_gap);
  }
  if (o.plot) {
    if (o.lowp_exe.empty() || !fs::exists(o.lowp_exe)) {
      std::printf("not plotted: pass --lowp (the lowp tool)\n");
      return 1;
    }
    std::vector<std::string> args = {o.lowp_exe, "plot"};
    for (int P : o.ranks)
      for (const char* c : {"exact", "int16", "int8"})
        args.push_back((fs::path(o.out) / ("p" + std::to_string(P) + "_SVRG_" + c + ".h5")).string());
    args.insert(args.end(), {"-o", (fs::path(o.out) / "distributed_scaling.png").string(), "--x", "seconds", "--y",
                             "gap", "--title",
                             "data-parallel SVRG, least squares N=" + std::to_string(o.n) + " d=" + std::to_string(o.d) +
                                 ": ranks x message precision"});
    std::fflush(stdout);
    if (lowp_tools::run_program(args) != 0) {
      std::printf("plotting failed\n");
      return 1;
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  options o;
#ifdef LOWP_PLOT_EXE
  o.lowp_exe = LOWP_PLOT_EXE;
#endif
  CLI::App app("distributed_scaling: bytes per epoch and time to 1e-10 of data-parallel SVRG/HALP vs ranks");
  app.add_option("--ranks", o.ranks, "Rank counts to run (default 1,2,4)")->delimiter(',')->check(CLI::Range(1, 1024));
  app.add_option("--out", o.out, "Output directory (default experiments/distributed_scaling/results)");
  app.add_option("--n", o.n, "Examples (default 20000)")->check(CLI::PositiveNumber);
  app.add_option("--d", o.d, "Features (default 50)")->check(CLI::PositiveNumber);
  app.add_option("--epochs", o.epochs, "Outer iterations per run (default 30)")->check(CLI::PositiveNumber);
  app.add_option("--seed", o.seed, "Seed (default 3)");
  app.add_option("--mpiexec", o.mpiexec, "The MPI launcher");
  app.add_option("--lowp", o.lowp_exe, "The lowp tool, for the plot");
  app.add_flag("!--no-plot", o.plot, "Skip the PNG");
  app.add_flag("--worker", o.worker, "(internal) run as one MPI rank");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    if (o.worker) return worker(argc, argv, o);
    if (std::getenv("OMPI_COMM_WORLD_SIZE") != nullptr)
      throw std::runtime_error("run distributed_scaling itself without mpiexec; it starts the ranks");
    return orchestrate(o, fs::read_symlink("/proc/self/exe").string());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "distributed_scaling: %s\n", e.what());
    return 1;
  }
}
