// Checkpoint and resume through the HDF5 checkpoint file: a run stopped and
// continued from its checkpoint must give the same final model and trace,
// bit for bit, as one that was never interrupted (issue 4's promise).
#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <unistd.h>

#include "lowp/runs/checkpoint_callback.hpp"
#include "lowp/runs/run_log_callback.hpp"
#include "problems.hpp"

using namespace lowp;
using lowp_test::ls_problem;
namespace fs = std::filesystem;

namespace {
struct temp_dir {
  fs::path path;
  temp_dir() : path(fs::temp_directory_path() / ("lowp_ckpt_" + std::to_string(::getpid()))) {
    fs::create_directories(path);
  }
  ~temp_dir() { fs::remove_all(path); }
};

template <class Solver>
void check_resume(const Solver& solver, const ls_problem& pr, std::size_t stop_epoch, const temp_dir& dir,
                  const std::string& name) {
  const runs::param_list params{{"bits", std::int64_t{8}}};
  // Uninterrupted reference, with its run log.
  auto w_full = pr.zeros();
  runs::run_log_writer log_full((dir.path / (name + "_full.h5")).string(), runs::make_run_record(name, 3));
  solver.optimize(pr.f, w_full, log_full);

  // Stopped after `stop_epoch` epochs (a time limit or a kill would do the same).
  const std::string ck_path = (dir.path / (name + ".ckpt.h5")).string();
  struct stop_at {
    std::size_t epoch;
    bool on_epoch_end(const epoch_state& s) { return s.epoch == epoch; }
  } stop{stop_epoch};
  auto w = pr.zeros();
  runs::checkpoint_writer ck(ck_path, name, 3, params);
  solver.optimize(pr.f, w, ck, stop);

  // A new process would start here: everything comes from the file.
  const runs::checkpoint c = runs::read_checkpoint(ck_path);
  CHECK(c.next_epoch == stop_epoch);
  std::vector<double> w2 = c.model;
  runs::run_record base = runs::make_run_record(name, 3);
  base.trace = c.trace;
  runs::run_log_writer log_resumed((dir.path / (name + "_resumed.h5")).string(), base);
  solver.resume(pr.f, w2, runs::resume_point_from(c), runs::checkpoint_writer(ck_path, c), log_resumed);

  CHECK(w2 == w_full);  // bit-identical final model
  const runs::run_record a = runs::read_run_log(log_full.path()), b = runs::read_run_log(log_resumed.path());
  REQUIRE(a.trace.size() == b.trace.size());
  for (std::size_t k = 0; k < a.trace.size(); ++k) {
    CHECK(a.trace[k].epoch == b.trace[k].epoch);
    CHECK(a.trace[k].objective == b.trace[k].objective);
    CHECK(a.trace[k].grad_norm == b.trace[k].grad_norm);
    CHECK(a.trace[k].saturations == b.trace[k].saturations);
    CHECK(a.trace[k].work == b.trace[k].work);
  }
  CHECK(a.model == b.model);
}
}  // namespace

TEST_CASE("HALP-8 resumed from an HDF5 checkpoint is bit-identical to an uninterrupted run") {
  temp_dir dir;
  ls_problem pr(20);
  check_resume(halp<fixed<8, dynamic_scale>>({.epochs = 10, .seed = 3}), pr, 4, dir, "halp");
}

TEST_CASE("LP-SGD and SVRG resume bit-identically too") {
  temp_dir dir;
  ls_problem pr(20);
  check_resume(sgd<fixed<8, dynamic_scale>>({.epochs = 6, .seed = 3, .delta = pr.lp_delta(8)}), pr, 2, dir, "lp_sgd");
  check_resume(svrg<>({.epochs = 6, .seed = 3}), pr, 3, dir, "svrg");
}

TEST_CASE("a checkpoint missing the solver state is rejected with a reason") {
  runs::checkpoint c;
  c.algorithm = "halp";
  CHECK_THROWS_WITH_AS(runs::resume_point_from(c), doctest::Contains("gradient_norms"), std::invalid_argument);
}
