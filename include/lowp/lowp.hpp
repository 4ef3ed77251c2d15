// The umbrella header: number formats, rounding, concepts and kernels.
// (Dataset I/O that needs compiled code is included separately.)
#ifndef LOWP_LOWP_HPP
#define LOWP_LOWP_HPP
#include "lowp/concepts.hpp"
#include "lowp/config.hpp"
#include "lowp/kernels/dispatch.hpp"
#include "lowp/kernels/packed.hpp"
#include "lowp/kernels/scalar.hpp"
#include "lowp/types.hpp"
#endif
