// `lowp hls emit` (see hls_cmd.hpp).
#include "hls_cmd.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <unistd.h>

#include <CLI/CLI.hpp>

#include "emit.hpp"
#include "solve_cmd.hpp"  // option_error

namespace fs = std::filesystem;

namespace lowp_cli {

CLI::App* add_hls_command(CLI::App& app, hls_options& o) {
  CLI::App* hls = app.add_subcommand("hls", "FPGA HLS kernels: emit the C++ top, test bench, Verilog and README");
  hls->require_subcommand(1);
  CLI::App* emit = hls->add_subcommand(
      "emit", "Write <kernel>_top.{hpp,cpp}, <kernel>_tb.cpp, <kernel>.v and README.md for one configuration");
  emit->add_option("--kernel", o.kernel, "mac, quantize, sgd_update, halp_step or gibbs")
      ->required()
      ->check(CLI::IsMember(lowp_hls::kernel_names()));
  emit->add_option("--bits", o.bits, "Width of stored values, 2..24 (default 8)");
  emit->add_option("--frac", o.frac, "Fraction bits of stored values, 0..bits (default bits - 2)");
  emit->add_option("--rounding", o.rounding, "floor, toward_zero, nearest (ties to even) or stochastic (default)")
      ->check(CLI::IsMember({"floor", "toward_zero", "nearest", "stochastic"}));
  emit->add_option("--overflow", o.overflow, "saturate (default) or wrap")
      ->check(CLI::IsMember({"saturate", "wrap"}));
  emit->add_option("--coef-bits", o.coef_bits, "Width of the coefficients a, b (sgd_update, halp_step), 2..24 (default 16)");
  emit->add_option("--coef-frac", o.coef_frac, "Fraction bits of the coefficients, 0..32 (default 16)");
  emit->add_option("--lanes", o.lanes, "Elements per call of the C++ top, even, 2..4096 (default 64)");
  emit->add_option("-o,--out", o.out, "Output directory (created if missing)")->required();
  return emit;
}

int run_hls_emit(const hls_options& o) {
  lowp_hls::kernel_config c;
  c.bits = o.bits;
  c.frac = o.frac >= 0 ? o.frac : o.bits - 2;
  c.rounding = lowp_hls::rounding_code(o.rounding);
  c.overflow = lowp_hls::overflow_code(o.overflow);
  c.coef_bits = o.coef_bits;
  c.coef_frac = o.coef_frac;
  c.lanes = o.lanes;
  if (o.frac < -1) throw option_error("--frac: " + std::to_string(o.frac) + " is outside 0..bits");
  const std::string bad = lowp_hls::validate(o.kernel, c);
  if (!bad.empty()) throw option_error(bad);

  std::error_code ec;
  const fs::path dir(o.out);
  if (fs::exists(dir, ec) && !fs::is_directory(dir, ec)) throw option_error(o.out + ": exists and is not a directory");
  fs::create_directories(dir, ec);
  if (ec) throw option_error(o.out + ": cannot create the directory (" + ec.message() + ")");

  // Each file goes to a temporary name and is renamed, so a failure never
  // leaves a half-written file under the final name.
  for (const auto& f : lowp_hls::emit_all(o.kernel, c)) {
    const fs::path path = dir / f.name;
    const fs::path tmp = dir / (f.name + ".tmp." + std::to_string(static_cast<long long>(::getpid())));
    {
      std::ofstream out(tmp, std::ios::binary);
      out << f.text;
      out.close();
      if (!out) {
        fs::remove(tmp, ec);
        throw std::runtime_error("cannot write " + tmp.string());
      }
    }
    fs::rename(tmp, path, ec);
    if (ec) {
      fs::remove(tmp, ec);
      throw std::runtime_error("cannot rename " + tmp.string() + " to " + path.string());
    }
    std::printf("wrote %s\n", path.c_str());
  }
  std::printf("%s: %d-bit values with %d fraction bits, rounding %s, overflow %s; Verilog module %s\n",
              o.kernel.c_str(), c.bits, c.frac, lowp_hls::rounding_name(c.rounding),
              lowp_hls::overflow_name(c.overflow), lowp_hls::module_name(o.kernel, c).c_str());
  return 0;
}

}  // namespace lowp_cli
