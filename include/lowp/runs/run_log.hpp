// Run logs and checkpoints: one HDF5 file per run (or per checkpoint).
// Implemented in lowp::io (src/io/run_log.cpp) so hdf5.h never reaches user
// translation units; this header only declares. Link lowp::io.
//
// Run log schema (format "lowp-run-1"):
//   root attributes: algorithm, status, message, library_version,
//     git_revision, cpu_model, isa, hostname, started_utc, format (strings),
//     seed (uint64)
//   /params  group, one scalar attribute per parameter: int64, float64 or string
//   /trace   group, one 1-D dataset per column, all the same length:
//     epoch, saturations, work (uint64); objective, gap, grad_norm, scale,
//     seconds (float64; NaN allowed, e.g. gap when f* is unknown)
//   /model   float64 1-D (may be empty, e.g. while the run is still going)
//
// Checkpoint schema (format "lowp-checkpoint-1"):
//   root attributes: algorithm, format (strings), seed, next_epoch (uint64)
//   /params, /trace, /model as above
//   /vectors  group, one float64 1-D dataset per named vector
//   /counters group, one uint64 scalar attribute per named counter
// Named entries (params, vectors, counters) keep their order on a round trip.
//
// Writers write to "<path>.tmp.<pid>" and rename it over <path> only when the
// file is complete and closed, so a crash or an error never leaves a half
// file under the real name; on error the temp file is removed and an
// existing <path> is untouched. There is no fsync: the guarantee is against
// a killed process, not against power loss. Data the reader would reject
// (empty, duplicate or '/'-containing names, strings with NUL bytes) is
// std::invalid_argument before anything touches the disk.
//
// Readers trust nothing: a wrong format attribute, missing groups, datasets
// or attributes, wrong types or ranks, and trace columns of unequal length
// are parse_error naming the file and what was expected. A missing file is
// io_error; one that is not HDF5 (or is corrupt) is parse_error.
#ifndef LOWP_RUNS_RUN_LOG_HPP
#define LOWP_RUNS_RUN_LOG_HPP

#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "lowp/datasets/error.hpp"

namespace lowp {
namespace runs {

using param_value = std::variant<std::int64_t, double, std::string>;
using param_list = std::vector<std::pair<std::string, param_value>>;

// One row per epoch_state seen (epoch 0 is the start point).
// Defaults mirror epoch_state: a quantity a solver does not have stays NaN.
struct trace_row {
  std::uint64_t epoch = 0;
  double objective = std::numeric_limits<double>::quiet_NaN();
  double gap = std::numeric_limits<double>::quiet_NaN();
  double grad_norm = std::numeric_limits<double>::quiet_NaN();
  double scale = std::numeric_limits<double>::quiet_NaN();
  double seconds = 0.0;
  std::uint64_t saturations = 0;
  std::uint64_t work = 0;
};

struct run_record {
  std::string algorithm;
  std::uint64_t seed = 0;
  std::string status;   // "running" while the run goes, then to_string(report.why)
  std::string message;
  param_list params;
  std::string library_version, git_revision, cpu_model, isa, hostname;
  std::string started_utc;  // ISO 8601, e.g. 2026-01-31T12:00:00Z
  std::vector<trace_row> trace;
  std::vector<double> model;
};

struct checkpoint {
  std::string algorithm;
  std::uint64_t seed = 0;
  std::uint64_t next_epoch = 0;
  std::vector<double> model;
  std::vector<std::pair<std::string, std::vector<double>>> vectors;  // solver state (w~, mu, ...)
  std::vector<std::pair<std::string, std::uint64_t>> counters;       // RNG position, work, ...
  std::vector<trace_row> trace;
  param_list params;
};

void write_run_log(const std::string& path, const run_record& record);
run_record read_run_log(const std::string& path);

void write_checkpoint(const std::string& path, const checkpoint& state);
checkpoint read_checkpoint(const std::string& path);

// A record with algorithm, seed, status "running" and every machine/version
// field filled; isa is left empty for the caller (it knows which kernel
// table it used).
run_record make_run_record(std::string algorithm, std::uint64_t seed);

// The pieces make_run_record uses; each returns "unknown" when it cannot tell.
std::string library_version();  // "MAJOR.MINOR.PATCH" from lowp/config.hpp
std::string git_revision();     // `git rev-parse --short HEAD` when lowp::io was configured
std::string cpu_model();        // "model name" from /proc/cpuinfo
std::string hostname();
std::string utc_now_iso8601();  // e.g. 2026-01-31T12:00:00Z

}  // namespace runs
}  // namespace lowp

#endif
