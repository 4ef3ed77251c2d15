// lowp.gibbs: Gibbs sampling (sequential, simulated delay, Jacobi, HOGWILD!
// on threads; b-bit coins) of an Ising model or a discrete factor graph
// (built in Python or read from a UAI file), as `lowp gibbs` drives
// gibbs::sample (tools/gibbs_cmd.cpp). Run log trace, as in the CLI: one row per
// snapshot; objective = mean over variables of E[x_v], gap = max |P_t - P_final|.
#include "common.hpp"

#include <cmath>

#include "lowp/datasets/uai.hpp"
#include "lowp/solvers/gibbs/gibbs.hpp"
#include "lowp/solvers/gibbs/run_record.hpp"

namespace lowp_py {
namespace {

namespace g = lowp::gibbs;
namespace ds = lowp::datasets;

struct gibbs_args {
  std::uint64_t sweeps = 1000, burn_in = 100, thin = 1, seed = 0, snapshots = 20;
  int bits = 0, threads = 1;
  std::uint32_t tau_max = 0;
  std::string rounding, scan, mode, out, label;
  bool rao_blackwell = false;
};

g::options options_of(const gibbs_args& a, std::size_t n, py::handle init) {
  if (a.sweeps < 1) bad("sweeps must be >= 1");
  if (a.burn_in >= a.sweeps) bad("burn_in must be < sweeps");
  if (a.thin < 1) bad("thin must be >= 1");
  if (a.bits < 0 || a.bits > 16) bad("bits must be 0 (double coin) or 1..16, got " + std::to_string(a.bits));
  if (a.rounding != "stochastic" && a.rounding != "nearest")
    bad("rounding must be 'stochastic' or 'nearest', got '" + a.rounding + "'");
  if (a.bits == 0 && a.rounding == "nearest") bad("rounding='nearest' needs bits 1..16");
  if (a.scan != "random" && a.scan != "systematic") bad("scan must be 'random' or 'systematic', got '" + a.scan + "'");
  if (a.threads < 1 || a.threads > 1024) bad("threads must be in 1..1024");
  if (a.tau_max > (1u << 20)) bad("tau_max must be <= 1048576");
  g::options o;
  o.sweeps = a.sweeps;
  o.burn_in = a.burn_in;
  o.thin = a.thin;
  o.seed = a.seed;
  o.order = a.scan == "systematic" ? g::scan::systematic : g::scan::random;
  o.coin.bits = a.bits;
  o.coin.rounding = a.rounding == "nearest" ? g::coin_rounding::nearest : g::coin_rounding::stochastic;
  o.threads = a.threads;
  o.tau_max = a.tau_max;
  o.rao_blackwell = a.rao_blackwell;
  std::string mode = a.mode;
  if (mode.empty()) mode = a.tau_max > 0 ? "simulated_delay" : a.threads > 1 ? "hogwild" : "sequential";
  if (mode == "sequential") o.run = g::mode::sequential;
  else if (mode == "simulated_delay") o.run = g::mode::simulated_delay;
  else if (mode == "jacobi") o.run = g::mode::jacobi;
  else if (mode == "hogwild") o.run = g::mode::hogwild;
  else bad("mode must be 'sequential', 'simulated_delay', 'jacobi' or 'hogwild' (or None: from threads/tau_max), got '" + mode + "'");
  if (a.tau_max > 0 && o.run != g::mode::simulated_delay) bad("tau_max applies to mode='simulated_delay' only");
  if (o.run != g::mode::hogwild && a.threads > 1) bad("threads > 1 runs mode='hogwild' only");
  if (a.rao_blackwell && o.run != g::mode::sequential && o.run != g::mode::simulated_delay)
    bad("rao_blackwell applies to the sequential and simulated_delay modes");
  if (a.snapshots > 0) o.snapshot_every = std::max<std::uint64_t>(1, (a.sweeps - a.burn_in) / a.snapshots);
  if (!init.is_none()) {
    const auto v = converted<long long>(init, "init", 1);
    if (static_cast<std::size_t>(v.size()) != n)
      bad("init has " + std::to_string(v.size()) + " entries, the model has " + std::to_string(n) + " variables");
    o.init.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
      if (v.data()[i] < 0 || v.data()[i] > 255) bad("init[" + std::to_string(i) + "] is not a value in 0..255");
      o.init[i] = static_cast<std::uint8_t>(v.data()[i]);
    }
  }
  return o;
}

template <class Model>
py::tuple sample(const Model& model, const gibbs_args& a, py::handle init) {
  const g::options o = options_of(a, model.n_vars(), init);
  check_output_path(a.out, "out");
  double alpha = std::numeric_limits<double>::quiet_NaN();
  g::result r;
  {
    py::gil_scoped_release nogil;
    if constexpr (std::is_same_v<Model, g::ising_model>) {
      alpha = model.total_influence();
    } else if (model.n_vars() <= 100000) {
      try {
        alpha = g::total_influence(model, 4096);
      } catch (const std::invalid_argument&) {
      }
    }
    r = g::sample(model, o);
  }
  const std::vector<double> fin = r.marginals();
  const std::size_t n = model.n_vars();
  int max_card = 1;
  for (std::size_t v = 0; v < n; ++v) max_card = std::max(max_card, model.cardinality(v));
  // (n, max cardinality), zero beyond a variable's cardinality.
  auto as_matrix = [&](const std::vector<double>& m) {
    py::array_t<double> out({static_cast<py::ssize_t>(n), static_cast<py::ssize_t>(max_card)});
    double* p = out.mutable_data();
    std::fill(p, p + n * static_cast<std::size_t>(max_card), 0.0);
    for (std::size_t v = 0; v < n; ++v)
      for (std::size_t k = r.offset[v]; k < r.offset[v + 1]; ++k) p[v * max_card + (k - r.offset[v])] = m[k];
    return out;
  };
  lowp::runs::run_record rec = base_record(a.label.empty() ? "gibbs" : a.label, a.seed, "scalar",
                                           {{"sweeps", static_cast<std::int64_t>(a.sweeps)},
                                            {"burn_in", static_cast<std::int64_t>(a.burn_in)},
                                            {"thin", static_cast<std::int64_t>(a.thin)},
                                            {"bits", std::int64_t{a.bits}},
                                            {"rounding", a.rounding},
                                            {"scan", a.scan},
                                            {"threads", std::int64_t{a.threads}},
                                            {"tau_max", std::int64_t{a.tau_max}},
                                            {"variables", static_cast<std::int64_t>(n)},
                                            {"alpha", alpha}});
  g::fill_run_record(model, r, rec);
  if (!a.out.empty()) lowp::runs::write_run_log(a.out, rec);
  py::dict log = run_record_to_dict(rec);
  log["updates"] = r.updates;
  log["stuck"] = r.stuck;
  log["seconds"] = r.seconds;
  log["alpha"] = alpha;
  log["state"] = to_numpy(r.state);
  std::vector<std::uint64_t> counts = r.counts;
  log["counts"] = to_numpy(counts);
  py::list snaps;
  for (const auto& s : r.snapshots) snaps.append(as_matrix(s));
  log["snapshots"] = snaps;
  if (a.rao_blackwell) {
    std::vector<double> m(r.counts.size(), 0.0);
    for (std::size_t v = 0; v < n; ++v) {
      std::uint64_t tot = 0;
      for (std::size_t k = r.offset[v]; k < r.offset[v + 1]; ++k) tot += r.counts[k];
      for (std::size_t k = r.offset[v]; k < r.offset[v + 1]; ++k)
        m[k] = tot ? r.rb_sum[k] / static_cast<double>(tot) : fin[k];
    }
    log["rb_marginals"] = as_matrix(m);
  }
  if (!a.out.empty()) log["path"] = a.out;
  return py::make_tuple(as_matrix(fin), log);
}

g::ising_model make_ising(py::handle h_obj, py::handle edges_obj, py::handle beta_obj) {
  const auto h = converted<double>(h_obj, "h", 1);
  const auto n = static_cast<std::size_t>(h.size());
  if (n == 0) bad("h must have one entry per spin (got none)");
  std::vector<double> hv(h.data(), h.data() + n);
  require_finite(hv.data(), n, "h");
  const auto e = converted<long long>(edges_obj, "edges", 2);
  if (e.shape(1) != 2) bad("edges must have shape (m, 2)");
  const auto m = static_cast<std::size_t>(e.shape(0));
  const auto b = converted<double>(beta_obj, "beta", -1);
  if (b.ndim() > 1 || (b.ndim() == 1 && static_cast<std::size_t>(b.size()) != m))
    bad("beta must be a scalar or have one entry per edge (" + std::to_string(m) + ")");
  std::vector<g::ising_model::edge> edges(m);
  for (std::size_t k = 0; k < m; ++k) {
    const long long i = e.data()[2 * k], j = e.data()[2 * k + 1];
    if (i < 0 || j < 0 || static_cast<std::size_t>(i) >= n || static_cast<std::size_t>(j) >= n || i == j)
      bad("edges[" + std::to_string(k) + "] = (" + std::to_string(i) + ", " + std::to_string(j) +
          ") is not a pair of distinct spins in 0.." + std::to_string(n - 1));
    const double beta = b.ndim() == 0 ? b.data()[0] : b.data()[k];
    if (!std::isfinite(beta)) bad("beta[" + std::to_string(k) + "] is not finite");
    edges[k] = {static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(j), beta};
  }
  return g::ising_model(n, edges, std::move(hv));
}

}  // namespace

