// HDF5 dataset files: dense_dataset and csr_dataset <-> one .h5 file.
// Implemented in lowp::io (src/io/hdf5.cpp) so hdf5.h never reaches user
// translation units; this header only declares. Link lowp::io.
//
// Schema (datasets/README.md has the full table):
//   dense: /X float32 [n, d] row-major, /y float32 [n]
//   csr:   /indptr uint64 [n+1], /indices uint32 [nnz], /data float32 [nnz], /y float32 [n]
//   root attributes: n, d (uint64 scalars), source, sha256 (strings; sha256
//   may be empty), format ("dense" or "csr").
//
// Writers write to "<path>.tmp.<pid>" and rename it over <path> only when the
// file is complete and closed, so a crash or an error never leaves a
// half-written file under the real name; on error the temp file is removed.
//
// Readers trust nothing: missing datasets or attributes, a wrong rank, type
// or shape, n/d attributes disagreeing with the shapes, an indptr that does
// not start at 0, decreases or does not end at nnz, column indices >= d or not
// strictly increasing within a row, and NaN/Inf values are parse_error (file
// and what was expected; line() and column() are 0, offset() is 0). A missing
// file is io_error; one that is not HDF5, or truncated or corrupt HDF5, is
// parse_error. A failure reading data the file says is there is io_error.
#ifndef LOWP_DATASETS_HDF5_HPP
#define LOWP_DATASETS_HDF5_HPP

#include <string>

#include "lowp/datasets/dataset.hpp"
#include "lowp/datasets/error.hpp"

namespace lowp {
namespace datasets {

// Provenance stored as root attributes. n, d and format are derived from the
// data on write, so only these two are the caller's to set.
struct h5_attributes {
  std::string source;  // where the data came from, e.g. "libsvm:a9a"
  std::string sha256;  // checksum of the source file; may be empty
};

enum class h5_kind { dense, csr };

void write_hdf5(const std::string& path, const dense_dataset& data, const h5_attributes& attributes);
void write_hdf5(const std::string& path, const csr_dataset& data, const h5_attributes& attributes);

dense_dataset read_hdf5_dense(const std::string& path);
csr_dataset read_hdf5_csr(const std::string& path);

// Which layout a file holds (from its "format" attribute), without reading the data.
h5_kind probe_hdf5(const std::string& path);
h5_attributes read_hdf5_attributes(const std::string& path);

}  // namespace datasets
}  // namespace lowp

#endif
