// round::stochastic_fixed: the rounding policy of the kernels' stochastic_fixed mode.
//
// Wherever one value at a time is rounded (the reference loops, quantize) it is
// round::stochastic<ars_rng>: unbiased, dithers from the AES-round generator. A solver's
// fast path that knows the kernel form rounds its updates in the exact integer form instead
// (kernels/scalar.hpp: stochastic_fixed, fixed_offset): HALP on int8 data with no shrink.
// It is a separate type so that choosing it is explicit: the two forms differ bit for bit.
#ifndef LOWP_QUANTIZE_STOCHASTIC_FIXED_HPP
#define LOWP_QUANTIZE_STOCHASTIC_FIXED_HPP

#include "lowp/quantize/ars.hpp"
#include "lowp/quantize/stochastic.hpp"

namespace lowp {
namespace round {

class stochastic_fixed : public stochastic<ars_rng> {
 public:
  using stochastic<ars_rng>::stochastic;
};

}  // namespace round
}  // namespace lowp
#endif
