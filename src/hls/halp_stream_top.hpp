// Streaming top for the HALP-8 dense inner loop on int8 data (least squares):
// one epoch of T steps, each reading one sampled row as 64-byte lines (one
// cache line of int8 data per iteration), an exact int8 x int8 dot against the
// 8-bit offset z, the scalar SVRG correction, and the stochastically rounded
// bias update z <- sat(z + SR(h + coef x + shrink z)) line by line. It is the
// inner loop of lowp::halp's int8 fast path (solvers/detail/svrg_fast.hpp,
// halp_int8_step::inner) written as an HLS top: the host does the full
// gradient pass and the re-centring (begin_epoch), the top the T inner steps.
// Rows are sampled in-kernel from the solver's sample stream and the dithers
// come from its rounding stream, so the epoch equals the C++ solver's bit for
// bit (tests/hls/halp_stream_test.cpp). C++14, fixed-size arrays, no
// exceptions or allocation. Float/double arithmetic as in the solver: a
// vendor tool synthesizes it as floating-point cores; there is no RTL for it
// here.
#ifndef LOWP_SRC_HLS_HALP_STREAM_TOP_HPP
#define LOWP_SRC_HLS_HALP_STREAM_TOP_HPP

#include <cstdint>

namespace lowp_hls {

constexpr int kLine = 64;          // int8 values per cache line
constexpr int kMaxLines = 8;       // rows up to 512 features
constexpr int kMaxRows = 1 << 16;  // examples

struct line_t {
  std::int8_t v[kLine];
};

// What the inner loop needs of row i besides its features (the solver's
// row_cache): the margin and loss derivative at the anchor, and the label.
struct row_info {
  float margin, dl, label, pad;
};

struct halp_epoch_params {
  std::uint32_t n;        // rows
  std::uint32_t lines;    // lines per row (stride / 64)
  std::uint64_t steps;    // T
  double s, sx, alpha;    // HALP scale, data step, step size
  float shrink;           // -alpha * l2
  std::uint32_t sample_k0, sample_k1;  // the epoch's sample stream key (counter starts at 0)
  std::uint32_t round_k0, round_k1;    // the epoch's rounding stream key (counter starts at 0)
};

// data: row i is data[i * lines .. i * lines + lines); z and h: lines * 64
// entries. Returns the number of saturated updates.
std::uint64_t halp_epoch_top(const line_t data[kMaxRows * kMaxLines], const row_info rows[kMaxRows],
                             const float h[kMaxLines * kLine], std::int8_t z[kMaxLines * kLine],
                             const halp_epoch_params* p);

}  // namespace lowp_hls
#endif
