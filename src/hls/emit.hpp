// Emitters for `lowp hls emit` and the RTL tests: from one kernel
// configuration (the template arguments of lowp::hls::config) write the
// non-template C++ top, its C-simulation test bench, the Verilog (the RTL
// library plus a wrapper module with the configuration's parameters) and a
// README for the vendor flow.
#ifndef LOWP_SRC_HLS_EMIT_HPP
#define LOWP_SRC_HLS_EMIT_HPP

#include <string>
#include <vector>

namespace lowp_hls {

// RND / OVF codes, as lowp::hls::rnd / ovf and the RTL parameters.
struct kernel_config {
  int bits = 8, frac = 6;
  int rounding = 3;  // 0 floor, 1 toward_zero, 2 nearest, 3 stochastic
  int overflow = 0;  // 0 saturate, 1 wrap
  int coef_bits = 16, coef_frac = 16;
  int lanes = 64;    // elements per call of the C++ top
  int acc_bits() const noexcept { return 2 * bits + 16 > 32 ? 2 * bits + 16 : 32; }
};

// The runtime description of a lowp::hls::config<...> type.
template <class C>
kernel_config config_of(int lanes = 64) {
  kernel_config k;
  k.bits = C::bits;
  k.frac = C::frac;
  k.rounding = static_cast<int>(C::rounding);
  k.overflow = static_cast<int>(C::overflow);
  k.coef_bits = C::coef_bits;
  k.coef_frac = C::coef_frac;
  k.lanes = lanes;
  return k;
}

const std::vector<std::string>& kernel_names();        // mac, quantize, sgd_update, halp_step, gibbs
const char* rounding_name(int rnd) noexcept;           // floor, toward_zero, nearest, stochastic
const char* overflow_name(int ovf) noexcept;           // saturate, wrap
int rounding_code(const std::string& name) noexcept;   // -1 when unknown
int overflow_code(const std::string& name) noexcept;   // -1 when unknown
// Empty when valid, else what is wrong (for exit code 2).
std::string validate(const std::string& kernel, const kernel_config& c);

const char* rtl_library() noexcept;
// Name of the configuration's wrapper module, e.g. lowp_sgd_update_b8f6_stochastic_saturate.
std::string module_name(const std::string& kernel, const kernel_config& c);

struct emitted_file {
  std::string name, text;
};
// Every file of `lowp hls emit` for one kernel and configuration.
std::vector<emitted_file> emit_all(const std::string& kernel, const kernel_config& c);

}  // namespace lowp_hls
#endif
