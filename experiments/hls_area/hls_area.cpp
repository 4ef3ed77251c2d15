// hls_area: Yosys resource counts of the lowp RTL kernels per bit width, for a
// Xilinx 7-series part (synth_xilinx, with and without DSPs) and iCE40
// (synth_ice40, with and without SB_MAC16), written as results/area.csv and
// results/area.md with the Yosys version and the exact commands.
//   lowp-hls-area [--out DIR] [--yosys PATH] [--check]
// --check runs only the coarse expectations a test asserts (the 8-bit MAC is
// one DSP48E1 and nothing else on 7-series; the 8-bit SGD lane is one DSP48E1
// plus a few dozen LUTs) and exits 0 when they hold.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "emit.hpp"

namespace {

struct target {
  const char* name;
  const char* synth;  // %s: top module
};
const target k_targets[] = {
    {"xc7", "synth_xilinx -family xc7 -noiopad -flatten -top %s"},
    {"xc7 -nodsp", "synth_xilinx -family xc7 -noiopad -flatten -nodsp -top %s"},
    {"ice40 -dsp", "synth_ice40 -dsp -flatten -top %s"},
    {"ice40", "synth_ice40 -flatten -top %s"},
};

struct job {
  std::string kernel;  // row label
  std::string module;
  std::string params;  // chparam arguments
  int width;           // 0: width independent
};

struct counts {
  long lut = 0, ff = 0, carry = 0, dsp = 0;
  bool ok = false;
};

std::string q(const std::string& s) { return "'" + s + "'"; }

std::string acc_bits(int w) { return std::to_string(2 * w + 16 > 32 ? 2 * w + 16 : 32); }

std::vector<job> jobs_for(int w) {
  const std::string W = std::to_string(w), F = std::to_string(w - 2);
  return {
      {"mac (W x W -> acc)", "lowp_mac", "-set W " + W + " -set ACC " + acc_bits(w), w},
      {"dot (mac + SR to W)", "lowp_dot", "-set W " + W + " -set F " + F + " -set ACC " + acc_bits(w) + " -set RND 3", w},
      {"quantize (32 -> W, SR)", "lowp_quantize", "-set W " + W + " -set RND 3", w},
      {"sgd_update (coef W/W, SR)", "lowp_sgd_update", "-set W " + W + " -set CW " + W + " -set CF " + W + " -set RND 3", w},
      {"sgd_update (coef 16/16, SR)", "lowp_sgd_update", "-set W " + W + " -set CW 16 -set CF 16 -set RND 3", w},
      {"halp_step (coef 16/16, SR)", "lowp_halp_step", "-set W " + W + " -set CW 16 -set CF 16 -set RND 3", w},
  };
}

std::string capture(const std::string& cmd) {
  std::string out;
  if (std::FILE* p = ::popen(cmd.c_str(), "r")) {
    char buf[256];
    while (std::fgets(buf, sizeof buf, p) != nullptr) out += buf;
    ::pclose(p);
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

std::string synth_command(const job& j, const target& t) {
  char synth[256];
  std::snprintf(synth, sizeof synth, t.synth, j.module.c_str());
  std::string s = "read_verilog lowp_rtl.v; ";
  if (!j.params.empty()) s += "chparam " + j.params + " " + j.module + "; ";
  return s + synth + "; stat";
}

counts run(const std::string& yosys, const std::string& dir, const job& j, const target& t) {
  const std::string stat = dir + "/stat.txt";
  std::remove(stat.c_str());
  std::string script = synth_command(j, t);
  script.replace(script.find("read_verilog lowp_rtl.v"), 23, "read_verilog " + dir + "/lowp_rtl.v");
  script.replace(script.rfind("stat"), 4, "tee -q -o " + stat + " stat");
  const std::string cmd = q(yosys) + " -q -p " + q(script) + " > " + q(dir + "/yosys.log") + " 2>&1";
  counts c;
  if (std::system(cmd.c_str()) != 0) return c;
  std::ifstream in(stat);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string cell;
    long n = 0;
    if (!(ls >> cell >> n)) continue;
    if (cell.rfind("LUT", 0) == 0 || cell == "SB_LUT4") c.lut += n;
    else if (cell.rfind("FD", 0) == 0 || cell.rfind("SB_DFF", 0) == 0) c.ff += n;
    else if (cell == "CARRY4" || cell == "SB_CARRY") c.carry += n;
    else if (cell == "DSP48E1" || cell == "SB_MAC16") c.dsp += n;
    c.ok = true;
  }
  return c;
}

// A target's synthesis command as the table header shows it.
std::string shown(const target& t) {
  std::string s = t.synth;
  s.replace(s.find("%s"), 2, "<module>");
  return s;
}

std::string cell(const counts& c) {
  if (!c.ok) return "failed";
  return std::to_string(c.lut) + " / " + std::to_string(c.ff) + " / " + std::to_string(c.carry) + " / " +
         std::to_string(c.dsp);
}

}  // namespace

int main(int argc, char** argv) {
  std::string out = LOWP_HLS_AREA_RESULTS, yosys = "yosys";
  bool check = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--out") == 0 && i + 1 < argc) out = argv[++i];
    else if (std::strcmp(argv[i], "--yosys") == 0 && i + 1 < argc) yosys = argv[++i];
    else if (std::strcmp(argv[i], "--check") == 0) check = true;
    else {
      std::fprintf(stderr, "usage: lowp-hls-area [--out DIR] [--yosys PATH] [--check]\n");
      return 2;
    }
  }
  const std::string version = capture(q(yosys) + " -V 2>/dev/null");
  if (version.rfind("Yosys", 0) != 0) {
    std::fprintf(stderr, "lowp-hls-area: cannot run '%s -V' (install yosys, e.g. apt-get install yosys)\n",
                 yosys.c_str());
    return 1;
  }
  if (std::system(("mkdir -p " + q(out)).c_str()) != 0) {
    std::fprintf(stderr, "lowp-hls-area: cannot create %s\n", out.c_str());
    return 1;
  }
  {
    std::ofstream f(out + "/lowp_rtl.v");
    f << lowp_hls::rtl_library();
    if (!f) {
      std::fprintf(stderr, "lowp-hls-area: cannot write %s/lowp_rtl.v\n", out.c_str());
      return 1;
    }
  }
  if (check) {
    const std::vector<job> j8 = jobs_for(8);
    const counts mac = run(yosys, out, j8[0], k_targets[0]);
    const counts sgd = run(yosys, out, j8[3], k_targets[0]);
    std::printf("%s\n8-bit mac on xc7 (LUT / FF / CARRY4 / DSP48E1): %s\n8-bit sgd_update lane (coef 8/8): %s\n",
                version.c_str(), cell(mac).c_str(), cell(sgd).c_str());
    // Coarse expectations (types_hls.md 4.3): the whole MAC, accumulator
    // included, is one DSP48E1; the SGD lane is one DSP48E1 plus a small
    // rounding/saturation wrapper (18 LUTs measured; 64 allowed).
    const bool ok = mac.ok && sgd.ok && mac.dsp == 1 && mac.lut == 0 && mac.ff == 0 && sgd.dsp == 1 &&
                    sgd.lut <= 64 && sgd.ff <= 2 * 8 + 1;
    std::printf("%s\n", ok ? "expectations hold" : "EXPECTATIONS FAILED");
    return ok ? 0 : 1;
  }
  std::vector<job> all;
  for (int w : {4, 8, 12, 16})
    for (const job& j : jobs_for(w)) all.push_back(j);
  all.push_back({"counter_draw (RNG, 2 lanes of dither)", "lowp_counter_draw", "", 0});
  all.push_back({"gibbs_flip", "lowp_gibbs_flip", "", 0});
  std::ofstream csv(out + "/area.csv");
  csv << "kernel,width,target,lut,ff,carry,dsp\n";
  std::ostringstream md;
  md << "# lowp RTL kernels: Yosys resource counts\n\n"
     << "Generated by `lowp-hls-area` (experiments/hls_area). " << version << ".\n\n"
     << "Cells: LUT / FF / carry (CARRY4 or SB_CARRY) / DSP (DSP48E1 or SB_MAC16). Stochastic rounding, "
     << "saturation, F = W - 2; acc = max(32, 2W + 16) bits.\n"
     << "Command per cell (module and parameters from the row): `yosys -p \"read_verilog lowp_rtl.v; chparam "
     << "-set W <W> ... <module>; <synth>; stat\"` with <synth> = `" << shown(k_targets[0]) << "` (xc7), `"
     << shown(k_targets[1]) << "`, `" << shown(k_targets[2]) << "`, `" << shown(k_targets[3]) << "`.\n\n"
     << "| kernel | W |";
  for (const auto& t : k_targets) md << " " << t.name << " |";
  md << "\n|---|---|";
  for (std::size_t i = 0; i < sizeof k_targets / sizeof k_targets[0]; ++i) md << "---|";
  md << "\n";
  for (const job& j : all) {
    md << "| " << j.kernel << " | " << (j.width > 0 ? std::to_string(j.width) : "-") << " |";
    for (const auto& t : k_targets) {
      const counts c = run(yosys, out, j, t);
      md << " " << cell(c) << " |";
      csv << '"' << j.kernel << "\"," << j.width << ",\"" << t.name << "\"," << c.lut << "," << c.ff << "," << c.carry
          << "," << c.dsp << "\n";
      std::printf("%-40s W=%-2d %-11s %s\n", j.kernel.c_str(), j.width, t.name, cell(c).c_str());
      std::fflush(stdout);
    }
    md << "\n";
  }
  std::ofstream(out + "/area.md") << md.str();
  std::remove((out + "/stat.txt").c_str());
  std::remove((out + "/yosys.log").c_str());
  std::remove((out + "/lowp_rtl.v").c_str());  // the input; `lowp hls emit` or this program rewrites it
  std::printf("wrote %s/area.csv and %s/area.md\n", out.c_str(), out.c_str());
  return 0;
}
