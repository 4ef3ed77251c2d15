// The data-parallel SVRG / HALP (include/lowp/distributed/distributed.hpp) on
// simulated ranks (in_process_group): P = 1 is the single-process solver,
// P = 2, 4 converge to the exact optimum with exact and with int8 messages,
// and a frozen message scale (no re-scaling) stalls. Fixed seeds throughout:
// each check is a statement about one well-defined run.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "../solvers/problems.hpp"
#include "lowp/distributed/distributed.hpp"

using namespace lowp;
using lowp_test::ls_problem;
using lowp_test::recorder;

namespace {
using q8 = fixed<8, dynamic_scale>;
using q16 = fixed<16, dynamic_scale>;
using F = objectives::least_squares<datasets::dense_dataset>;

struct sim_result {
  std::vector<distributed_report> reports;   // per rank
  std::vector<std::vector<double>> models;   // per rank
  recorder trace;                            // rank 0's
};

template <class Solver>
sim_result simulate(const Solver& solver, const F& f, int P) {
  sim_result out;
  out.reports.resize(static_cast<std::size_t>(P));
  out.models.resize(static_cast<std::size_t>(P));
  distributed::in_process_group group(P);
  group.run([&](distributed::in_process_communicator& c) {
    distributed::row_shard<F> shard(f, c.rank(), c.size());
    std::vector<double> w(f.dimension(), 0.0);
    const auto r = static_cast<std::size_t>(c.rank());
    if (c.rank() == 0)
      out.reports[r] = solver.optimize(c, shard, w, out.trace);
    else
      out.reports[r] = solver.optimize(c, shard, w);
    out.models[r] = w;
  });
  return out;
}

// First epoch whose relative gap is <= eps (states.size() if never).
std::size_t epochs_to(const recorder& r, double f_star, double eps) {
  const auto g = r.rel_gaps(f_star);
  return static_cast<std::size_t>(std::find_if(g.begin(), g.end(), [&](double v) { return v <= eps; }) - g.begin());
}
double min_gap(const recorder& r, double f_star) {
  const auto g = r.rel_gaps(f_star);
  return *std::min_element(g.begin(), g.end());
}
}  // namespace

TEST_CASE("one rank with exact messages is lowp::svrg and lowp::halp bit for bit") {
  ls_problem pr(20);
  const solver_options o{.epochs = 10, .seed = 11};
  auto check = [&](const auto& single, const auto& dist) {
    auto w = pr.zeros();
    recorder rs;
    single.optimize(pr.f, w, rs);
    const sim_result d = simulate(dist, pr.f, 1);
    REQUIRE(rs.states.size() == d.trace.states.size());
    // The spec asks for 1e-12; the construction (weight 1.0, a one-term sum, the same
    // candidate) gives identical bits, which is what we check.
    for (std::size_t k = 0; k < rs.states.size(); ++k) {
      CHECK(rs.states[k].objective == d.trace.states[k].objective);
      CHECK(rs.models[k] == d.trace.models[k]);
    }
    CHECK(w == d.models[0]);
    CHECK(d.reports[0].comm.bytes_sent == 0);
  };
  check(svrg<>(o), distributed_svrg<>(o));
  check(halp<q8>(o), distributed_halp<q8>(o));
  check(halp<q16>(o), distributed_halp<q16>(o));
}

TEST_CASE("two and four ranks with exact messages converge to the exact optimum") {
  ls_problem pr(20);
  const solver_options o{.epochs = 30, .seed = 3};
  for (int P : {2, 4}) {
    CAPTURE(P);
    const auto s = simulate(distributed_svrg<>(o), pr.f, P);
    const auto h = simulate(distributed_halp<q8>(o), pr.f, P);
    MESSAGE("P=", P, " svrg ", min_gap(s.trace, pr.f_star), " halp8 ", min_gap(h.trace, pr.f_star));
    CHECK(min_gap(s.trace, pr.f_star) <= 1e-10);
    CHECK(min_gap(h.trace, pr.f_star) <= 1e-10);
    // Every rank ends with the same bits.
    for (int r = 1; r < P; ++r) {
      CHECK(s.models[static_cast<std::size_t>(r)] == s.models[0]);
      CHECK(h.models[static_cast<std::size_t>(r)] == h.models[0]);
    }
  }
}

