// lowp.read_run_log: an HDF5 run log (written by the CLI, the experiments or
// a solver's out= argument) as the same dict the solvers return.
#include "common.hpp"

namespace lowp_py {

void register_run_log(py::module_& m) {
  m.def(
      "read_run_log",
      [](const std::string& path) {
        lowp::runs::run_record r;
        {
          py::gil_scoped_release nogil;
          r = lowp::runs::read_run_log(path);
        }
        py::dict d = run_record_to_dict(r);
        d["path"] = path;
        return d;
      },
      py::arg("path"),
      "Read a run log (.h5, format lowp-run-1) into a dict: algorithm, seed, status, message, params (dict), "
      "machine fields, trace (dict of NumPy columns epoch, objective, gap, grad_norm, scale, seconds, saturations, "
      "work) and model.");
}

}  // namespace lowp_py
