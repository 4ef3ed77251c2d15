// Implementation of common.hpp.
#include "common.hpp"

#include <cmath>
#include <filesystem>

#include "lowp/datasets/error.hpp"

namespace lowp_py {

py::array numeric_array(py::handle obj, const std::string& name) {
  if (obj.is_none()) bad(name + " is required (got None)");
  py::array a;
  try {
    a = py::array::ensure(obj);
  } catch (const py::error_already_set&) {
    a = py::array();
  }
  if (!a) bad(name + " must be array-like (a NumPy array or a list of numbers)");
  const char kind = a.dtype().kind();
  if (kind != 'f' && kind != 'i' && kind != 'u' && kind != 'b')
    bad(name + " must have a real numeric dtype (bool, int, uint or float), got " +
        std::string(py::str(a.dtype())));
  return a;
}

void require_finite(const float* v, std::size_t n, const std::string& name, std::size_t row_length) {
  for (std::size_t i = 0; i < n; ++i)
    if (!std::isfinite(v[i])) {
      const std::string at = row_length > 0 ? "[" + std::to_string(i / row_length) + ", " +
                                                  std::to_string(i % row_length) + "]"
                                            : "[" + std::to_string(i) + "]";
      bad(name + at + " is " + std::to_string(v[i]) +
          " (not finite, or beyond float32's range after conversion); every value must be finite");
    }
}

void require_finite(const double* v, std::size_t n, const std::string& name) {
  for (std::size_t i = 0; i < n; ++i)
    if (!std::isfinite(v[i])) bad(name + "[" + std::to_string(i) + "] is not finite; every value must be finite");
}

lowp::datasets::dense_dataset dense_data(py::handle X, py::handle y) {
  const auto x = converted<float>(X, "X", 2);
  const auto t = converted<float>(y, "y", 1);
  const auto n = static_cast<std::size_t>(x.shape(0)), d = static_cast<std::size_t>(x.shape(1));
  if (n == 0 || d == 0)
    bad("X must have at least one row and one column, got shape (" + std::to_string(n) + ", " + std::to_string(d) +
        ")");
  if (static_cast<std::size_t>(t.shape(0)) != n)
    bad("y has " + std::to_string(t.shape(0)) + " entries, X has " + std::to_string(n) + " rows");
  lowp::datasets::dense_dataset out;
  out.n = n;
  out.d = d;
  out.X.assign(x.data(), x.data() + n * d);
  out.y.assign(t.data(), t.data() + n);
  require_finite(out.X.data(), out.X.size(), "X", d);
  require_finite(out.y.data(), out.y.size(), "y");
  return out;
}

std::vector<double> start_point(py::handle w0, std::size_t dim) {
  if (w0.is_none()) return std::vector<double>(dim, 0.0);
  const auto a = converted<double>(w0, "w0", -1);
  if (static_cast<std::size_t>(a.size()) != dim)
    bad("w0 has " + std::to_string(a.size()) + " entries, the model has " + std::to_string(dim));
  std::vector<double> w(a.data(), a.data() + dim);
  require_finite(w.data(), w.size(), "w0");
  return w;
}

namespace {
py::object param_to_py(const lowp::runs::param_value& v) {
  if (const auto* i = std::get_if<std::int64_t>(&v)) return py::int_(*i);
  if (const auto* d = std::get_if<double>(&v)) return py::float_(*d);
  return py::str(std::get<std::string>(v));
}
}  // namespace

py::dict run_record_to_dict(const lowp::runs::run_record& r) {
  py::dict d;
  d["algorithm"] = r.algorithm;
  d["seed"] = r.seed;
  d["status"] = r.status;
  d["message"] = r.message;
  py::dict params;
  for (const auto& [k, v] : r.params) params[py::str(k)] = param_to_py(v);
  d["params"] = params;
  d["library_version"] = r.library_version;
  d["git_revision"] = r.git_revision;
  d["cpu_model"] = r.cpu_model;
  d["isa"] = r.isa;
  d["hostname"] = r.hostname;
  d["started_utc"] = r.started_utc;
  const std::size_t n = r.trace.size();
  py::array_t<std::uint64_t> epoch(n), sat(n), work(n);
  py::array_t<double> obj(n), gap(n), grad(n), scale(n), secs(n);
  for (std::size_t i = 0; i < n; ++i) {
    const auto& t = r.trace[i];
    epoch.mutable_at(i) = t.epoch;
    sat.mutable_at(i) = t.saturations;
    work.mutable_at(i) = t.work;
    obj.mutable_at(i) = t.objective;
    gap.mutable_at(i) = t.gap;
    grad.mutable_at(i) = t.grad_norm;
    scale.mutable_at(i) = t.scale;
    secs.mutable_at(i) = t.seconds;
  }
  py::dict trace;
  trace["epoch"] = epoch;
  trace["objective"] = obj;
  trace["gap"] = gap;
  trace["grad_norm"] = grad;
  trace["scale"] = scale;
  trace["seconds"] = secs;
  trace["saturations"] = sat;
  trace["work"] = work;
  d["trace"] = trace;
  d["model"] = to_numpy(r.model);
  return d;
}

lowp::runs::run_record base_record(const std::string& algorithm, std::uint64_t seed, const std::string& isa,
                                   lowp::runs::param_list params) {
  lowp::runs::run_record r = lowp::runs::make_run_record(algorithm, seed);
  r.isa = isa;
  r.params = std::move(params);
  return r;
}

bool poll_python(const py::object& callback, deferred_error& err, const std::function<py::dict()>& make_info) {
  if (err.e) return true;
  py::gil_scoped_acquire gil;
  try {
    if (PyErr_CheckSignals() != 0) throw py::error_already_set();
    if (!callback.is_none()) return py::bool_(callback(make_info()));
  } catch (...) {
    err.e = std::current_exception();
    return true;
  }
  return false;
}

bool recorder::on_epoch_end(const lowp::epoch_state& s) {
  rec_.trace.push_back(lowp::runs::to_trace_row(s));
  return poll_python(cb_, err_, [&] {
    py::dict info;
    info["epoch"] = s.epoch;
    info["objective"] = s.objective;
    info["gap"] = s.gap;
    info["grad_norm"] = s.full_gradient_norm;
    info["scale"] = s.scale;
    info["seconds"] = s.seconds;
    info["saturations"] = s.saturations;
    info["work"] = s.work;
    info["model"] = to_numpy(std::vector<double>(s.model.begin(), s.model.end()));
    return info;
  });
}

void recorder::on_end(const lowp::epoch_state& s, const lowp::report& r) {
  rec_.status = lowp::to_string(r.why);
  rec_.message = r.message;
  rec_.model.assign(s.model.begin(), s.model.end());
  report_ = r;
}

py::dict report_to_dict(const lowp::report& r) {
  py::dict d;
  d["status"] = lowp::to_string(r.why);
  d["message"] = r.message;
  d["objective"] = r.objective;
  d["grad_norm"] = r.full_gradient_norm;
  d["epochs"] = r.epochs;
  d["saturations"] = r.saturations;
  d["work"] = r.work;
  d["seconds"] = r.seconds;
  return d;
}

py::dict finish_log(lowp::runs::run_record& rec, const lowp::report& r, const std::string& out) {
  if (!out.empty()) lowp::runs::write_run_log(out, rec);
  py::dict d = run_record_to_dict(rec);
  d["report"] = report_to_dict(r);
  d["saturations"] = r.saturations;
  if (!out.empty()) d["path"] = out;
  return d;
}

void check_output_path(const std::string& out, const std::string& name) {
  if (out.empty()) return;
  namespace fs = std::filesystem;
  const fs::path p(out);
  const fs::path dir = p.has_parent_path() ? p.parent_path() : fs::path(".");
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) bad(name + " " + out + ": directory " + dir.string() + " does not exist");
  if (fs::is_directory(p, ec)) bad(name + " " + out + ": is a directory");
}

}  // namespace lowp_py
