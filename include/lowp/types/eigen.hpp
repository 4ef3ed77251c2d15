// Opt-in bridge so Eigen containers can hold static-scale lowp::fixed values
// (storage, I/O, .cast<double>()). Arithmetic on them stays in lowp's kernels:
// Eigen's ScalarBinaryOpTraits would re-quantize every product to T, which is
// exactly the loss lowp's exact-growth types exist to avoid.
// Not part of the HLS subset (pulls in Eigen).
#ifndef LOWP_TYPES_EIGEN_HPP
#define LOWP_TYPES_EIGEN_HPP

#include <Eigen/Core>

#include "lowp/types/traits.hpp"

namespace Eigen {
template <int B, int E, class O, bool G>
struct NumTraits<lowp::fixed<B, lowp::exp2<E>, O, G>> : GenericNumTraits<double> {
  using Self = lowp::fixed<B, lowp::exp2<E>, O, G>;
  using Real = double;
  using NonInteger = double;
  using Literal = double;
  using Nested = Self;
  enum {
    IsComplex = 0,
    IsInteger = 0,
    IsSigned = G ? 1 : 0,
    RequireInitialization = 0,
    ReadCost = 1,
    AddCost = 1,
    MulCost = 3
  };
  static inline Real epsilon() { return lowp::exp2<E>::value(); }
  static inline Real dummy_precision() { return lowp::exp2<E>::value(); }
  static inline Self highest() { return lowp::number_traits<Self>::highest(); }
  static inline Self lowest() { return lowp::number_traits<Self>::lowest(); }
  static inline int digits10() { return 0; }
};
}  // namespace Eigen
#endif
