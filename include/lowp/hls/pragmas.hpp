// Pragma layer for the HLS kernels (types_hls.md 3.4 rule 4): one spelling in
// the kernels, expanded to Vitis HLS or Catapult directives, or to nothing for
// plain g++ C simulation (which would warn on unknown pragmas under -Wall).
// The choice is made by the user's build (LOWP_HLS_VITIS / LOWP_HLS_CATAPULT,
// or __VITIS_HLS__ which Vitis defines in C simulation *and* synthesis), never
// by __SYNTHESIS__: C simulation and RTL must see the same code.
#ifndef LOWP_HLS_PRAGMAS_HPP
#define LOWP_HLS_PRAGMAS_HPP

#define LOWP_HLS_STR_(x) #x
#define LOWP_HLS_PRAGMA_(x) _Pragma(LOWP_HLS_STR_(x))

#if defined(__VITIS_HLS__) || defined(LOWP_HLS_VITIS)
#define LOWP_HLS_PIPELINE(ii) LOWP_HLS_PRAGMA_(HLS pipeline II = ii)
#define LOWP_HLS_UNROLL() LOWP_HLS_PRAGMA_(HLS unroll)
#define LOWP_HLS_TRIPCOUNT(n) LOWP_HLS_PRAGMA_(HLS loop_tripcount min = n max = n)
#define LOWP_HLS_INLINE() LOWP_HLS_PRAGMA_(HLS inline)
#define LOWP_HLS_PARTITION(var, f) LOWP_HLS_PRAGMA_(HLS array_partition variable = var type = cyclic factor = f)
#define LOWP_HLS_AXI(port, bundle) LOWP_HLS_PRAGMA_(HLS interface m_axi port = port offset = slave bundle = bundle)
#define LOWP_HLS_SCALAR(port) LOWP_HLS_PRAGMA_(HLS interface s_axilite port = port bundle = control)
#define LOWP_HLS_CONTROL() LOWP_HLS_PRAGMA_(HLS interface s_axilite port = return bundle = control)
#elif defined(LOWP_HLS_CATAPULT)
#define LOWP_HLS_PIPELINE(ii) LOWP_HLS_PRAGMA_(hls_pipeline_init_interval ii)
#define LOWP_HLS_UNROLL() LOWP_HLS_PRAGMA_(hls_unroll yes)
#define LOWP_HLS_TRIPCOUNT(n)
#define LOWP_HLS_INLINE()
#define LOWP_HLS_PARTITION(var, f)
#define LOWP_HLS_AXI(port, bundle)
#define LOWP_HLS_SCALAR(port)
#define LOWP_HLS_CONTROL()
#else
#define LOWP_HLS_PIPELINE(ii)
#define LOWP_HLS_UNROLL()
#define LOWP_HLS_TRIPCOUNT(n)
#define LOWP_HLS_INLINE()
#define LOWP_HLS_PARTITION(var, f)
#define LOWP_HLS_AXI(port, bundle)
#define LOWP_HLS_SCALAR(port)
#define LOWP_HLS_CONTROL()
#endif

#endif
