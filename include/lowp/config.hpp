// lowp: version and the one assertion macro. C++14, no exceptions, no I/O.
#ifndef LOWP_CONFIG_HPP
#define LOWP_CONFIG_HPP

#define LOWP_VERSION_MAJOR 0
#define LOWP_VERSION_MINOR 1
#define LOWP_VERSION_PATCH 0

// Kernels and number types never throw (they must stay inside the HLS subset);
// misuse that the type system cannot catch is checked in debug builds only.
#ifndef LOWP_ASSERT
#  ifdef NDEBUG
#    define LOWP_ASSERT(cond) ((void)0)
#  else
#    include <cassert>
#    define LOWP_ASSERT(cond) assert(cond)
#  endif
#endif

#endif
