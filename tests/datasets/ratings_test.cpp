// Ratings readers: MovieLens u.data and CSV.
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <random>
#include <string>

#include "lowp/datasets/ratings.hpp"
#include "test_files.hpp"
#include "test_support.hpp"

namespace ds = lowp::datasets;

namespace {
void check_ratings(const ds::ratings& r) {
  REQUIRE(r.user.size() == r.size());
  REQUIRE(r.item.size() == r.size());
  std::size_t nu = 0, ni = 0;
  for (std::size_t k = 0; k < r.size(); ++k) {
    REQUIRE(r.user[k] < r.n_users);
    REQUIRE(r.item[k] < r.n_items);
    REQUIRE(std::isfinite(r.rating[k]));
    nu = std::max<std::size_t>(nu, r.user[k] + 1u);
    ni = std::max<std::size_t>(ni, r.item[k] + 1u);
  }
  CHECK(nu == r.n_users);
  CHECK(ni == r.n_items);
}
}  // namespace

TEST_CASE("ml-100k u.data: 100000 ratings from 943 users on 1682 items") {
  const auto dir = lowp_test::shared_datasets() / "ml-100k";
  if (!std::filesystem::exists(dir / "u.data")) {
    MESSAGE("skipped: " << (dir / "u.data").string() << " is absent (see ../shared/datasets/README.md)");
    return;
  }
  const ds::ratings r = ds::read_movielens(dir / "u.data");
  CHECK(r.size() == 100000);
  CHECK(r.n_users == 943);
  CHECK(r.n_items == 1682);
  check_ratings(r);
  std::array<std::size_t, 6> hist{};
  for (float v : r.rating) {
    REQUIRE(v >= 1.0f);
    REQUIRE(v <= 5.0f);
    REQUIRE(v == std::floor(v));
    ++hist[static_cast<std::size_t>(v)];
  }
  CHECK(hist == std::array<std::size_t, 6>{0, 6110, 11370, 27145, 34174, 21201});  // cut -f3 | sort | uniq -c
  // First line "196	242	3	881250949", stored 0-based.
  CHECK(r[0].user == 195);
  CHECK(r[0].item == 241);
  CHECK(r[0].rating == 3.0f);

  for (int fold = 2; fold <= 5; ++fold) {
    std::string stem = "u";  // built piecewise: g++ 12 raises a false -Wrestrict on "u" + to_string(...)
    stem += std::to_string(fold);
    const auto base = ds::read_movielens(dir / (stem + ".base"));
    const auto test = ds::read_movielens(dir / (stem + ".test"));
    CHECK(base.size() == 80000);
    CHECK(test.size() == 20000);
    CHECK(base.n_users <= 943);
    CHECK(test.n_items <= 1682);
  }
}

TEST_CASE("small MovieLens and CSV files") {
  const auto ml = ds::read_movielens(lowp_test::good_dir() / "tiny.data");
  CHECK(ml.size() == 4);
  CHECK(ml.n_users == 3);
  CHECK(ml.n_items == 3);
  CHECK(ml.user == std::vector<std::uint32_t>{0, 0, 1, 2});
  CHECK(ml.rating == std::vector<float>{5, 3, 4, 1});
  check_ratings(ml);

  const auto csv = ds::read_ratings_csv(lowp_test::good_dir() / "tiny.csv");  // header detected
  CHECK(csv.size() == 3);
  CHECK(csv.item == std::vector<std::uint32_t>{0, 2, 1});
  CHECK(csv.rating == std::vector<float>{4.0f, 4.5f, 2.5f});
  CHECK_THROWS_AS(ds::read_ratings_csv(lowp_test::good_dir() / "tiny.csv", {.header = ds::csv_header::absent}),
                  ds::parse_error);

  // CRLF, spaces around fields, optional timestamp, no header, 0-based ids.
  const auto z = ds::parse_ratings_csv("0, 5 ,1.5\r\n\r\n3,0,2,17\r\n", "z",
                                       {.header = ds::csv_header::absent, .one_based = false});
  CHECK(z.size() == 2);
  CHECK(z.n_users == 4);
  CHECK(z.n_items == 6);
  CHECK(z.rating == std::vector<float>{1.5f, 2.0f});
  // Forced header and another separator.
  const auto semi = ds::parse_ratings_csv("a;b;c\n1;2;3\n", "s", {.separator = ';', .header = ds::csv_header::present});
  CHECK(semi.size() == 1);
  CHECK(semi[0].item == 1);
  // A file that is only a header has no ratings.
  CHECK_THROWS_WITH_AS(ds::parse_ratings_csv("user,item,rating\n"), doctest::Contains("at least one rating"),
                       ds::parse_error);
}

TEST_CASE("round trip: write_ratings_csv then read_ratings_csv is exact") {
  std::mt19937_64 rng(lowp_test::seed() ^ 0xa11);
  std::uniform_real_distribution<float> val(-5.0f, 5.0f);
  lowp_test::temp_dir tmp;
  for (int trial = 0; trial < 30; ++trial) {
    ds::ratings r;
    const std::size_t n = 1 + rng() % 200;
    for (std::size_t k = 0; k < n; ++k) {
      r.user.push_back(static_cast<std::uint32_t>(rng() % 1000));
      r.item.push_back(static_cast<std::uint32_t>(rng() % 5000));
      r.rating.push_back(val(rng));
      r.n_users = std::max<std::size_t>(r.n_users, r.user.back() + 1u);
      r.n_items = std::max<std::size_t>(r.n_items, r.item.back() + 1u);
    }
    ds::write_ratings_csv(tmp / "r.csv", r);
    const auto back = ds::read_ratings_csv(tmp / "r.csv");
    CHECK(back.user == r.user);
    CHECK(back.item == r.item);
    CHECK(back.rating == r.rating);
    CHECK(back.n_users == r.n_users);
    CHECK(back.n_items == r.n_items);
  }
}
