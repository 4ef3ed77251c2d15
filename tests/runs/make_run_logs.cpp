// Writes the run logs the CLI tests plot: make_run_logs <dir> (created if needed)
//   sgd.h5, halp.h5  40 epochs with finite, decreasing gaps
//   nogap.h5         gap unknown (NaN) everywhere
//   zero.h5          gap exactly 0 everywhere (nothing left on a log axis)
//   data.h5          a dataset file, not a run log
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <limits>
#include <string>

#include "lowp/datasets/hdf5.hpp"
#include "lowp/runs/run_log.hpp"

namespace runs = lowp::runs;

namespace {

runs::run_record make(const char* algorithm, std::int64_t b, double rate, double gap_scale) {
  runs::run_record r = runs::make_run_record(algorithm, 1);
  r.isa = "scalar";
  r.params = {{"b", b}, {"step", 0.1}, {"rounding", std::string("nearest")}};
  r.status = "max_epochs";
  for (std::uint64_t e = 0; e < 40; ++e) {
    runs::trace_row t;
    t.epoch = e;
    t.gap = gap_scale * std::pow(rate, static_cast<double>(e)) + 1e-9;
    t.objective = 0.3 + t.gap;
    t.grad_norm = std::sqrt(t.gap);
    t.scale = 1.0 / 128.0;
    t.seconds = 0.05 * static_cast<double>(e) * (b == 8 ? 0.6 : 1.0);
    t.saturations = e % 4;
    t.work = 2000 * (e + 1);
    r.trace.push_back(t);
  }
  r.model = {0.5, -0.25, 0.125};
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_run_logs <dir>\n");
    return 2;
  }
  const std::string dir = argv[1];
  try {
    std::filesystem::create_directories(dir);
    runs::write_run_log(dir + "/sgd.h5", make("sgd", 32, 0.8, 1.0));
    runs::write_run_log(dir + "/halp.h5", make("halp", 8, 0.6, 2.0));
    runs::run_record nogap = make("svrg", 32, 0.7, 1.0);
    for (auto& t : nogap.trace) t.gap = std::numeric_limits<double>::quiet_NaN();
    runs::write_run_log(dir + "/nogap.h5", nogap);
    runs::run_record zero = make("sgd", 16, 0.7, 1.0);
    for (auto& t : zero.trace) t.gap = 0.0;
    runs::write_run_log(dir + "/zero.h5", zero);
    lowp::datasets::dense_dataset x;
    x.n = 1;
    x.d = 1;
    x.X = {1.0f};
    x.y = {1.0f};
    lowp::datasets::write_hdf5(dir + "/data.h5", x, {});
  } catch (const std::exception& e) {
    std::fprintf(stderr, "make_run_logs: %s\n", e.what());
    return 1;
  }
  return 0;
}
