// lowp.buckwild: Hogwild!/Buckwild! (lock-free multithreaded SGD in low
// precision) on NumPy data; the same dispatch over dataset bits x model bits
// x race policy x dither as `lowp buckwild` (tools/buckwild_cmd.cpp).
#include "common.hpp"

#include <cmath>
#include <type_traits>

#include "lowp/kernels/dispatch.hpp"
#include "lowp/solvers/buckwild/buckwild.hpp"

namespace lowp_py {
namespace {

struct bw_args {
  std::string loss, race, dither, data_rounding, out, label;
  int dataset_bits = 32, model_bits = 32, threads = 1;
  double step_size = 0.1, step_decay = 1.0, l2 = 0.0, model_range = 0.0, divergence_factor = 1e3;
  double f_star = std::numeric_limits<double>::quiet_NaN();
  std::size_t epochs = 10;
  std::uint64_t seed = 0;
};

template <class Solver, class D>
py::tuple train(const bw_args& a, const lowp::buckwild_problem<D>& p, py::handle w0, const py::object& cb) {
  lowp::buckwild_options bo;
  bo.step_size = a.step_size;
  bo.step_decay = a.step_decay;
  bo.epochs = a.epochs;
  bo.threads = a.threads;
  bo.seed = a.seed;
  bo.l2 = a.l2;
  bo.model_range = a.model_range;
  bo.divergence_factor = a.divergence_factor;
  bo.f_star = a.f_star;
  Solver solver(bo);
  // The DMGC signature (as buckwild::signature() spells it, e.g. "D8M8G32fC8"),
  // built with appends: g++ 12 raises a false -Wrestrict (GCC bug 105329) on
  // the operator+ chain when that function is inlined here.
  std::string sig = "D";
  sig += a.dataset_bits == 32 ? "32f" : std::to_string(a.dataset_bits);
  sig += "M";
  sig += a.model_bits == 32 ? "32f" : std::to_string(a.model_bits);
  sig += "G32fC";
  sig += a.model_bits == 32 ? "32f" : std::to_string(a.model_bits);
  lowp::runs::param_list params = {{"signature", sig},
                                   {"loss", a.loss},
                                   {"dataset_bits", std::int64_t{a.dataset_bits}},
                                   {"model_bits", std::int64_t{a.model_bits}},
                                   {"threads", std::int64_t{a.threads}},
                                   {"race", a.race},
                                   {"dither", a.dither},
                                   {"data_rounding", a.data_rounding},
                                   {"step_size", a.step_size},
                                   {"step_decay", a.step_decay},
                                   {"l2", a.l2},
                                   {"model_range", a.model_range},
                                   {"epochs", static_cast<std::int64_t>(a.epochs)},
                                   {"examples", static_cast<std::int64_t>(p.n)},
                                   {"features", static_cast<std::int64_t>(p.d)},
                                   {"data_scale", p.scale},
                                   {"f_star", a.f_star}};
  std::vector<double> w = start_point(w0, p.d);
  deferred_error err;
  recorder rec(base_record(a.label.empty() ? "buckwild" : a.label, a.seed,
                           lowp::kernels::name(lowp::kernels::best().id), std::move(params)),
               cb, err);
  lowp::report r;
  {
    py::gil_scoped_release nogil;
    r = solver.optimize(p, w, rec);
  }
  err.rethrow_if_any();
  py::dict log = finish_log(rec.record(), r, a.out);
  if (p.loss != lowp::linear_loss::least_squares) {
    lowp::buckwild_evaluation e;
    {
      py::gil_scoped_release nogil;
      e = lowp::evaluate_buckwild(p, w, a.l2);
    }
    log["train_accuracy"] = e.accuracy;
  }
  log["data_scale"] = p.scale;
  return py::make_tuple(to_numpy(w), log);
}

template <class D, class M, class Race>
py::tuple with_dither(const bw_args& a, const lowp::buckwild_problem<D>& p, py::handle w0, const py::object& cb) {
  using namespace lowp;
  if (a.dither == "shared") return train<buckwild<D, M, float, Race, dither::shared>>(a, p, w0, cb);
  if constexpr (!std::is_same_v<M, float>)  // nearest rounds fixed-point model writes only
    if (a.dither == "nearest") return train<buckwild<D, M, float, Race, dither::nearest>>(a, p, w0, cb);
  return train<buckwild<D, M, float, Race, dither::independent>>(a, p, w0, cb);
}

template <class D, class M>
py::tuple with_race(const bw_args& a, const lowp::buckwild_problem<D>& p, py::handle w0, const py::object& cb) {
  if (a.race == "racy") return with_dither<D, M, lowp::race::racy_simd>(a, p, w0, cb);
  return with_dither<D, M, lowp::race::atomic_relaxed>(a, p, w0, cb);
}

template <class D>
py::tuple with_data(const bw_args& a, const lowp::datasets::dense_dataset& data, lowp::linear_loss loss,
                    py::handle w0, const py::object& cb) {
  const auto rounding = a.data_rounding == "stochastic" ? lowp::kernels::rounding_mode::stochastic
                                                        : lowp::kernels::rounding_mode::nearest_even;
  lowp::buckwild_problem<D> p;
  {
    py::gil_scoped_release nogil;
    p = lowp::make_buckwild_problem<D>(data, loss, rounding, a.seed);
  }
  if (a.model_bits == 8) return with_race<D, std::int8_t>(a, p, w0, cb);
  if (a.model_bits == 16) return with_race<D, std::int16_t>(a, p, w0, cb);
  return with_race<D, float>(a, p, w0, cb);
}

py::tuple buckwild_impl(const bw_args& a, py::handle X, py::handle y, py::handle w0, const py::object& cb) {
  auto one_of = [](const std::string& v, std::initializer_list<const char*> ok, const char* name) {
    std::string list;
    for (const char* o : ok) {
      if (v == o) return;
      list += (list.empty() ? "'" : ", '") + std::string(o) + "'";
    }
    bad(std::string(name) + " must be one of " + list + ", got '" + v + "'");
  };
  one_of(a.loss, {"least_squares", "logistic", "hinge"}, "loss");
  one_of(a.race, {"atomic", "racy"}, "race");
  one_of(a.dither, {"independent", "shared", "nearest"}, "dither");
  one_of(a.data_rounding, {"nearest", "stochastic"}, "data_rounding");
  auto bits_ok = [](int b, const char* name) {
    if (b != 8 && b != 16 && b != 32) bad(std::string(name) + " must be 8, 16 or 32, got " + std::to_string(b));
  };
  bits_ok(a.dataset_bits, "dataset_bits");
  bits_ok(a.model_bits, "model_bits");
  if (a.dither == "nearest" && a.model_bits == 32)
    bad("dither='nearest' applies to a fixed-point model (model_bits 8 or 16)");
  if (a.threads < 1 || a.threads > 1024) bad("threads must be in 1..1024, got " + std::to_string(a.threads));
  if (a.epochs == 0) bad("epochs must be >= 1");
  if (!(a.step_size > 0) || !std::isfinite(a.step_size)) bad("step_size must be finite and > 0");
  if (!(a.step_decay > 0 && a.step_decay <= 1)) bad("step_decay must be in (0, 1]");
  if (!(a.l2 >= 0) || !std::isfinite(a.l2)) bad("l2 must be finite and >= 0");
  if (!(a.model_range >= 0) || !std::isfinite(a.model_range)) bad("model_range must be finite and >= 0 (0 = auto)");
  if (!(a.divergence_factor >= 0)) bad("divergence_factor must be >= 0");
  if (std::isinf(a.f_star)) bad("f_star must be finite (or None)");
  if (!cb.is_none() && !PyCallable_Check(cb.ptr())) bad("callback must be callable (or None)");
  check_output_path(a.out, "out");
  const lowp::linear_loss loss = a.loss == "least_squares" ? lowp::linear_loss::least_squares
                                 : a.loss == "hinge"       ? lowp::linear_loss::hinge
                                                           : lowp::linear_loss::logistic;
  const lowp::datasets::dense_dataset data = dense_data(X, y);
  if (a.dataset_bits == 8) return with_data<std::int8_t>(a, data, loss, w0, cb);
  if (a.dataset_bits == 16) return with_data<std::int16_t>(a, data, loss, w0, cb);
  return with_data<float>(a, data, loss, w0, cb);
}

}  // namespace

void register_buckwild(py::module_& m) {
  m.def(
      "buckwild",
      [](py::handle X, py::handle y, const std::string& loss, int dataset_bits, int model_bits, int threads,
         const std::string& race, const std::string& dither, const std::string& data_rounding, double step_size,
         double step_decay, double l2, double model_range, std::size_t epochs, std::uint64_t seed,
         const py::object& f_star, double divergence_factor, py::handle w0, const py::object& out,
         const std::string& label, const py::object& callback) {
        bw_args a;
        a.loss = loss;
        a.dataset_bits = dataset_bits;
        a.model_bits = model_bits;
        a.threads = threads;
        a.race = race;
        a.dither = dither;
        a.data_rounding = data_rounding;
        a.step_size = step_size;
        a.step_decay = step_decay;
        a.l2 = l2;
        a.model_range = model_range;
        a.epochs = epochs;
        a.seed = seed;
        a.f_star = f_star.is_none() ? std::numeric_limits<double>::quiet_NaN() : f_star.cast<double>();
        a.divergence_factor = divergence_factor;
        a.out = out.is_none() ? std::string() : std::string(py::str(out));
        a.label = label;
        return buckwild_impl(a, X, y, w0, callback);
      },
      py::arg("X"), py::arg("y"), py::kw_only(), py::arg("loss") = "logistic", py::arg("dataset_bits") = 32,
      py::arg("model_bits") = 32, py::arg("threads") = 1, py::arg("race") = "atomic",
      py::arg("dither") = "independent", py::arg("data_rounding") = "nearest", py::arg("step_size") = 0.1,
      py::arg("step_decay") = 1.0, py::arg("l2") = 0.0, py::arg("model_range") = 0.0, py::arg("epochs") = 10,
      py::arg("seed") = 0, py::arg("f_star") = py::none(), py::arg("divergence_factor") = 1e3,
      py::arg("w0") = py::none(), py::arg("out") = py::none(), py::arg("label") = "",
      py::arg("callback") = py::none(),
      R"doc(Hogwild!/Buckwild! SGD: `threads` workers update one shared model without locks.

dataset_bits / model_bits: 8 or 16 (fixed point; data quantized once with one scale, model step
model_range / (2^(b-1)-1)) or 32 (float). race: 'atomic' (relaxed std::atomic_ref, defined behaviour) or
'racy' (plain stores + SIMD kernels, a documented data race). dither: 'independent', 'shared' or 'nearest'
(ablation). loss: 'least_squares', 'logistic' (labels -1/+1 or 0/1) or 'hinge'. One thread with a seed is
bit-identical run to run. Returns (w, log) like lowp.halp; log also has train_accuracy (classification)
and data_scale.)doc");
}

}  // namespace lowp_py