void register_gibbs(py::module_& m) {
  py::class_<g::ising_model>(m, "IsingModel",
                             "Pairwise +-1 model pi(s) ~ exp(sum_edges beta_ij s_i s_j + sum_i h_i s_i); spins are "
                             "reported as 0/1 (1 = +1).")
      .def(py::init(&make_ising), py::arg("h"), py::arg("edges"), py::arg("beta"),
           "h: (n,) fields; edges: (m, 2) spin index pairs; beta: scalar or (m,) couplings.")
      .def_property_readonly("n_vars", &g::ising_model::n_vars)
      .def("total_influence", &g::ising_model::total_influence,
           "Dobrushin alpha = max_i sum_j tanh|beta_ij| (< 1: rapid mixing, bounded HOGWILD! bias).")
      .def(
          "set_evidence",
          [](g::ising_model& s, std::uint32_t v, int spin01) {
            if (v >= s.n_vars()) bad("set_evidence: spin " + std::to_string(v) + " out of range");
            s.set_evidence(v, spin01);
          },
          py::arg("v"), py::arg("spin01"))
      .def("quantized", &g::ising_model::quantized, py::arg("frac_bits"), py::arg("int_bits") = 7,
           "The model with every coupling and field rounded to a multiple of 2^-frac_bits (fixed-point energies).")
      .def("to_factor_graph", &g::ising_model::to_factor_graph);
  m.def("ising_torus", &g::make_ising_torus, py::arg("rows"), py::arg("cols"), py::arg("beta"), py::arg("h") = 0.0,
        "rows x cols periodic grid (4 neighbours), uniform coupling beta and field h.");
  m.def("ising_ring", &g::make_ising_ring, py::arg("n"), py::arg("beta"), py::arg("h") = 0.0);

  py::class_<g::factor_graph>(m, "FactorGraph",
                              "Discrete factor graph: variables with cardinalities 1..16, factors as non-negative "
                              "tables (last scope variable fastest, UAI order), evidence.")
      .def(py::init<std::vector<std::uint32_t>>(), py::arg("cardinalities"))
      .def(
          "add_factor",
          [](g::factor_graph& f, const std::vector<std::uint32_t>& scope, py::handle table) {
            const auto t = converted<double>(table, "table", -1);
            f.add_factor(scope, std::vector<double>(t.data(), t.data() + t.size()));
          },
          py::arg("scope"), py::arg("table"))
      .def("set_evidence", &g::factor_graph::set_evidence, py::arg("v"), py::arg("value"))
      .def_property_readonly("n_vars", &g::factor_graph::n_vars)
      .def_property_readonly("n_factors", &g::factor_graph::n_factors)
      .def("cardinality", [](const g::factor_graph& f, std::size_t v) {
        if (v >= f.n_vars()) bad("cardinality: variable out of range");
        return f.cardinality(v);
      });
  m.def(
      "read_uai",
      [](const std::string& path, const py::object& evidence) {
        const ds::uai_model um = ds::read_uai(path);
        ds::uai_evidence ev;
        if (!evidence.is_none()) {
          const auto all = ds::read_uai_evidence(std::string(py::str(evidence)), um);
          if (!all.empty()) ev = all.front();
        }
        return g::from_uai(um, ev);
      },
      py::arg("path"), py::arg("evidence") = py::none(),
      "A UAI model file (MARKOV or BAYES) as a FactorGraph; evidence: a UAI evidence file (its first sample).");

  m.def(
      "gibbs",
      [](py::object model, std::uint64_t sweeps, std::uint64_t burn_in, std::uint64_t thin, int bits,
         const std::string& rounding, const std::string& scan, int threads, std::uint32_t tau_max,
         const py::object& mode, std::uint64_t seed, std::uint64_t snapshots, bool rao_blackwell, py::handle init,
         const py::object& out, const std::string& label) {
        gibbs_args a;
        a.sweeps = sweeps;
        a.burn_in = burn_in;
        a.thin = thin;
        a.bits = bits;
        a.rounding = rounding;
        a.scan = scan;
        a.threads = threads;
        a.tau_max = tau_max;
        a.mode = mode.is_none() ? std::string() : std::string(py::str(mode));
        a.seed = seed;
        a.snapshots = snapshots;
        a.rao_blackwell = rao_blackwell;
        a.out = out.is_none() ? std::string() : std::string(py::str(out));
        a.label = label;
        if (py::isinstance<g::ising_model>(model)) return sample(model.cast<const g::ising_model&>(), a, init);
        if (py::isinstance<g::factor_graph>(model)) {
          g::factor_graph& f = model.cast<g::factor_graph&>();
          f.finalize();
          return sample(static_cast<const g::factor_graph&>(f), a, init);
        }
        if (py::isinstance<py::str>(model) || py::hasattr(model, "__fspath__")) {
          const std::string path = py::str(py::module_::import("os").attr("fspath")(model));
          const g::factor_graph f = g::from_uai(ds::read_uai(path));
          return sample(f, a, init);
        }
        bad("model must be a lowp.IsingModel, a lowp.FactorGraph or the path of a UAI file");
      },
      py::arg("model"), py::kw_only(), py::arg("sweeps") = 1000, py::arg("burn_in") = 100, py::arg("thin") = 1,
      py::arg("bits") = 0, py::arg("rounding") = "stochastic", py::arg("scan") = "random", py::arg("threads") = 1,
      py::arg("tau_max") = 0, py::arg("mode") = py::none(), py::arg("seed") = 0, py::arg("snapshots") = 20,
      py::arg("rao_blackwell") = false, py::arg("init") = py::none(), py::arg("out") = py::none(),
      py::arg("label") = "",
      R"doc(Gibbs sampling; returns (marginals, log). marginals[v, c] = estimated P(x_v = c) ((n, max
cardinality); for an IsingModel column 1 is P(spin = +1)), tallied after burn_in sweeps. mode: None (from
threads / tau_max), 'sequential', 'simulated_delay' (tau_max), 'jacobi' or 'hogwild' (threads).
bits 1..16: b-bit coin with stochastic (unbiased) or nearest threshold. log: run log dict (trace per
snapshot: objective = mean E[x_v], gap = max |P_t - P_final|) plus updates, stuck, alpha (Dobrushin),
state, counts, snapshots, rb_marginals (rao_blackwell=True).)doc");
  m.def(
      "exact_marginals",
      [](py::object model) {
        auto run = [](const auto& mdl) {
          if (mdl.n_vars() > 24) bad("exact_marginals enumerates every state: at most 24 variables");
          std::vector<double> e;
          {
            py::gil_scoped_release nogil;
            e = g::exact_marginals(mdl);
          }
          return to_numpy(e);
        };
        if (py::isinstance<g::ising_model>(model)) return run(model.cast<const g::ising_model&>());
        if (py::isinstance<g::factor_graph>(model)) {
          g::factor_graph& f = model.cast<g::factor_graph&>();
          f.finalize();
          return run(static_cast<const g::factor_graph&>(f));
        }
        bad("model must be a lowp.IsingModel or a lowp.FactorGraph");
      },
      py::arg("model"),
      "Exact P(x_v = c) by enumeration (<= 24 variables), flattened variable-major (the C++ test oracle).");
}

}  // namespace lowp_py
