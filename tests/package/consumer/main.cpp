// Package test consumer: uses lowp::lowp (types, quantize, the Eigen bridge)
// and lowp::kernels (runtime dispatch). Returns nonzero on any mismatch.
#include <lowp/datasets/hdf5.hpp>  // lowp::io: zlib and HDF5 must come through lowpConfig
#include <lowp/kernels/dispatch.hpp>
#include <lowp/types.hpp>
#include <lowp/types/eigen.hpp>  // Eigen's include path must come through lowp::lowp

#include <cstdint>
#include <cstdio>
#include <vector>

#if !__has_include(<xsimd/xsimd.hpp>)
#  error "xsimd's include path did not come through lowp::lowp"
#endif

namespace {
int failures = 0;
void expect(bool ok, const char* what) {
  if (!ok) {
    std::printf("FAIL: %s\n", what);
    ++failures;
  }
}
}  // namespace

int main() {
  using q6 = lowp::fixed<8, lowp::exp2<-6>>;  // step 1/64

  // Stochastic rounding: 0.3 = 19.2 steps rounds to 19 or 20, 20 with p = 0.2.
  lowp::round::stochastic<> sr{lowp::counter_rng(/*seed=*/42, /*stream=*/0)};
  long sum = 0;
  for (int i = 0; i < 10000; ++i) {
    const q6 x = lowp::quantize<q6>(0.3, sr);
    expect(x.raw() == 19 || x.raw() == 20, "SR(0.3) is 19 or 20 steps");
    sum += x.raw();
  }
  const double mean = static_cast<double>(sum) / 10000.0;
  expect(mean > 19.18 && mean < 19.22, "SR(0.3) is unbiased");

  // Exact product: 0.75 * -0.625 in fixed<16, exp2<-12>>, then back to 8 bits.
  const q6 a = lowp::quantize<q6>(0.75, lowp::round::nearest_even{});
  const q6 b = lowp::quantize<q6>(-0.625, lowp::round::nearest_even{});
  const auto p = a * b;
  static_assert(decltype(p)::bits == 16 && decltype(p)::frac_bits == 12, "product grows exactly");
  expect(static_cast<double>(p) == -0.46875, "a*b exact");
  const q6 n = lowp::narrow<q6>(p, lowp::round::nearest_even{});
  expect(n.raw() == -30, "narrow(a*b) = -30 steps");

  // Eigen containers hold static-scale fixed values.
  Eigen::Matrix<q6, 4, 1> v;
  v.setConstant(a);
  expect(static_cast<double>(v(3)) == 0.75, "Eigen::Matrix<fixed> stores values");

  // Dispatched kernels agree with the scalar reference, on every ISA present.
  std::vector<std::int8_t> x(1000 + 13), y(x.size());
  lowp::counter_rng rng(7, 0);
  for (std::size_t i = 0; i < x.size(); ++i) {
    x[i] = static_cast<std::int8_t>(rng.next_u32());
    y[i] = static_cast<std::int8_t>(rng.next_u32());
  }
  const std::int64_t want = lowp::kernels::ref::dot(x.data(), y.data(), x.size());
  const lowp::kernels::table& best = lowp::kernels::best();
  expect(best.dot_i8(x.data(), y.data(), x.size()) == want, "best().dot_i8 == ref::dot");
  for (lowp::kernels::isa id : lowp::kernels::all_isas) {
    if (!lowp::kernels::available(id)) continue;
    expect(lowp::kernels::table_for(id).dot_i8(x.data(), y.data(), x.size()) == want,
           lowp::kernels::name(id));
  }

  // lowp::io round trip (HDF5 linked privately into the static library)
  lowp::datasets::dense_dataset ds;
  ds.n = 2, ds.d = 3, ds.X = {1, 2, 3, 4, 5, 6}, ds.y = {-1, 1};
  lowp::datasets::write_hdf5("consumer_roundtrip.h5", ds, {"consumer", ""});
  const lowp::datasets::dense_dataset back = lowp::datasets::read_hdf5_dense("consumer_roundtrip.h5");
  expect(back.X == ds.X && back.y == ds.y, "HDF5 round trip through lowp::io");

  std::printf("lowp consumer: best ISA %s, dot = %lld, %s\n", lowp::kernels::name(best.id),
              static_cast<long long>(want), failures == 0 ? "OK" : "FAILED");
  return failures == 0 ? 0 : 1;
}
