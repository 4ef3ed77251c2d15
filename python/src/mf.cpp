// lowp.mf: SGD matrix factorization of ratings (LIBMF/FPSG with float, 16- or
// 8-bit factors), lowrank::mf_sgd as `lowp mf` drives it (tools/mf_cmd.cpp).
// Run log as in the CLI: objective = training RMSE, gap = test RMSE.
#include "common.hpp"

#include <cmath>

#include "lowp/solvers/lowrank/mf_sgd.hpp"
#include "lowp/solvers/lowrank/run_record.hpp"

namespace lowp_py {
namespace {

namespace ds = lowp::datasets;
namespace lr = lowp::lowrank;

struct mf_args {
  std::size_t rank = 64, epochs = 20, blocks = 0;
  int bits = 32, threads = 1;
  std::string rounding, schedule, out, label;
  double l2 = 0.1, step_size = 0.1;
  bool biases = false;
  std::uint64_t seed = 0;
};

// Ids: integer (or integral float) arrays, >= 0 and < 2^32.
std::vector<std::uint32_t> ids(py::handle obj, const std::string& name) {
  const py::array a = numeric_array(obj, name);
  if (a.ndim() != 1) bad(name + " must be a 1-D array");
  const auto d = converted<double>(a, name, 1);
  std::vector<std::uint32_t> out(static_cast<std::size_t>(d.size()));
  for (std::size_t i = 0; i < out.size(); ++i) {
    const double v = d.data()[i];
    if (!(v >= 0) || v != std::floor(v) || v > 4294967295.0)
      bad(name + "[" + std::to_string(i) + "] = " + std::to_string(v) + " is not an id (an integer in 0..2^32-1)");
    out[i] = static_cast<std::uint32_t>(v);
  }
  return out;
}

ds::ratings ratings_of(py::handle users, py::handle items, py::handle values, const std::string& prefix) {
  ds::ratings r;
  r.user = ids(users, prefix + "users");
  r.item = ids(items, prefix + "items");
  const auto v = converted<float>(values, prefix + "ratings", 1);
  r.rating.assign(v.data(), v.data() + v.size());
  if (r.user.size() != r.item.size() || r.user.size() != r.rating.size())
    bad(prefix + "users, " + prefix + "items and " + prefix + "ratings must have the same length, got " +
        std::to_string(r.user.size()) + ", " + std::to_string(r.item.size()) + " and " +
        std::to_string(r.rating.size()));
  if (r.rating.empty()) bad(prefix + "ratings is empty");
  require_finite(r.rating.data(), r.rating.size(), prefix + "ratings");
  for (std::uint32_t u : r.user) r.n_users = std::max<std::size_t>(r.n_users, std::size_t(u) + 1);
  for (std::uint32_t i : r.item) r.n_items = std::max<std::size_t>(r.n_items, std::size_t(i) + 1);
  return r;
}

template <class Solver>
py::tuple fit(const mf_args& a, ds::ratings& train, const ds::ratings* test, const py::object& cb) {
  lr::mf_options mo;
  mo.rank = a.rank;
  mo.lambda = a.l2;
  mo.step_size = a.step_size;
  mo.epochs = a.epochs;
  mo.threads = a.threads;
  mo.seed = a.seed;
  mo.biases = a.biases;
  mo.blocks = a.blocks;
  Solver solver(mo);
  lowp::runs::run_record rec =
      base_record(a.label.empty() ? "mf_sgd" : a.label, a.seed, "scalar",
                  {{"rank", static_cast<std::int64_t>(a.rank)},
                   {"bits", std::int64_t{a.bits}},
                   {"rounding", a.rounding},
                   {"schedule", a.schedule},
                   {"lambda", a.l2},
                   {"step_size", a.step_size},
                   {"epochs", static_cast<std::int64_t>(a.epochs)},
                   {"threads", std::int64_t{a.threads}},
                   {"blocks", static_cast<std::int64_t>(a.blocks)},
                   {"biases", std::int64_t{a.biases}},
                   {"users", static_cast<std::int64_t>(train.n_users)},
                   {"items", static_cast<std::int64_t>(train.n_items)},
                   {"ratings", static_cast<std::int64_t>(train.size())},
                   {"trace_objective", std::string("train_rmse")},
                   {"trace_gap", std::string("test_rmse")}});
  deferred_error err;
  std::uint64_t total_sat = 0;
  auto on_epoch = [&](const lr::mf_epoch& e) {
    lr::append_mf_epoch(rec, e, train.size(), total_sat);
    return poll_python(cb, err, [&] {
      py::dict info;
      info["epoch"] = e.epoch;
      info["train_rmse"] = e.train_rmse;
      info["test_rmse"] = e.test_rmse;
      info["seconds"] = e.seconds;
      info["saturations"] = e.saturations;
      return info;
    });
  };
  lr::mf_result r;
  {
    py::gil_scoped_release nogil;
    r = solver.fit(train, test, on_epoch);
  }
  err.rethrow_if_any();
  rec.status = lowp::to_string(r.why);
  rec.message = r.message;
  if (!a.out.empty()) lowp::runs::write_run_log(a.out, rec);
  py::dict log = run_record_to_dict(rec);
  log["saturations"] = r.saturations;
  log["updates"] = r.updates;
  log["seconds"] = r.seconds;
  std::vector<double> tr, te;
  for (const auto& e : r.trace) tr.push_back(e.train_rmse), te.push_back(e.test_rmse);
  log["train_rmse"] = to_numpy(tr);
  log["test_rmse"] = to_numpy(te);
  if (!a.out.empty()) log["path"] = a.out;

  const auto& mdl = r.model;
  py::dict model;
  auto matrix = [](const std::vector<float>& v, std::size_t rows, std::size_t cols) {
    py::array_t<float> m({static_cast<py::ssize_t>(rows), static_cast<py::ssize_t>(cols)});
    std::copy(v.begin(), v.end(), m.mutable_data());
    return m;
  };
  model["P"] = matrix(mdl.P, mdl.users, mdl.rank);
  model["Q"] = matrix(mdl.Q, mdl.items, mdl.rank);
  model["user_bias"] = to_numpy(mdl.user_bias);
  model["item_bias"] = to_numpy(mdl.item_bias);
  model["mean"] = mdl.mean;
  model["fallback"] = mdl.fallback;
  return py::make_tuple(model, log);
}

template <class Format, class Rounding>
py::tuple by_schedule(const mf_args& a, ds::ratings& tr, const ds::ratings* te, const py::object& cb) {
  if (a.schedule == "hogwild") return fit<lr::mf_sgd<Format, Rounding, lr::hogwild>>(a, tr, te, cb);
  return fit<lr::mf_sgd<Format, Rounding, lr::blocked>>(a, tr, te, cb);
}
template <class Format>
py::tuple by_rounding(const mf_args& a, ds::ratings& tr, const ds::ratings* te, const py::object& cb) {
  if (a.rounding == "nearest") return by_schedule<Format, lowp::round::nearest_even>(a, tr, te, cb);
  return by_schedule<Format, lowp::round::stochastic<>>(a, tr, te, cb);
}

}  // namespace

void register_mf(py::module_& m) {
  m.def(
      "mf",
      [](py::handle users, py::handle items, py::handle ratings, std::size_t rank, int bits,
         const std::string& rounding, const std::string& schedule, std::size_t epochs, double l2, double step_size,
         int threads, std::size_t blocks, bool biases, std::uint64_t seed, const py::object& test,
         const py::object& n_users, const py::object& n_items, const py::object& out, const std::string& label,
         const py::object& callback) {
        mf_args a;
        a.rank = rank;
        a.bits = bits;
        a.rounding = rounding;
        a.schedule = schedule;
        a.epochs = epochs;
        a.l2 = l2;
        a.step_size = step_size;
        a.threads = threads;
        a.blocks = blocks;
        a.biases = biases;
        a.seed = seed;
        a.out = out.is_none() ? std::string() : std::string(py::str(out));
        a.label = label;
        if (bits != 8 && bits != 16 && bits != 32) bad("bits must be 8, 16 or 32, got " + std::to_string(bits));
        if (rounding != "stochastic" && rounding != "nearest")
          bad("rounding must be 'stochastic' or 'nearest', got '" + rounding + "'");
        if (bits == 32 && rounding != "stochastic") bad("rounding applies to bits 8 or 16 (float factors are not rounded)");
        if (schedule != "blocked" && schedule != "hogwild")
          bad("schedule must be 'blocked' or 'hogwild', got '" + schedule + "'");
        if (rank == 0 || rank > 4096) bad("rank must be in 1..4096, got " + std::to_string(rank));
        if (epochs == 0) bad("epochs must be >= 1");
        if (threads < 1 || threads > 1024) bad("threads must be in 1..1024");
        if (!(l2 >= 0) || !std::isfinite(l2)) bad("l2 must be finite and >= 0");
        if (!(step_size > 0) || !std::isfinite(step_size)) bad("step_size must be finite and > 0");
        if (!callback.is_none() && !PyCallable_Check(callback.ptr())) bad("callback must be callable (or None)");
        if (!a.out.empty() && (a.out.size() < 3 || a.out.compare(a.out.size() - 3, 3, ".h5") != 0))
          bad("out must end in .h5: " + a.out);
        check_output_path(a.out, "out");
        ds::ratings tr = ratings_of(users, items, ratings, "");
        auto widen = [](std::size_t& have, const py::object& want, const char* name) {
          if (want.is_none()) return;
          const auto v = want.cast<long long>();
          if (v < 0 || static_cast<std::size_t>(v) < have)
            bad(std::string(name) + " = " + std::to_string(v) + " is smaller than the largest id + 1 (" +
                std::to_string(have) + ")");
          have = static_cast<std::size_t>(v);
        };
        widen(tr.n_users, n_users, "n_users");
        widen(tr.n_items, n_items, "n_items");
        std::optional<ds::ratings> te;
        if (!test.is_none()) {
          const py::tuple t = py::cast<py::tuple>(test);
          if (t.size() != 3) bad("test must be a tuple (users, items, ratings)");
          te = ratings_of(t[0], t[1], t[2], "test ");
        }
        const ds::ratings* tp = te ? &*te : nullptr;
        if (bits == 8) return by_rounding<lowp::fixed<8, lowp::dynamic_scale>>(a, tr, tp, callback);
        if (bits == 16) return by_rounding<lowp::fixed<16, lowp::dynamic_scale>>(a, tr, tp, callback);
        return by_schedule<float, lowp::round::stochastic<>>(a, tr, tp, callback);
      },
      py::arg("users"), py::arg("items"), py::arg("ratings"), py::kw_only(), py::arg("rank") = 64,
      py::arg("bits") = 32, py::arg("rounding") = "stochastic", py::arg("schedule") = "blocked",
      py::arg("epochs") = 20, py::arg("l2") = 0.1, py::arg("step_size") = 0.1, py::arg("threads") = 1,
      py::arg("blocks") = 0, py::arg("biases") = false, py::arg("seed") = 0, py::arg("test") = py::none(),
      py::arg("n_users") = py::none(), py::arg("n_items") = py::none(), py::arg("out") = py::none(),
      py::arg("label") = "", py::arg("callback") = py::none(),
      R"doc(Matrix factorization of ratings by SGD (LIBMF's FPSG with AdaGrad) with float (bits=32), 16- or
8-bit fixed-point factors. users/items: 0-based integer ids; ratings: floats. test=(users, items, ratings)
adds a test RMSE per epoch. l2 is LIBMF's lambda. Returns (model, log): model = dict(P (users x rank),
Q (items x rank), user_bias, item_bias, mean, fallback), float32; log = run log dict (trace objective =
train RMSE, gap = test RMSE) plus train_rmse / test_rmse arrays (entry 0 = the initial model).)doc");
}

}  // namespace lowp_py
