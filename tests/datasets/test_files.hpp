// Paths and small file helpers shared by the dataset tests.
#ifndef LOWP_TESTS_DATASETS_TEST_FILES_HPP
#define LOWP_TESTS_DATASETS_TEST_FILES_HPP

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace lowp_test {

inline std::filesystem::path data_dir() { return LOWP_TEST_DATA_DIR; }
inline std::filesystem::path good_dir() { return data_dir() / "good"; }
inline std::filesystem::path bad_dir() { return data_dir() / "bad"; }
inline std::filesystem::path shared_datasets() { return LOWP_SHARED_DATASETS_DIR; }
inline std::filesystem::path fashion_mnist_dir() { return LOWP_FASHION_MNIST_DIR; }

inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  if (!f) throw std::runtime_error("cannot open " + p.string());
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

inline std::vector<std::uint8_t> slurp_bytes(const std::filesystem::path& p) {
  const std::string s = slurp(p);
  return {s.begin(), s.end()};
}

inline void spit(const std::filesystem::path& p, std::string_view text) {
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  f.write(text.data(), static_cast<std::streamsize>(text.size()));
  if (!f) throw std::runtime_error("cannot write " + p.string());
}

// A fresh directory under the system temp dir, removed with its contents.
class temp_dir {
 public:
  temp_dir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() / ("lowp_datasets_" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  const std::filesystem::path& path() const noexcept { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

}  // namespace lowp_test

#endif
