// The `lowp._lowp` extension module; python/lowp/__init__.py re-exports it.
#include "common.hpp"

#include "lowp/config.hpp"
#include "lowp/datasets/error.hpp"

PYBIND11_MODULE(_lowp, m) {
  namespace py = pybind11;
  m.doc() = "lowp: low-precision training and optimization (HALP, SVRG, SGD, Buckwild!, MF-SGD, Gibbs) on NumPy "
            "arrays. See python/README.md.";
  m.attr("__version__") = lowp_py::py::str(lowp::runs::library_version());

  // A file that is missing or unreadable is an OSError; one whose contents are
  // wrong is a ValueError (the message names file, line and what was expected).
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const lowp::datasets::io_error& e) {
      PyErr_SetString(PyExc_OSError, e.what());
    } catch (const lowp::datasets::parse_error& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    }
  });

  lowp_py::register_quantize(m);
  lowp_py::register_linear(m);
  lowp_py::register_buckwild(m);
  lowp_py::register_mf(m);
  lowp_py::register_gibbs(m);
  lowp_py::register_run_log(m);
}
