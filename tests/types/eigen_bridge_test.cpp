// The opt-in Eigen bridge: fixed values in Eigen containers, explicit casts.
#include <doctest/doctest.h>

#include <Eigen/Core>

#include "lowp/types.hpp"
#include "lowp/types/eigen.hpp"

TEST_CASE("Eigen containers hold lowp::fixed and cast to double exactly") {
  using q8 = lowp::fixed<8, lowp::exp2<-6>>;
  Eigen::VectorXd x(5);
  x << 0.5, -1.25, 1.984375, -2.0, 0.015625;
  const Eigen::Matrix<q8, Eigen::Dynamic, 1> q =
      x.unaryExpr([](double v) { return lowp::quantize<q8>(v, lowp::round::nearest_even{}); });
  const Eigen::VectorXd back = q.cast<double>();
  CHECK(back.isApprox(x));
  CHECK(Eigen::NumTraits<q8>::epsilon() == 1.0 / 64);
  CHECK(Eigen::NumTraits<q8>::highest().raw() == 127);
}
