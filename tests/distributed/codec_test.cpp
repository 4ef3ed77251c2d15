// The quantized-message codec and the in-process communicator of the
// data-parallel solvers (include/lowp/distributed/).
#include <doctest/doctest.h>

#include <cmath>
#include <cstddef>
#include <limits>
#include <stdexcept>
#include <vector>

#include "lowp/distributed/communicator.hpp"
#include "lowp/distributed/detail/codec.hpp"

using namespace lowp;
namespace dd = lowp::distributed::detail;

namespace {
std::vector<double> round_trip(const std::vector<double>& u, int bits, std::uint64_t stream, double fixed = 0.0,
                               dd::encode_result* res = nullptr) {
  std::vector<std::byte> msg(dd::message_bytes(u.size(), bits));
  const auto r = dd::encode(u, bits, counter_rng(7, stream), msg, fixed);
  if (res != nullptr) *res = r;
  std::vector<double> out(u.size(), 0.0);
  dd::decode_add(msg, bits, out);
  return out;
}
}  // namespace

TEST_CASE("codec sends integral offsets in range losslessly at scale 1") {
  // HALP-8's offsets are int8 codes: 8-bit messages must carry them exactly.
  const std::vector<double> u = {-128, 127, 0, 5, -3, 1};
  dd::encode_result r;
  CHECK(round_trip(u, 8, 1, 0.0, &r) == u);
  CHECK(r.lossless);
  CHECK(r.scale == 1.0);
  const std::vector<double> u16 = {-32768, 32767, 12345, -1};
  CHECK(round_trip(u16, 16, 2, 0.0, &r) == u16);
  CHECK(r.lossless);
  // Out of range, or not integral: the scaled path.
  round_trip({128, 0}, 8, 3, 0.0, &r);
  CHECK_FALSE(r.lossless);
  round_trip({0.5, 0}, 8, 3, 0.0, &r);
  CHECK_FALSE(r.lossless);
}

TEST_CASE("codec stochastic rounding is unbiased and lands on a neighbour") {
  // max|u| = 127 gives scale 1, so the codes are SR(u). Cells: fractions 0, 2^-20, 1/2, 1 - 2^-20, negative too.
  const double e = std::ldexp(1.0, -20);
  const std::vector<double> u = {127.0, 0.5, -0.5, e, -e, 1 - e, -(1 - e), 3.25, -3.25, 0.0};
  const int M = 1 << 15;
  std::vector<double> mean(u.size(), 0.0);
  for (int m = 0; m < M; ++m) {
    const auto v = round_trip(u, 8, static_cast<std::uint64_t>(m) + 100);
    for (std::size_t j = 0; j < u.size(); ++j) {
      // Q(x) is floor(x) or floor(x) + 1.
      CHECK((v[j] == std::floor(u[j]) || v[j] == std::floor(u[j]) + 1));
      mean[j] += v[j] / M;
    }
  }
  // Var of one draw <= 1/4 (a quantum of 1), so the mean of M draws has sigma <= 0.5/sqrt(M) = 2.8e-3;
  // round::stochastic is exact on the 2^-16 grid and biased by < 2^-17 elsewhere. Allow 4 sigma + 2^-17.
  const double tol = 4 * 0.5 / std::sqrt(double(M)) + std::ldexp(1.0, -17);
  for (std::size_t j = 0; j < u.size(); ++j) CHECK(std::abs(mean[j] - u[j]) <= tol);
  CHECK(mean[0] == 127.0);  // exact points are exact
  CHECK(mean[9] == 0.0);
}