TEST_CASE("int8 messages keep linear convergence and a frozen message scale stalls") {
  ls_problem pr(20);
  const solver_options o{.epochs = 30, .seed = 3};
  for (int P : {2, 4}) {
    CAPTURE(P);
    const auto s8 = simulate(distributed_svrg<>(o, {.comm_bits = 8}), pr.f, P);
    const auto h8 = simulate(distributed_halp<q16>(o, {.comm_bits = 8}), pr.f, P);
    const auto frozen = simulate(distributed_svrg<>(o, {.comm_bits = 8, .rescale = false}), pr.f, P);
    MESSAGE("P=", P, " svrg/int8 ", min_gap(s8.trace, pr.f_star), " halp16/int8 ", min_gap(h8.trace, pr.f_star),
            " frozen ", min_gap(frozen.trace, pr.f_star));
    CHECK(min_gap(s8.trace, pr.f_star) <= 1e-10);
    CHECK(min_gap(h8.trace, pr.f_star) <= 1e-10);
    CHECK(min_gap(frozen.trace, pr.f_star) >= 1e-6);
    // "Still linear": int8 messages cost at most half as many epochs again as exact ones.
    const auto exact = simulate(distributed_svrg<>(o), pr.f, P);
    const std::size_t k_exact = epochs_to(exact.trace, pr.f_star, 1e-10), k8 = epochs_to(s8.trace, pr.f_star, 1e-10);
    MESSAGE("epochs to 1e-10: exact ", k_exact, " int8 ", k8);
    CHECK(k8 <= k_exact + k_exact / 2 + 1);
  }
}

TEST_CASE("bytes per epoch follow the message sizes") {
  ls_problem pr(20);
  const std::size_t d = 20;
  const solver_options o{.epochs = 3, .seed = 1};
  // Per epoch a rank sends the full pass, its offsets and the stop vote (8). Exact: the
  // allreduce [f, g, saturations] (8 (d + 2)) and the offsets as doubles (8 d). Quantized
  // (b bits): a gradient-difference message and an offset message of d b/8 + 8 bytes each,
  // plus [f, saturations] (16); with quantize_gradient off the full pass stays exact.
  const auto exact = simulate(distributed_svrg<>(o), pr.f, 4);
  const auto m8 = simulate(distributed_svrg<>(o, {.comm_bits = 8}), pr.f, 4);
  const auto m16 = simulate(distributed_svrg<>(o, {.comm_bits = 16}), pr.f, 4);
  const auto m8x = simulate(distributed_svrg<>(o, {.comm_bits = 8, .quantize_gradient = false}), pr.f, 4);
  for (int r = 0; r < 4; ++r) {
    const auto i = static_cast<std::size_t>(r);
    REQUIRE(exact.reports[i].epoch_bytes.size() == 3);
    CHECK(exact.reports[i].epoch_bytes[1] == 8 * (d + 2) + 8 * d + 8);
    CHECK(m8.reports[i].epoch_bytes[1] == 2 * (d + 8) + 16 + 8);
    CHECK(m16.reports[i].epoch_bytes[1] == 2 * (2 * d + 8) + 16 + 8);
    CHECK(m8x.reports[i].epoch_bytes[1] == 8 * (d + 2) + d + 8 + 8);
  }
}

TEST_CASE("distributed runs are deterministic and agree on stopping and divergence") {
  ls_problem pr(20);
  const solver_options o{.epochs = 6, .seed = 9};
  const auto a = simulate(distributed_halp<q16>(o, {.comm_bits = 8}), pr.f, 3);
  const auto b = simulate(distributed_halp<q16>(o, {.comm_bits = 8}), pr.f, 3);
  CHECK(a.models == b.models);  // thread timing does not enter
  // A stop requested by rank 0's callback alone stops every rank (no rank waits forever).
  struct stop_at_2 {
    bool on_epoch_end(const epoch_state& s) { return s.epoch >= 2; }
  };
  distributed::in_process_group group(4);
  std::vector<distributed_report> reps(4);
  group.run([&](distributed::in_process_communicator& c) {
    distributed::row_shard<F> shard(pr.f, c.rank(), c.size());
    std::vector<double> w(pr.f.dimension(), 0.0);
    stop_at_2 stop;
    reps[static_cast<std::size_t>(c.rank())] =
        c.rank() == 0 ? distributed_svrg<>(o).optimize(c, shard, w, stop) : distributed_svrg<>(o).optimize(c, shard, w);
  });
  for (const auto& r : reps) {
    CHECK(r.why == status::stopped_by_callback);
    CHECK(r.epochs == 2);
  }
  // Too few bits for d = 100 (spec 6.6.6): every rank reports the divergence.
  ls_problem big(100);
  const auto bad = simulate(distributed_halp<fixed<4, dynamic_scale>>({.epochs = 30, .seed = 2}), big.f, 2);
  for (const auto& r : bad.reports) {
    CHECK(r.why == status::diverged);
    CHECK(r.message.find("4-bit") != std::string::npos);
  }
}
