// UAI model and evidence readers.
#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <string>

#include "lowp/datasets/uai.hpp"
#include "test_files.hpp"
#include "test_support.hpp"

namespace ds = lowp::datasets;

namespace {
bool same(const ds::uai_model& a, const ds::uai_model& b) {
  if (a.type != b.type || a.cardinalities != b.cardinalities || a.factors.size() != b.factors.size()) return false;
  for (std::size_t f = 0; f < a.factors.size(); ++f)
    if (a.factors[f].scope != b.factors[f].scope || a.factors[f].table != b.factors[f].table) return false;
  return true;
}
}  // namespace

TEST_CASE("the example network of the UAI format page with a comment line") {
  const ds::uai_model m = ds::read_uai(lowp_test::good_dir() / "tiny.uai");
  CHECK(m.type == ds::uai_network::markov);
  CHECK(m.cardinalities == std::vector<std::uint32_t>{2, 2, 3});
  REQUIRE(m.factors.size() == 3);
  CHECK(m.factors[0].scope == std::vector<std::uint32_t>{0});
  CHECK(m.factors[1].scope == std::vector<std::uint32_t>{0, 1});
  CHECK(m.factors[2].scope == std::vector<std::uint32_t>{1, 2});
  CHECK(m.factors[0].table == std::vector<double>{0.436, 0.564});
  CHECK(m.factors[2].table.size() == 6);
  CHECK(m.factors[2].table[3] == 0.811);  // (x1 = 1, x2 = 0): last scope variable fastest

  const auto single = ds::read_uai_evidence(lowp_test::good_dir() / "tiny.uai.evid", m);
  REQUIRE(single.size() == 1);
  CHECK(single[0] == ds::uai_evidence{{1, 0}, {2, 1}});
  const auto multi = ds::read_uai_evidence(lowp_test::good_dir() / "tiny_multi.evid", m);
  REQUIRE(multi.size() == 2);
  CHECK(multi[0] == ds::uai_evidence{{0, 1}});
  CHECK(multi[1] == ds::uai_evidence{{1, 1}, {2, 2}});
  // No evidence at all: a lone 0.
  const auto none = ds::parse_uai_evidence("0\n", m);
  REQUIRE(none.size() == 1);
  CHECK(none[0].empty());
}

TEST_CASE("BAYES is accepted and keywords are case-insensitive and line breaks are free") {
  const auto m = ds::parse_uai("bayes 2 2 2 2 1 0 2 0 1 2 0.4 0.6 4 0.1 0.9 0.8 0.2");
  CHECK(m.type == ds::uai_network::bayes);
  CHECK(m.factors[1].table == std::vector<double>{0.1, 0.9, 0.8, 0.2});
  // A factor with an empty scope has a one-entry table; zeros are allowed.
  const auto c = ds::parse_uai("MARKOV\n1\n3\n2\n0\n1 0\n1\n2.5\n3\n0 0 1\r\n");
  CHECK(c.factors[0].scope.empty());
  CHECK(c.factors[0].table == std::vector<double>{2.5});
}

TEST_CASE("round trip: write_uai then read_uai is exact") {
  std::mt19937_64 rng(lowp_test::seed() ^ 0x0a1);
  std::uniform_real_distribution<double> val(0.0, 10.0);
  lowp_test::temp_dir tmp;
  for (int trial = 0; trial < 30; ++trial) {
    ds::uai_model m;
    m.type = trial % 3 ? ds::uai_network::markov : ds::uai_network::bayes;
    const std::uint32_t n = 1 + static_cast<std::uint32_t>(rng() % 8);
    for (std::uint32_t v = 0; v < n; ++v) m.cardinalities.push_back(1 + static_cast<std::uint32_t>(rng() % 4));
    const std::size_t nf = rng() % 6;
    for (std::size_t f = 0; f < nf; ++f) {
      ds::uai_factor fac;
      std::size_t size = 1;
      for (std::uint32_t v = 0; v < n; ++v)
        if (rng() % 3 == 0) {
          fac.scope.push_back(v);
          size *= m.cardinalities[v];
        }
      std::shuffle(fac.scope.begin(), fac.scope.end(), rng);  // scope order is free
      for (std::size_t j = 0; j < size; ++j) fac.table.push_back(rng() % 5 == 0 ? 0.0 : val(rng));
      m.factors.push_back(std::move(fac));
    }
    ds::write_uai(tmp / "m.uai", m);
    CHECK(same(m, ds::read_uai(tmp / "m.uai")));
  }
}
