// All number formats, rounding policies and the named narrowing operations.
// C++14, no Eigen, no exceptions: usable in HLS C simulation.
#ifndef LOWP_TYPES_HPP
#define LOWP_TYPES_HPP
#include "lowp/config.hpp"
#include "lowp/quantize/directed.hpp"
#include "lowp/quantize/narrow.hpp"
#include "lowp/quantize/nearest.hpp"
#include "lowp/quantize/rng.hpp"
#include "lowp/quantize/stochastic.hpp"
#include "lowp/types/fixed.hpp"
#include "lowp/types/overflow.hpp"
#include "lowp/types/scale.hpp"
#include "lowp/types/traits.hpp"
#endif
