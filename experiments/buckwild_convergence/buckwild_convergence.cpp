// buckwild_convergence: statistical and hardware efficiency of Hogwild! and
// Buckwild! per DMGC precision (README.md), on a9a and Fashion-MNIST binary.
//   results/<problem>.csv           every epoch of every run (loss, rel. gap, seconds)
//   results/<problem>_accuracy.csv  final test accuracy, seconds per epoch (timed without the
//                                   per-epoch evaluation), numbers/s, and LIBLINEAR -s 0 if installed
//   results/<problem>_<sig>.h5      run logs; results/<problem>.png drawn by `lowp plot`
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "lowp/datasets/catalogue.hpp"
#include "lowp/datasets/idx.hpp"
#include "lowp/datasets/libsvm.hpp"
#include "lowp/kernels/dispatch.hpp"
#include "lowp/runs/run_log_callback.hpp"
#include "lowp/solvers/buckwild/buckwild.hpp"

namespace ds = lowp::datasets;
namespace fs = std::filesystem;
using namespace lowp;

namespace {

struct problem_spec {
  std::string name;
  ds::dense_dataset dense_train, dense_test;  // fmnist
  ds::csr_dataset csr_train, csr_test;        // a9a
  bool sparse = false;
  double f_star = 0.0;  // PEERS.md (LIBLINEAR to 1e-14, lambda = 1e-4, bias column)
  double step = 0.1;
  double decay = 0.9;  // alpha_e = step * decay^e
  std::string libsvm_train, libsvm_test;  // files for LIBLINEAR
};

struct csv_row {
  std::string sig, dither;
  int threads;
  std::size_t epoch;
  double seconds, objective;
};

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

struct collect {
  std::vector<csv_row>* rows;
  std::string sig, dither;
  int threads;
  bool on_epoch_end(const epoch_state& s) {
    rows->push_back({sig, dither, threads, s.epoch, s.seconds, s.objective});
    return false;
  }
};

template <class Solver, class D>
void run_one(const problem_spec& P, const buckwild_problem<D>& train, const buckwild_problem<D>& test,
             const buckwild_options& o, const fs::path& out, std::vector<csv_row>& rows, std::FILE* acc,
             std::vector<std::string>& logs) {
  const std::string sig = Solver::signature();
  const std::string tag = sig + "_" + Solver::dither_name + "_T" + std::to_string(o.threads);
  runs::run_record base = runs::make_run_record("buckwild", o.seed);
  base.isa = kernels::name(kernels::best().id);
  base.params = {{"problem", P.name},   {"signature", sig}, {"threads", std::int64_t{o.threads}},
                 {"step_size", o.step_size}, {"l2", o.l2},    {"race", std::string("atomic_relaxed")},
                 {"dither", std::string(Solver::dither_name)}};
  const std::string log_path = (out / (P.name + "_" + tag + ".h5")).string();
  runs::run_log_writer log(log_path, base);
  collect c{&rows, sig, Solver::dither_name, o.threads};
  std::vector<double> w(train.d, 0.0);
  const report r = Solver(o).optimize(train, w, log, c);
  logs.push_back(log_path);
  const double acc_test = evaluate_buckwild(test, w, o.l2).accuracy;
  // Timing without the per-epoch evaluation: the racy_simd policy (the fast one) and the atomic one.
  auto time_epochs = [&](auto solver) {
    buckwild_options t = o;
    t.evaluate = false;
    auto s = decltype(solver)(t);
    auto m = s.make_model(train, std::vector<double>(train.d, 0.0), o.model_range > 0 ? o.model_range : 4.0);
    const double t0 = now();
    std::uint64_t numbers = 0;
    for (std::size_t e = 0; e < 3; ++e) numbers += s.run_epoch(train, m, e, o.step_size, o.threads).numbers;
    const double dt = (now() - t0) / 3.0;
    return std::pair<double, double>{dt, static_cast<double>(numbers) / 3.0 / dt};
  };
  using D_ = typename Solver::data_type;
  using M_ = typename Solver::model_type;
  const auto [sec_atomic, nps_atomic] = time_epochs(buckwild<D_, M_, float, race::atomic_relaxed>(o));
  const auto [sec_racy, nps_racy] = time_epochs(buckwild<D_, M_, float, race::racy_simd>(o));
  std::fprintf(acc, "%s,%s,%s,%d,%.10g,%.6g,%.4f,%.6f,%.4f,%.6f,%.4f,%llu\n", P.name.c_str(), sig.c_str(), Solver::dither_name, o.threads,
               r.objective, (r.objective - P.f_star) / P.f_star, 100 * acc_test, sec_atomic, nps_atomic / 1e9,
               sec_racy, nps_racy / 1e9, static_cast<unsigned long long>(r.saturations));
  std::fflush(acc);
  std::printf("%-14s %-18s %-11s T=%d  f = %.6f  rel.gap %.3e  test acc %.2f %%  s/epoch atomic %.4f racy %.4f\n",
              P.name.c_str(), sig.c_str(), Solver::dither_name, o.threads, r.objective,
              (r.objective - P.f_star) / P.f_star,
              100 * acc_test, sec_atomic, sec_racy);
}

template <class Data>
void run_problem(const problem_spec& P, const Data& train, const Data& test, std::size_t epochs, const fs::path& out,
                 const std::string& lowp_exe, std::vector<int> thread_counts) {
  std::vector<csv_row> rows;
  std::FILE* acc = std::fopen((out / (P.name + "_accuracy.csv")).string().c_str(), "w");
  if (!acc) throw std::runtime_error("cannot write " + (out / (P.name + "_accuracy.csv")).string());
  std::fprintf(acc,
               "problem,signature,dither,threads,objective,rel_gap,test_accuracy,sec_per_epoch_atomic,gnps_atomic,"
               "sec_per_epoch_racy,gnps_racy,saturations\n");
  std::vector<std::string> logs;
  const auto p8 = make_buckwild_problem<std::int8_t>(train, linear_loss::logistic);
  const auto t8 = make_buckwild_problem<std::int8_t>(test, linear_loss::logistic);
  const auto p16 = make_buckwild_problem<std::int16_t>(train, linear_loss::logistic);
  const auto t16 = make_buckwild_problem<std::int16_t>(test, linear_loss::logistic);
  const auto pf = make_buckwild_problem<float>(train, linear_loss::logistic);
  const auto tf = make_buckwild_problem<float>(test, linear_loss::logistic);
  for (int T : thread_counts) {
    buckwild_options o;
    o.step_size = P.step;
    o.step_decay = P.decay;
    o.epochs = epochs;
    o.l2 = 1e-4;
    o.threads = T;
    o.seed = 1;
    o.f_star = P.f_star;
    run_one<buckwild<float, float>>(P, pf, tf, o, out, rows, acc, logs);
    run_one<buckwild<std::int16_t, std::int16_t>>(P, p16, t16, o, out, rows, acc, logs);
    run_one<buckwild<std::int8_t, std::int16_t>>(P, p8, t8, o, out, rows, acc, logs);
    run_one<buckwild<std::int8_t, std::int8_t>>(P, p8, t8, o, out, rows, acc, logs);
    run_one<buckwild<std::int8_t, std::int8_t, float, race::atomic_relaxed, dither::shared>>(P, p8, t8, o, out, rows,
                                                                                            acc, logs);
  }
  // LIBLINEAR -s 0 (trust-region Newton) on the same data, same objective (C = 1 / (lambda N), -B 1).
  if (std::system("command -v liblinear-train > /dev/null 2>&1") == 0 && !P.libsvm_train.empty()) {
    const double C = 1.0 / (1e-4 * static_cast<double>(train.rows()));
    const std::string model = (out / (P.name + "_liblinear.model")).string();
    const std::string pred = (out / (P.name + "_liblinear.pred")).string();
    char cmd[2048];
    std::snprintf(cmd, sizeof cmd, "liblinear-train -q -s 0 -c %.10g -B 1 %s %s", C, P.libsvm_train.c_str(),
                  model.c_str());
    const double t0 = now();
    const int rc = std::system(cmd);
    const double dt = now() - t0;
    std::snprintf(cmd, sizeof cmd, "liblinear-predict %s %s %s > %s.txt", P.libsvm_test.c_str(), model.c_str(),
                  pred.c_str(), pred.c_str());
    const int rc2 = rc == 0 ? std::system(cmd) : rc;
    std::string line;
    std::ifstream in(pred + ".txt");
    std::getline(in, line);
    std::printf("%-14s LIBLINEAR -s 0 -c %.4g -B 1: %.2f s (train, incl. parsing); %s\n", P.name.c_str(), C, dt,
                rc2 == 0 ? line.c_str() : "failed");
    double a = std::numeric_limits<double>::quiet_NaN();
    if (auto k = line.find("= "); k != std::string::npos) a = std::atof(line.c_str() + k + 2);
    std::fprintf(acc, "%s,LIBLINEAR-s0,none,1,nan,nan,%.4f,%.6f,nan,nan,nan,0\n", P.name.c_str(), a, dt);
  }
  std::fclose(acc);
  std::ofstream csv(out / (P.name + ".csv"));
  csv << "problem,signature,dither,threads,epoch,seconds,objective,rel_gap\n";
  for (const auto& r : rows)
    csv << P.name << ',' << r.sig << ',' << r.dither << ',' << r.threads << ',' << r.epoch << ',' << r.seconds << ','
        << r.objective << ',' << (r.objective - P.f_star) / P.f_star << '\n';
  if (!lowp_exe.empty()) {
    std::string cmd = lowp_exe + " plot --x epochs --y gap --title '" + P.name +
                      ": f - f* vs epochs per precision (2 threads, lambda 1e-4)' -o " + (out / (P.name + ".png")).string();
    for (const auto& l : logs)
      if (l.find("_T2.h5") != std::string::npos || thread_counts.size() == 1) cmd += " " + l;
    if (std::system(cmd.c_str()) != 0) std::fprintf(stderr, "plot failed: %s\n", cmd.c_str());
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("buckwild_convergence: Hogwild!/Buckwild! per precision on a9a and Fashion-MNIST binary");
  std::string problem = "all", out = "experiments/buckwild_convergence/results", data_dir, lowp_exe;
  std::size_t epochs = 15;
  bool no_plot = false;
  std::vector<int> threads{1, 2};
#ifdef LOWP_DEFAULT_DATA_ROOT
  data_dir = LOWP_DEFAULT_DATA_ROOT;
#endif
#ifdef LOWP_PLOT_EXE
  lowp_exe = LOWP_PLOT_EXE;
#endif
  app.add_option("--problem", problem, "a9a, fmnist or all")->check(CLI::IsMember({"a9a", "fmnist", "all"}));
  app.add_option("--epochs", epochs, "Epochs per run (default 15)")->check(CLI::Range(1, 1000));
  app.add_option("--threads", threads, "Thread counts (default 1 2)");
  app.add_option("--out", out, "Output directory");
  app.add_option("--data-dir", data_dir, "Data root (default ../shared/datasets)");
  app.add_option("--lowp", lowp_exe, "The lowp binary for the plots");
  app.add_flag("--no-plot", no_plot, "Do not draw PNGs");
  CLI11_PARSE(app, argc, argv);
  if (no_plot) lowp_exe.clear();
  try {
    fs::create_directories(out);
    const fs::path root = data_dir.empty() ? ds::default_data_root() : fs::path(data_dir);
    if (problem == "a9a" || problem == "all") {
      problem_spec P;
      P.name = "a9a";
      P.f_star = 0.3244834517039625496;
      P.step = 0.1;
      P.libsvm_train = ds::verified_path("a9a", root).string();
      P.libsvm_test = ds::verified_path("a9a.t", root).string();
      const auto tr = ds::with_bias_column(ds::load_libsvm("a9a", root));
      const auto te = ds::with_bias_column(ds::load_libsvm("a9a.t", root));
      run_problem(P, tr, te, epochs, out, lowp_exe, threads);
    }
    if (problem == "fmnist" || problem == "all") {
      problem_spec P;
      P.name = "fmnist_binary";
      P.f_star = 0.18789210320577941946;
      P.step = 0.005;
      auto load = [&](const char* img, const char* lab) {
        auto x = ds::read_idx(ds::verified_path(img, root), ds::verified_path(lab, root));  // pixels / 255
        for (auto& y : x.y) y = y >= 5.0f ? 1.0f : -1.0f;
        return ds::with_bias_column(x);
      };
      const auto tr = load("fashion-mnist-train-images", "fashion-mnist-train-labels");
      const auto te = load("fashion-mnist-t10k-images", "fashion-mnist-t10k-labels");
      // LIBSVM copies for LIBLINEAR (without the bias column: -B 1 adds it).
      auto to_csr = [](const ds::dense_dataset& x) {
        ds::csr_dataset s;
        s.d = x.d - 1;
        s.y = x.y;
        for (std::size_t i = 0; i < x.n; ++i) {
          for (std::size_t j = 0; j + 1 < x.d; ++j)
            if (x.X[i * x.d + j] != 0.0f)
              s.indices.push_back(static_cast<std::uint32_t>(j)), s.values.push_back(x.X[i * x.d + j]);
          s.indptr.push_back(s.values.size());
        }
        return s;
      };
      P.libsvm_train = (fs::path(out) / "fmnist_binary_train.svm").string();
      P.libsvm_test = (fs::path(out) / "fmnist_binary_test.svm").string();
      ds::write_libsvm(P.libsvm_train, to_csr(tr));
      ds::write_libsvm(P.libsvm_test, to_csr(te));
      run_problem(P, tr, te, epochs, out, lowp_exe, threads);
      fs::remove(P.libsvm_train);  // ~300 MB of text, only LIBLINEAR's input
      fs::remove(P.libsvm_test);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "buckwild_convergence: %s\n", e.what());
    return 1;
  }
  return 0;
}
