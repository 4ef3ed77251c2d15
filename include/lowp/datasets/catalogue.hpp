// The data sets lowp's tests and experiments use, with where they come from
// and their checksums. Loading by name verifies size and SHA-256 first, so an
// experiment can never silently run on a different file than the one its
// figures were produced from. Data are never committed: the files live under
// a data root (LOWP_DATA_DIR, default ../shared/datasets) or in a Debian
// package (absolute paths below).
#ifndef LOWP_DATASETS_CATALOGUE_HPP
#define LOWP_DATASETS_CATALOGUE_HPP

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>

#include "lowp/datasets/error.hpp"
#include "lowp/datasets/libsvm.hpp"
#include "lowp/datasets/ratings.hpp"
#include "lowp/datasets/sha256.hpp"

namespace lowp::datasets {

enum class file_format { libsvm, movielens, idx_gz };

struct catalogue_entry {
  std::string_view name;
  std::string_view path;  // relative to the data root, or absolute (Debian package)
  file_format format;
  std::string_view task;
  std::string_view source;
  std::string_view licence;
  std::uint64_t bytes;
  std::string_view sha256;
  std::size_t min_dim;  // LIBSVM: so that train and test agree on d
};

inline constexpr catalogue_entry catalogue[] = {
    {"a9a", "libsvm/a9a", file_format::libsvm, "binary classification (32,561 x 123)",
     "UCI Adult, LIBSVM binary version", "UCI: free for research use", 2327314,
     "7ba53cccb27e2e525f0fb173e1f446d49856e3fb007eb43be4ec6d0f5b3335ca", 123},
    {"a9a.t", "libsvm/a9a.t", file_format::libsvm, "binary classification, test (16,281 x 123)",
     "UCI Adult, LIBSVM binary version", "UCI: free for research use", 1164628,
     "1f448a153f0320399a7e40836eb207655b0bde0f21fc941cc472193daa9f5de9", 123},
    {"a8a", "libsvm/a8a", file_format::libsvm, "binary classification (22,696 x 123)",
     "UCI Adult subset, LIBSVM binary version", "UCI: free for research use", 1624166,
     "d08a37b3fadd4bd3c8b3fc30bdc93b54d7c0f371265c90cbfb931a7efe97cd28", 123},
    {"ml-100k", "ml-100k/u.data", file_format::movielens, "ratings 1-5 (943 users x 1,682 items)",
     "GroupLens MovieLens 100k", "GroupLens research licence (ml-100k/README)", 1979173,
     "06416e597f82b7342361e41163890c81036900f418ad91315590814211dca490", 0},
    {"ml-100k-u2.base", "ml-100k/u2.base", file_format::movielens, "ratings, fold 2 train (80,000)",
     "GroupLens MovieLens 100k", "GroupLens research licence", 0,
     "6c06f0b5df4b256da1a994f3ac66edc8da4d3f09bc9282df6b14d893366d703e", 0},
    {"ml-100k-u2.test", "ml-100k/u2.test", file_format::movielens, "ratings, fold 2 test (20,000)",
     "GroupLens MovieLens 100k", "GroupLens research licence", 0,
     "4de658d1e04ed9104629509a2e2528fce833ac8e048280183f1df167632038c3", 0},
    {"ml-100k-u3.base", "ml-100k/u3.base", file_format::movielens, "ratings, fold 3 train (80,000)",
     "GroupLens MovieLens 100k", "GroupLens research licence", 0,
     "afdc155c291c6edc41c0407e39d7462eb98d341e064f0b0a12175b80b3c4af5d", 0},
    {"ml-100k-u3.test", "ml-100k/u3.test", file_format::movielens, "ratings, fold 3 test (20,000)",
     "GroupLens MovieLens 100k", "GroupLens research licence", 0,
     "0f548b51c78327de4c156461d3e430b7e5579fe2b5681586a59416e48fd35f6d", 0},
    {"ml-100k-u4.base", "ml-100k/u4.base", file_format::movielens, "ratings, fold 4 train (80,000)",
     "GroupLens MovieLens 100k", "GroupLens research licence", 0,
     "219f0f4d40dfe9c5141d425f53fa91ee23ed275f14e280bbf1b50117afb064ca", 0},
    {"ml-100k-u4.test", "ml-100k/u4.test", file_format::movielens, "ratings, fold 4 test (20,000)",
     "GroupLens MovieLens 100k", "GroupLens research licence", 0,
     "7c02ad0a1e7ab1083c8b9d4b627203a051dd7b5eab46d99fa44de33470de8db9", 0},
    {"ml-100k-u5.base", "ml-100k/u5.base", file_format::movielens, "ratings, fold 5 train (80,000)",
     "GroupLens MovieLens 100k", "GroupLens research licence", 0,
     "a9574e59ce961eec2121627760b6e9b0974ce1637b3fe69ac32cb14a4bfab485", 0},
    {"ml-100k-u5.test", "ml-100k/u5.test", file_format::movielens, "ratings, fold 5 test (20,000)",
     "GroupLens MovieLens 100k", "GroupLens research licence", 0,
     "351cc52e0d15b6c721466276fc24671d40936899e3d01fadeaf312915b8c5634", 0},
    {"fashion-mnist-train-images", "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz",
     file_format::idx_gz, "images 60,000 x 28 x 28", "Zalando Fashion-MNIST (Debian dataset-fashion-mnist)", "MIT",
     26421856, "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7", 0},
    {"fashion-mnist-train-labels", "/usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz",
     file_format::idx_gz, "labels 0-9 (60,000)", "Zalando Fashion-MNIST (Debian dataset-fashion-mnist)", "MIT",
     29491, "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056", 0},
    {"fashion-mnist-t10k-images", "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz",
     file_format::idx_gz, "images 10,000 x 28 x 28", "Zalando Fashion-MNIST (Debian dataset-fashion-mnist)", "MIT",
     4422079, "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa", 0},
    {"fashion-mnist-t10k-labels", "/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz",
     file_format::idx_gz, "labels 0-9 (10,000)", "Zalando Fashion-MNIST (Debian dataset-fashion-mnist)", "MIT",
     5125, "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05", 0},
};

// The data root: $LOWP_DATA_DIR, else ../shared/datasets (relative to the
// working directory, i.e. the project root for the documented commands).
inline std::filesystem::path default_data_root() {
  if (const char* env = std::getenv("LOWP_DATA_DIR"); env != nullptr && *env != '\0') return env;
  return "../shared/datasets";
}

inline const catalogue_entry& find_catalogued(std::string_view name) {
  for (const catalogue_entry& e : catalogue)
    if (e.name == name) return e;
  std::string known;
  for (const catalogue_entry& e : catalogue) known += (known.empty() ? "" : ", ") + std::string(e.name);
  throw std::invalid_argument("lowp: no data set named '" + std::string(name) + "' in the catalogue (known: " +
                              known + ")");
}

// Path of a catalogued file after checking that it exists and that its size
// and SHA-256 are the catalogued ones.
inline std::filesystem::path verified_path(std::string_view name,
                                           const std::filesystem::path& root = default_data_root()) {
  const catalogue_entry& e = find_catalogued(name);
  const std::filesystem::path p = e.path.front() == '/' ? std::filesystem::path(e.path) : root / e.path;
  std::error_code ec;
  const auto size = std::filesystem::file_size(p, ec);
  if (ec) {
    throw io_error(p.string(), "catalogued data set '" + std::string(name) + "' is missing (" + ec.message() +
                                   "); source: " + std::string(e.source));
  }
  if (e.bytes != 0 && size != e.bytes) {
    throw io_error(p.string(), "size " + std::to_string(size) + " bytes, catalogue says " +
                                   std::to_string(e.bytes) + ": not the catalogued file");
  }
  const std::string got = sha256_file(p.string());
  if (got != e.sha256) {
    throw io_error(p.string(), "sha256 " + got + " does not match the catalogue's " + std::string(e.sha256));
  }
  return p;
}

// Catalogued LIBSVM files, verified then parsed (d padded to the catalogue's min_dim).
inline csr_dataset load_libsvm(std::string_view name, const std::filesystem::path& root = default_data_root()) {
  const catalogue_entry& e = find_catalogued(name);
  if (e.format != file_format::libsvm) throw std::invalid_argument("lowp: '" + std::string(name) + "' is not LIBSVM");
  libsvm_options o;
  o.min_dim = e.min_dim;
  return read_libsvm(verified_path(name, root), o);
}

inline ratings load_ratings(std::string_view name, const std::filesystem::path& root = default_data_root()) {
  const catalogue_entry& e = find_catalogued(name);
  if (e.format != file_format::movielens)
    throw std::invalid_argument("lowp: '" + std::string(name) + "' is not a MovieLens ratings file");
  return read_movielens(verified_path(name, root));
}

}  // namespace lowp::datasets
#endif
