// lowp.halp / lowp.svrg / lowp.sgd: linear models (least squares, logistic,
// softmax) on NumPy data, dispatched over loss x number format into the same
// solver templates `lowp halp|svrg|sgd` uses (tools/solve_cmd.cpp).
#include "common.hpp"

#include <cmath>

#include "lowp/datasets/synthetic.hpp"
#include "lowp/kernels/dispatch.hpp"
#include "lowp/solvers/solvers.hpp"

namespace lowp_py {
namespace {

namespace ds = lowp::datasets;
using lowp::objectives::linear_model;

struct linear_args {
  std::string algorithm, loss, rounding, out, label;
  int bits = 0;
  std::size_t epochs = 20, epoch_length = 0, classes = 0, inner_threads = 1;
  double step_size = 0, mu = 0, delta = 0, l2 = 0, tolerance = 0, step_decay = 0, divergence_factor = 10;
  double f_star = std::numeric_limits<double>::quiet_NaN();
  std::uint64_t seed = 0;
  int threads = 1;
  bool option_two = false, bias = false;
};

lowp::runs::param_list params_of(const linear_args& a, std::size_t n, std::size_t d) {
  return {{"loss", a.loss},
          {"bits", std::int64_t{a.bits}},
          {"rounding", a.rounding},
          {"l2", a.l2},
          {"step_size", a.step_size},
          {"epoch_length", static_cast<std::int64_t>(a.epoch_length)},
          {"epochs", static_cast<std::int64_t>(a.epochs)},
          {"mu", a.mu},
          {"delta", a.delta},
          {"tolerance", a.tolerance},
          {"threads", std::int64_t{a.threads}},
          {"inner_threads", static_cast<std::int64_t>(a.inner_threads)},
          {"bias", std::int64_t{a.bias}},
          {"examples", static_cast<std::int64_t>(n)},
          {"features", static_cast<std::int64_t>(d)},
          {"f_star", a.f_star},
          {"data_precision", std::string("float32 data, double arithmetic")}};
}

template <class Solver, class F>
py::tuple train(const Solver& solver, const F& f, const linear_args& a, py::handle w0, const py::object& callback) {
  std::vector<double> w = start_point(w0, f.dimension());
  const std::string name = a.label.empty() ? a.algorithm : a.label;
  deferred_error err;
  recorder rec(base_record(name, a.seed, lowp::kernels::name(lowp::kernels::best().id),
                           params_of(a, f.examples(), f.features())),
               callback, err);
  lowp::report r;
  {
    py::gil_scoped_release nogil;
    r = solver.optimize(f, w, rec);
  }
  err.rethrow_if_any();
  py::dict log = finish_log(rec.record(), r, a.out);
  py::array_t<double> model = to_numpy(w);
  if (f.outputs() > 1)
    model = model.reshape({static_cast<py::ssize_t>(f.outputs()), static_cast<py::ssize_t>(f.features())});
  return py::make_tuple(model, log);
}

template <class F>
py::tuple pick_solver(const F& f, const linear_args& a, py::handle w0, const py::object& cb) {
  using q8 = lowp::fixed<8, lowp::dynamic_scale>;
  using q16 = lowp::fixed<16, lowp::dynamic_scale>;
  using lowp::round::nearest_even;
  using sr = lowp::round::stochastic<>;
  using E = lowp::parallel::openmp;
  const E ex{a.threads};
  const bool nearest = a.rounding == "nearest";
  const int bits = a.bits;
  const lowp::solver_options so{.step_size = a.step_size,
                                .epoch_length = a.epoch_length,
                                .epochs = a.epochs,
                                .tolerance = a.tolerance,
                                .seed = a.seed,
                                .mu = a.mu,
                                .delta = a.delta,
                                .option_two = a.option_two,
                                .divergence_factor = a.divergence_factor,
                                .step_decay = a.step_decay,
                                .inner_threads = a.inner_threads};
  if (a.algorithm == "sgd") {
    if (bits == 0) return train(lowp::sgd<double, sr, E>(so, ex), f, a, w0, cb);
    if (bits == 8) return train(lowp::sgd<q8, sr, E>(so, ex), f, a, w0, cb);
    return train(lowp::sgd<q16, sr, E>(so, ex), f, a, w0, cb);
  }
  if (a.algorithm == "svrg") {
    if (bits == 0) return train(lowp::svrg<double, sr, E>(so, ex), f, a, w0, cb);
    if (bits == 32) return train(lowp::svrg<float, sr, E>(so, ex), f, a, w0, cb);
    if (bits == 8) return train(lowp::svrg<q8, sr, E>(so, ex), f, a, w0, cb);
    return train(lowp::svrg<q16, sr, E>(so, ex), f, a, w0, cb);
  }
  if (bits == 0) return train(lowp::halp<double, sr, E>(so, ex), f, a, w0, cb);
  if (bits == 8)
    return nearest ? train(lowp::halp<q8, nearest_even, E>(so, ex), f, a, w0, cb)
                   : train(lowp::halp<q8, sr, E>(so, ex), f, a, w0, cb);
  return nearest ? train(lowp::halp<q16, nearest_even, E>(so, ex), f, a, w0, cb)
                 : train(lowp::halp<q16, sr, E>(so, ex), f, a, w0, cb);
}

template <class Loss>
py::tuple with_loss(const ds::dense_dataset& data, Loss loss, const linear_args& a, py::handle w0,
                    const py::object& cb) {
  linear_model<Loss, ds::dense_dataset> f(data, a.l2, loss);
  f.set_optimum(a.f_star);
  return pick_solver(f, a, w0, cb);
}

void validate(const linear_args& a) {
  const std::string& al = a.algorithm;
  if (a.loss != "least_squares" && a.loss != "logistic" && a.loss != "softmax")
    bad("loss must be 'least_squares', 'logistic' or 'softmax', got '" + a.loss + "'");
  if (a.rounding != "stochastic" && a.rounding != "nearest")
    bad("rounding must be 'stochastic' or 'nearest', got '" + a.rounding + "'");
  const int b = a.bits;
  if (b != 0 && b != 8 && b != 16 && !(b == 32 && al == "svrg"))
    bad(al + ": bits must be 0 (double), 8 or 16" + (al == "svrg" ? std::string(" or 32 (float32)") : "") + ", got " +
        std::to_string(b));
  if (a.rounding == "nearest" && al != "halp")
    bad(al + ": rounding='nearest' is offered by halp only (the ablation); use 'stochastic'");
  if (a.rounding == "nearest" && (b == 0 || b == 32)) bad("rounding='nearest' applies to 8 or 16 bits only");
  if (al != "halp" && b > 0 && b < 32 && !(a.delta > 0))
    bad("LP-" + al + " (bits=" + std::to_string(b) + ") needs delta > 0, the fixed grid step");
  if (a.epochs == 0) bad("epochs must be >= 1");
  if (a.threads < 1 || a.threads > 1024) bad("threads must be in 1..1024, got " + std::to_string(a.threads));
  if (a.inner_threads < 1 || a.inner_threads > 1024) bad("inner_threads must be in 1..1024");
  if (a.inner_threads > 1 && al == "sgd") bad("inner_threads applies to svrg and halp (the SVRG family's inner loop)");
  auto nonneg = [](double v, const char* name) {
    if (!(v >= 0) || !std::isfinite(v)) bad(std::string(name) + " must be finite and >= 0, got " + std::to_string(v));
  };
  nonneg(a.step_size, "step_size");
  nonneg(a.mu, "mu");
  nonneg(a.delta, "delta");
  nonneg(a.l2, "l2");
  nonneg(a.tolerance, "tolerance");
  nonneg(a.step_decay, "step_decay");
  nonneg(a.divergence_factor, "divergence_factor");
  if (std::isinf(a.f_star)) bad("f_star must be finite (or None)");
  check_output_path(a.out, "out");
}

py::tuple solve(linear_args a, py::handle X, py::handle y, py::handle w0, const py::object& f_star,
                const py::object& callback) {
  a.f_star = f_star.is_none() ? std::numeric_limits<double>::quiet_NaN() : f_star.cast<double>();
  validate(a);
  if (!callback.is_none() && !PyCallable_Check(callback.ptr())) bad("callback must be callable (or None)");
  ds::dense_dataset data = dense_data(X, y);
  if (a.bias) data = ds::with_bias_column(data);
  if (a.loss == "least_squares") return with_loss(data, lowp::objectives::squared_loss{}, a, w0, callback);
  if (a.loss == "logistic") return with_loss(data, lowp::objectives::logistic_loss{}, a, w0, callback);
  std::size_t k = a.classes;
  if (k == 0)
    for (float v : data.y) k = std::max(k, static_cast<std::size_t>(std::max(0.0f, v)) + 1);
  if (k < 2) bad("softmax needs at least 2 classes (classes=)");
  return with_loss(data, lowp::objectives::softmax_loss{k}, a, w0, callback);
}

void def_solver(py::module_& m, const char* algorithm, int default_bits, const char* doc) {
  const std::string algo = algorithm;
  m.def(
      algorithm,
      [algo](py::handle X, py::handle y, const std::string& loss, int bits, const std::string& rounding,
             std::size_t epochs, double step_size, std::size_t epoch_length, double mu, double delta, double l2,
             double tolerance, std::uint64_t seed, int threads, std::size_t inner_threads, const py::object& f_star,
             py::handle w0, bool option_two, double step_decay, double divergence_factor, std::size_t classes,
             bool bias, const py::object& out, const std::string& label, const py::object& callback) {
        linear_args a;
        a.algorithm = algo;
        a.loss = loss;
        a.bits = bits;
        a.rounding = rounding;
        a.epochs = epochs;
        a.step_size = step_size;
        a.epoch_length = epoch_length;
        a.mu = mu;
        a.delta = delta;
        a.l2 = l2;
        a.tolerance = tolerance;
        a.seed = seed;
        a.threads = threads;
        a.inner_threads = inner_threads;
        a.option_two = option_two;
        a.step_decay = step_decay;
        a.divergence_factor = divergence_factor;
        a.classes = classes;
        a.bias = bias;
        a.out = out.is_none() ? std::string() : std::string(py::str(out));
        a.label = label;
        return solve(a, X, y, w0, f_star, callback);
      },
      py::arg("X"), py::arg("y"), py::kw_only(), py::arg("loss") = "least_squares", py::arg("bits") = default_bits,
      py::arg("rounding") = "stochastic", py::arg("epochs") = 20, py::arg("step_size") = 0.0,
      py::arg("epoch_length") = 0, py::arg("mu") = 0.0, py::arg("delta") = 0.0, py::arg("l2") = 0.0,
      py::arg("tolerance") = 0.0, py::arg("seed") = 0, py::arg("threads") = 1, py::arg("inner_threads") = 1,
      py::arg("f_star") = py::none(), py::arg("w0") = py::none(), py::arg("option_two") = false,
      py::arg("step_decay") = 0.0, py::arg("divergence_factor") = 10.0, py::arg("classes") = 0,
      py::arg("bias") = false, py::arg("out") = py::none(), py::arg("label") = "", py::arg("callback") = py::none(),
      doc);
}

template <class Loss>
py::tuple evaluate_with(const ds::dense_dataset& data, Loss loss, double l2, py::handle w_obj) {
  const linear_model<Loss, ds::dense_dataset> f(data, l2, loss);
  const std::vector<double> w = start_point(w_obj, f.dimension());
  std::vector<double> g(f.dimension());
  double v = 0;
  {
    py::gil_scoped_release nogil;
    v = f.evaluate(w.data(), g.data());
  }
  return py::make_tuple(v, to_numpy(g));
}

}  // namespace

void register_linear(py::module_& m) {
  m.def(
      "objective",
      [](py::handle X, py::handle y, py::handle w, const std::string& loss, double l2, std::size_t classes,
         bool bias) {
        if (!(l2 >= 0) || !std::isfinite(l2)) bad("l2 must be finite and >= 0");
        if (w.is_none()) bad("w is required");
        ds::dense_dataset data = dense_data(X, y);
        if (bias) data = ds::with_bias_column(data);
        if (loss == "least_squares") return evaluate_with(data, lowp::objectives::squared_loss{}, l2, w);
        if (loss == "logistic") return evaluate_with(data, lowp::objectives::logistic_loss{}, l2, w);
        if (loss != "softmax") bad("loss must be 'least_squares', 'logistic' or 'softmax', got '" + loss + "'");
        std::size_t k = classes;
        if (k == 0)
          for (float v : data.y) k = std::max(k, static_cast<std::size_t>(std::max(0.0f, v)) + 1);
        if (k < 2) bad("softmax needs at least 2 classes (classes=)");
        return evaluate_with(data, lowp::objectives::softmax_loss{k}, l2, w);
      },
      py::arg("X"), py::arg("y"), py::arg("w"), py::kw_only(), py::arg("loss") = "least_squares",
      py::arg("l2") = 0.0, py::arg("classes") = 0, py::arg("bias") = false,
      "(f(w), grad f(w)) of the solvers' objective 1/N sum_i loss(x_i.w, y_i) + l2/2 ||w||^2, on X and y as "
      "float32 (the solvers' data), in double.");
  m.def(
      "linear_regression_problem",
      [](std::size_t n, std::size_t d, double noise_sigma, double condition_number, double l2, std::uint64_t seed) {
        lowp::datasets::synthetic::linear_regression_problem p;
        {
          py::gil_scoped_release nogil;
          p = lowp::datasets::synthetic::linear_regression(
              {.n = n, .d = d, .noise_sigma = noise_sigma, .condition_number = condition_number, .l2 = l2,
               .seed = seed});
        }
        py::array_t<float> X({static_cast<py::ssize_t>(n), static_cast<py::ssize_t>(d)});
        std::copy(p.data.X.begin(), p.data.X.end(), X.mutable_data());
        auto vec = [](const Eigen::VectorXd& v) { return to_numpy(std::vector<double>(v.data(), v.data() + v.size())); };
        py::dict out;
        out["X"] = X;
        out["y"] = to_numpy(p.data.y);
        out["w_star"] = vec(p.w_star);
        out["w_opt"] = vec(p.w_opt);
        out["f_opt"] = p.f_opt;
        out["l2"] = p.l2;
        return out;
      },
      py::kw_only(), py::arg("n") = 1000, py::arg("d") = 20, py::arg("noise_sigma") = 0.1,
      py::arg("condition_number") = 1.0, py::arg("l2") = 0.0, py::arg("seed") = 0,
      "The library's planted least-squares generator (datasets/synthetic.hpp), as the C++ tests and the "
      "halp_convergence experiment use it: dict(X float32 (n x d), y float32, w_star, w_opt (exact minimiser on "
      "the float32 data), f_opt, l2). Invalid parameters raise ValueError.");
  def_solver(m, "halp", 8,
             R"doc(HALP (arXiv 1803.03383): SVRG with a bit-centred low-precision inner loop.

Returns (w, log): w the final anchor (float64; (classes, d) for softmax), log the run log dict (trace per
epoch: objective, gap = f - f_star, grad_norm, scale, seconds, saturations, work; status; params; report).
X (n x d) and y are converted to float32 (the library's data precision; arithmetic is double).
bits: 8 or 16 (HALP-b), 0 = double (equals SVRG). mu: the scale denominator (0 = the objective's
strong-convexity bound). step_size 0 = 0.2 / L_max; epoch_length 0 = 2N. rounding 'nearest' is the
ablation. out: also write the HDF5 run log there. callback(info) -> True stops; Ctrl-C stops too.)doc");
  def_solver(m, "svrg", 0,
             "SVRG (bits=0 double, 32 float32) and LP-SVRG (bits=8|16 on the fixed grid delta); same arguments and "
             "result as lowp.halp.");
  def_solver(m, "sgd", 0,
             "SGD (bits=0) and LP-SGD (bits=8|16 on the fixed grid delta), epoch_length 0 = N, step_decay: "
             "alpha / (1 + decay * epoch); same result as lowp.halp.");
}

}  // namespace lowp_py
