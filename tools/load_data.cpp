#include "load_data.hpp"

#include <cstdint>
#include <filesystem>
#include <vector>

#include "lowp/datasets/hdf5.hpp"
#include "lowp/datasets/idx.hpp"
#include "lowp/datasets/libsvm.hpp"
#include "solve_cmd.hpp"  // option_error

namespace ds = lowp::datasets;

namespace lowp_cli {
namespace {
bool ends_with(const std::string& s, const std::string& suf) {
  return s.size() >= suf.size() && s.compare(s.size() - suf.size(), suf.size(), suf) == 0;
}
}  // namespace

any_data load_data(const std::string& path, const std::string& labels, std::size_t min_dim) {
  if (!std::filesystem::exists(path)) throw option_error("no such file: " + path);
  if (ends_with(path, ".h5")) {
    if (ds::probe_hdf5(path) == ds::h5_kind::csr) return ds::read_hdf5_csr(path);
    return ds::read_hdf5_dense(path);
  }
  if (!labels.empty() || ends_with(path, "-ubyte.gz") || ends_with(path, "-ubyte")) {
    if (labels.empty()) throw option_error(path + ": IDX images need --labels (or --test-labels)");
    if (!std::filesystem::exists(labels)) throw option_error("no such file: " + labels);
    const ds::idx_images img = ds::read_idx_images(path);
    const std::vector<std::uint8_t> lab = ds::read_idx_labels(labels);
    if (lab.size() != img.n)
      throw option_error(labels + ": " + std::to_string(lab.size()) + " labels for " + std::to_string(img.n) +
                         " images in " + path);
    ds::dense_dataset x;
    x.n = img.n;
    x.d = img.rows * img.cols;
    x.X.resize(img.pixels.size());
    for (std::size_t k = 0; k < img.pixels.size(); ++k) x.X[k] = static_cast<float>(img.pixels[k]) / 255.0f;
    x.y.assign(lab.begin(), lab.end());
    return x;
  }
  ds::libsvm_options lo;
  lo.min_dim = min_dim;
  return ds::read_libsvm(path, lo);
}

}  // namespace lowp_cli
