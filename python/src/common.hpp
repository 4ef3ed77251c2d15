// Shared pieces of the `lowp` Python module: NumPy argument checking and
// conversion, the run log as a dict, and the callback that records a run in
// memory while the solver runs with the GIL released.
//
// Conventions every binding follows:
//  - arguments are validated before any work; bad values raise ValueError
//    (std::invalid_argument) naming the argument and what was expected;
//  - arrays of any real numeric dtype are accepted and converted (a copy) to
//    what the library stores: float32 features and labels, float64 models;
//    complex, object and string arrays are rejected, never coerced;
//  - solvers run with the GIL released; the recorder re-acquires it once per
//    epoch to poll Ctrl-C and call an optional Python callback.
#ifndef LOWP_PYTHON_COMMON_HPP
#define LOWP_PYTHON_COMMON_HPP

#include <cstdint>
#include <exception>
#include <functional>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "lowp/datasets/dataset.hpp"
#include "lowp/runs/run_log.hpp"
#include "lowp/runs/run_log_callback.hpp"
#include "lowp/solvers/report.hpp"
#include "lowp/solvers/state.hpp"

namespace lowp_py {

namespace py = pybind11;

[[noreturn]] inline void bad(const std::string& what) { throw std::invalid_argument(what); }

// obj as a NumPy array of a real numeric dtype (bool, int, uint or float), or
// ValueError. Lists and scalars go through numpy.asarray.
py::array numeric_array(py::handle obj, const std::string& name);

// A C-contiguous copy/view of `obj` converted to T, with ndim checked
// (expected_ndim < 0: any). Conversion happens only after the dtype check.
template <class T>
py::array_t<T, py::array::c_style> converted(py::handle obj, const std::string& name, int expected_ndim) {
  py::array a = numeric_array(obj, name);
  if (expected_ndim >= 0 && a.ndim() != expected_ndim)
    bad(name + " must be a " + std::to_string(expected_ndim) + "-D array, got " + std::to_string(a.ndim()) +
        "-D with shape " + std::string(py::str(a.attr("shape"))));
  return py::array_t<T, py::array::c_style | py::array::forcecast>::ensure(a);
}

// Every element finite, else ValueError naming the first bad index.
void require_finite(const float* v, std::size_t n, const std::string& name, std::size_t row_length = 0);
void require_finite(const double* v, std::size_t n, const std::string& name);

// X (n x d) and y (n) as the library's dense float32 dataset.
lowp::datasets::dense_dataset dense_data(py::handle X, py::handle y);

// Optional float64 start point of length `dim` (None: zeros).
std::vector<double> start_point(py::handle w0, std::size_t dim);

// Vector -> new NumPy array (a copy the array owns).
template <class T>
py::array_t<T> to_numpy(const std::vector<T>& v) {
  py::array_t<T> a(static_cast<py::ssize_t>(v.size()));
  std::copy(v.begin(), v.end(), a.mutable_data());
  return a;
}

// The run log (lowp/runs/run_log.hpp) as a dict: metadata strings, "seed",
// "params" (dict), "trace" (dict of equal-length NumPy columns), "model".
py::dict run_record_to_dict(const lowp::runs::run_record& r);
// run_record with machine/version fields filled (make_run_record).
lowp::runs::run_record base_record(const std::string& algorithm, std::uint64_t seed, const std::string& isa,
                                   lowp::runs::param_list params);

// Holds a Python exception raised inside a GIL-released solve, to rethrow
// once the GIL is back.
struct deferred_error {
  std::exception_ptr e;
  void rethrow_if_any() {
    if (e) {
      std::exception_ptr x = e;
      e = nullptr;
      std::rethrow_exception(x);
    }
  }
};

// Polls Ctrl-C and calls `callback(dict)` (if not None) with the GIL held;
// returns true to stop the run. Exceptions are parked in `err`.
bool poll_python(const py::object& callback, deferred_error& err, const std::function<py::dict()>& make_info);

// A solver callback that builds the run record in memory (what
// run_log_writer writes to a file) and polls Python once per epoch.
class recorder {
 public:
  recorder(lowp::runs::run_record base, py::object callback, deferred_error& err)
      : rec_(std::move(base)), cb_(std::move(callback)), err_(err) {}
  bool on_epoch_end(const lowp::epoch_state& s);
  void on_end(const lowp::epoch_state& s, const lowp::report& r);
  lowp::runs::run_record& record() noexcept { return rec_; }
  const lowp::report& final_report() const noexcept { return report_; }

 private:
  lowp::runs::run_record rec_;
  py::object cb_;
  deferred_error& err_;
  lowp::report report_;
};
static_assert(lowp::callback<recorder>);

// dict(report): status, message, objective, grad_norm, epochs, saturations, work, seconds.
py::dict report_to_dict(const lowp::report& r);

// The run record as a dict plus the final report; writes the HDF5 run log to
// `out` first when it is non-empty.
py::dict finish_log(lowp::runs::run_record& rec, const lowp::report& r, const std::string& out);

// Output path checks before a run starts (a run that cannot be saved should
// not start): directory exists, not a directory itself.
void check_output_path(const std::string& out, const std::string& name);

void register_quantize(py::module_& m);
void register_linear(py::module_& m);
void register_buckwild(py::module_& m);
void register_mf(py::module_& m);
void register_gibbs(py::module_& m);
void register_run_log(py::module_& m);

}  // namespace lowp_py
#endif
