// Verilator test bench: drives lowp_hls_testtop (gen_rtl.cpp) with random and
// corner vectors and compares every result of every instance, each clock,
// with the C++ reference model (rtl_model.hpp: the lowp::hls templates,
// cross-checked with the library's narrowing).
//   vl_tb [--vectors N] [--seed S]   exit 0 iff zero mismatches
//   vl_tb --mutate ...               exit 0 iff the deliberately wrong model IS caught
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "Vlowp_hls_testtop.h"
#include "rtl_model.hpp"
#include "verilated.h"

using namespace lowp_hls_test;

int main(int argc, char** argv) {
  long vectors = 200000;
  std::uint64_t seed = 1;
  bool mutate = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--vectors") == 0 && i + 1 < argc) vectors = std::atol(argv[++i]);
    else if (std::strcmp(argv[i], "--seed") == 0 && i + 1 < argc) seed = std::strtoull(argv[++i], nullptr, 10);
    else if (std::strcmp(argv[i], "--mutate") == 0) mutate = true;
    else {
      std::fprintf(stderr, "usage: vl_tb [--vectors N] [--seed S] [--mutate]\n");
      return 2;
    }
  }
  auto ctx = std::make_unique<VerilatedContext>();
  auto top = std::make_unique<Vlowp_hls_testtop>(ctx.get());
  stimulus_source src(seed);
  model m(mutate);
  long mismatches = 0;
  long per_result[n_results] = {};
  top->clk = 0;
  top->eval();
  for (long v = 0; v < vectors; ++v) {
    const stimulus s = src.next();
    top->in0 = s.in[0];
    top->in1 = s.in[1];
    top->in2 = s.in[2];
    top->in3 = s.in[3];
    top->in4 = s.in[4];
    top->in5 = s.in[5];
    top->k0 = s.k0;
    top->k1 = s.k1;
    top->ctr = s.ctr;
    top->dither = static_cast<vluint16_t>(s.dither);
    top->clr = s.clr ? 1 : 0;
    top->clk = 0;
    top->eval();
    top->clk = 1;
    top->eval();
    const std::vector<std::uint64_t> want = m.step(s);
    for (int k = 0; k < n_results; ++k) {
      const std::uint64_t got = (std::uint64_t(top->res[2 * k + 1]) << 32) | top->res[2 * k];
      if (got != want[k]) {
        if (mismatches < 10 && !mutate)
          std::printf("MISMATCH vector %ld %s: rtl %016llx model %016llx\n", v, model::name_of(k).c_str(),
                      static_cast<unsigned long long>(got), static_cast<unsigned long long>(want[k]));
        ++mismatches;
        ++per_result[k];
      }
    }
  }
  top->final();
  std::printf("verilator: %ld vectors x %d results, %ld mismatches, %ld template/library disagreements\n", vectors,
              n_results, mismatches, m.disagreements());
  if (mutate) {
    std::printf("mutation (one dither bit flipped in the config-0 SGD lanes of the reference): %ld mismatches, "
                "%s\n", mismatches, mismatches > 0 ? "caught" : "NOT caught");
    return mismatches > 0 ? 0 : 1;
  }
  for (int k = 0; k < n_results; ++k)
    if (per_result[k] != 0) std::printf("  %s: %ld\n", model::name_of(k).c_str(), per_result[k]);
  return mismatches == 0 && m.disagreements() == 0 ? 0 : 1;
}
