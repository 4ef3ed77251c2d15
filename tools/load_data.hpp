// Reading a training or test set named on the command line, shared by the
// `lowp` solver subcommands: HDF5 (dense or CSR), IDX images with a labels
// file, or LIBSVM text. Missing files and mismatched labels are option_errors
// (exit 2); malformed contents throw the readers' parse_error (exit 1).
#ifndef LOWP_TOOLS_LOAD_DATA_HPP
#define LOWP_TOOLS_LOAD_DATA_HPP

#include <cstddef>
#include <string>
#include <variant>

#include "lowp/datasets/dataset.hpp"

namespace lowp_cli {

using any_data = std::variant<lowp::datasets::dense_dataset, lowp::datasets::csr_dataset>;

// min_dim: LIBSVM files get at least this many columns (a test set read after
// its training set, whose highest feature index may be lower).
any_data load_data(const std::string& path, const std::string& labels, std::size_t min_dim);

inline std::size_t cols(const any_data& d) {
  return std::visit([](const auto& x) { return x.cols(); }, d);
}

}  // namespace lowp_cli
#endif
