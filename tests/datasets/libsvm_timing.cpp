// Times read_libsvm (streaming from disk, page cache warm) and parse_libsvm
// (text already in memory) on a LIBSVM file, a9a by default: best of 5 runs
// each. Prints; asserts nothing. Not part of the test suite.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>

#include "lowp/datasets/libsvm.hpp"

int main(int argc, char** argv) {
  const std::string file = argc > 1 ? argv[1] : std::string(LOWP_SHARED_DATASETS_DIR) + "/libsvm/a9a";
  using clock = std::chrono::steady_clock;
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "cannot open %s\n", file.c_str());
    return 1;
  }
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  double best_file = 1e9, best_mem = 1e9;
  std::size_t rows = 0, nnz = 0, d = 0;
  for (int rep = 0; rep < 5; ++rep) {
    auto t0 = clock::now();
    const auto a = lowp::datasets::read_libsvm(file);
    auto t1 = clock::now();
    const auto b = lowp::datasets::parse_libsvm(text, file);
    auto t2 = clock::now();
    best_file = std::min(best_file, std::chrono::duration<double, std::milli>(t1 - t0).count());
    best_mem = std::min(best_mem, std::chrono::duration<double, std::milli>(t2 - t1).count());
    rows = a.rows();
    nnz = a.nnz();
    d = b.d;
  }
  std::printf("%s: %zu bytes, %zu rows, d = %zu, nnz = %zu\n", file.c_str(), text.size(), rows, d, nnz);
  std::printf("read_libsvm (from disk): %.2f ms (%.0f MB/s); parse_libsvm (in memory): %.2f ms (%.0f MB/s)\n",
              best_file, text.size() / best_file / 1e3, best_mem, text.size() / best_mem / 1e3);
  return 0;
}