TEST_CASE("codec scale follows the message and 16-bit messages are finer") {
  const std::vector<double> u = {1e-6, -3e-7, 2.5e-7, 0.0};
  for (int bits : {8, 16}) {
    dd::encode_result r;
    const auto v = round_trip(u, bits, 9, 0.0, &r);
    CHECK(r.scale == doctest::Approx(1e-6 / double(dd::code_highest(bits))));
    CHECK(r.saturations == 0);
    for (std::size_t j = 0; j < u.size(); ++j) CHECK(std::abs(v[j] - u[j]) <= r.scale * (1 + 1e-12));
  }
  CHECK(dd::message_bytes(100, 8) == 108);
  CHECK(dd::message_bytes(100, 16) == 208);
}

TEST_CASE("codec with a fixed scale saturates and counts the clamps") {
  dd::encode_result r;
  const auto v = round_trip({10.0, -10.0, 0.05}, 8, 4, 0.01, &r);
  CHECK(r.saturations == 2);
  CHECK(v[0] == doctest::Approx(1.27));
  CHECK(v[1] == doctest::Approx(-1.28));
  CHECK((v[2] == doctest::Approx(0.05)));
}

TEST_CASE("codec turns a non-finite offset into NaN everywhere") {
  const auto v = round_trip({1.0, std::numeric_limits<double>::infinity()}, 8, 5);
  CHECK(std::isnan(v[0]));
  CHECK(std::isnan(v[1]));
  CHECK_THROWS_AS(dd::check_comm_bits(4), std::invalid_argument);
}

TEST_CASE("in-process group sums in rank order and counts payload bytes") {
  for (int P : {1, 2, 3, 4}) {
    distributed::in_process_group group(P);
    std::vector<std::vector<double>> got(static_cast<std::size_t>(P));
    std::vector<distributed::comm_counters> counts(static_cast<std::size_t>(P));
    group.run([&](distributed::in_process_communicator& c) {
      // 1e16 + 1 + ... : order-sensitive sums show whether the order is the rank order.
      std::vector<double> x = {c.rank() == 0 ? 1e16 : 1.0, double(c.rank())};
      c.allreduce_sum(x.data(), x.size());
      double m = double(c.rank());
      c.allreduce_max(&m, 1);
      double b = c.rank() == P - 1 ? 42.0 : 0.0;
      c.broadcast(&b, 1, P - 1);
      std::vector<std::byte> in(3, std::byte(c.rank())), out(3 * static_cast<std::size_t>(P));
      c.allgather(in, out);
      for (int r = 0; r < P; ++r) CHECK(out[static_cast<std::size_t>(3 * r + 2)] == std::byte(r));
      got[static_cast<std::size_t>(c.rank())] = {x[0], x[1], m, b};
      counts[static_cast<std::size_t>(c.rank())] = c.counters();
    });
    double expect = 1e16;
    for (int r = 1; r < P; ++r) expect += 1.0;  // rank order: each +1 is lost to rounding at 1e16
    for (int r = 0; r < P; ++r) {
      const auto& g = got[static_cast<std::size_t>(r)];
      CHECK(g[0] == expect);
      CHECK(g[1] == double(P * (P - 1) / 2));
      CHECK(g[2] == double(P - 1));
      CHECK(g[3] == 42.0);
      CHECK(counts[static_cast<std::size_t>(r)].collectives == 4);
      // 16 + 8 + (8 at the root) + 3 bytes, none in a one-rank group
      const std::uint64_t bytes = P == 1 ? 0 : 16 + 8 + (r == P - 1 ? 8 : 0) + 3;
      CHECK(counts[static_cast<std::size_t>(r)].bytes_sent == bytes);
    }
  }
}

TEST_CASE("in-process group rethrows a failing rank without deadlock") {
  distributed::in_process_group group(4);
  CHECK_THROWS_WITH_AS(group.run([&](distributed::in_process_communicator& c) {
    double x = 1.0;
    c.allreduce_sum(&x, 1);
    if (c.rank() == 2) throw std::runtime_error("rank 2 failed");
    for (int k = 0; k < 3; ++k) c.allreduce_sum(&x, 1);
  }),
                       "rank 2 failed", std::runtime_error);
}
