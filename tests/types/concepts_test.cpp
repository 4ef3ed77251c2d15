#include <doctest/doctest.h>

#include "lowp/concepts.hpp"

using q8 = lowp::fixed<8, lowp::exp2<-6>>;
using d8 = lowp::fixed<8, lowp::dynamic_scale>;

static_assert(lowp::number_format<q8> && lowp::number_format<float> && !lowp::number_format<int>);
static_assert(lowp::fixed_point_format<q8> && !lowp::fixed_point_format<double>);
static_assert(lowp::bit_centering_format<d8> && !lowp::bit_centering_format<q8>);
static_assert(lowp::rounding_policy<lowp::round::nearest_even> && lowp::rounding_policy<lowp::round::floor> &&
              lowp::rounding_policy<lowp::round::toward_zero>);
static_assert(lowp::stochastic_rounding_policy<lowp::round::stochastic<>> &&
              lowp::stochastic_rounding_policy<lowp::round::shared_stochastic<>> &&
              !lowp::stochastic_rounding_policy<lowp::round::nearest_even>);
static_assert(!lowp::rounding_policy<int>);

namespace {
// A solver-style function constrained on the concept: 3/2 rounded.
template <lowp::rounding_policy R>
std::int64_t three_halves(R&& r) {
  return r.shift(3, 1);
}
}  // namespace

TEST_CASE("constrained code accepts every rounding policy and rounds per policy") {
  CHECK(three_halves(lowp::round::nearest_even{}) == 2);  // tie to even
  CHECK(three_halves(lowp::round::floor{}) == 1);
  CHECK(three_halves(lowp::round::toward_zero{}) == 1);
  lowp::round::stochastic<> sr{lowp::counter_rng{1, 1}};
  int ups = 0;
  for (int i = 0; i < 1000; ++i) ups += three_halves(sr) == 2 ? 1 : 0;
  CHECK(ups > 400);
  CHECK(ups < 600);  // 1000 fair coins: 5 sd is 79
}
