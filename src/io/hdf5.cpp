// HDF5 reader/writer (see include/lowp/datasets/hdf5.hpp for the contract and
// datasets/README.md for the schema). The HDF5 plumbing (handles, error
// stack, checked reads, temp-file writes) is h5_support.hpp, shared with
// run_log.cpp.
#include "lowp/datasets/hdf5.hpp"

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "h5_support.hpp"

namespace lowp {
namespace datasets {
namespace {

using h5::bad;
using h5::elem;
using h5::invalid;

// ---- reading --------------------------------------------------------------------

// Only root attributes and root datasets: the schema has no groups.
class reader : public h5::reader {
 public:
  using h5::reader::reader;

  std::uint64_t attr_u64(const char* name) const {
    return read_number<std::uint64_t>(attribute(name), elem::u64, label(name));
  }

  std::string attr_string(const char* name) const { return read_string(attribute(name), label(name)); }

  // A rank-`rank` dataset of element type e, read whole; its shape goes to
  // dims_out for the caller to check against the attributes.
  template <class T>
  std::vector<T> read(const char* name, elem e, std::vector<std::uint64_t>& dims_out, int rank) const {
    const h5::handle d = open_dataset(root(), name, name, e);
    const std::vector<hsize_t> dims = dataset_shape(d, name, rank, "a simple (array) shape");
    dims_out.assign(dims.begin(), dims.end());
    std::uint64_t count = 1;
    for (const hsize_t x : dims) {
      if (x != 0 && count > std::numeric_limits<std::size_t>::max() / sizeof(T) / x)
        bad(path(), std::string(name) + " small enough to fit in memory", "a shape whose size overflows");
      count *= x;
    }
    return read_dataset<T>(d, name, e, count);
  }

 private:
  static std::string label(const char* name) { return std::string("attribute '") + name + "'"; }
  h5::handle attribute(const char* name) const {
    return open_attribute(root(), name, label(name), "root " + label(name));
  }
};

std::string format_of(const reader& r) {
  const std::string f = r.attr_string("format");
  if (f != "dense" && f != "csr") bad(r.path(), "format attribute \"dense\" or \"csr\"", "\"" + f + "\"");
  return f;
}

void require_format(const reader& r, const char* want) {
  const std::string f = format_of(r);
  if (f != want) bad(r.path(), std::string("format \"") + want + "\"", "\"" + f + "\"");
}

void require_finite(const std::string& path, const char* name, const std::vector<float>& v) {
  for (std::size_t k = 0; k < v.size(); ++k)
    if (!std::isfinite(v[k]))
      bad(path, std::string("finite values in ") + name,
          (std::isnan(v[k]) ? "NaN" : "Inf") + std::string(" at element ") + std::to_string(k));
}

std::string mismatch(const char* what, std::uint64_t attr, std::uint64_t shape) {
  return std::string(what) + " attribute " + std::to_string(attr) + " but shape " + std::to_string(shape);
}

// ---- writing --------------------------------------------------------------------

void write_common_attributes(h5::writer& w, const char* format, std::uint64_t n, std::uint64_t d,
                             const h5_attributes& a) {
  const hid_t root = w.root();
  w.attr_number(root, "n", elem::u64, n);
  w.attr_number(root, "d", elem::u64, d);
  w.attr_string(root, "source", a.source);
  w.attr_string(root, "sha256", a.sha256);
  w.attr_string(root, "format", format);
}

void check_finite_for_write(const std::string& path, const char* name, const std::vector<float>& v) {
  for (std::size_t k = 0; k < v.size(); ++k)
    if (!std::isfinite(v[k])) invalid(path, std::string("non-finite value in ") + name + " at element " + std::to_string(k));
}

}  // namespace

// ---- public API -----------------------------------------------------------------

void write_hdf5(const std::string& path, const dense_dataset& data, const h5_attributes& attributes) {
  if (data.d != 0 && data.n > std::numeric_limits<std::size_t>::max() / data.d) invalid(path, "n * d overflows");
  if (data.X.size() != data.n * data.d)
    invalid(path, "X has " + std::to_string(data.X.size()) + " values, n * d = " + std::to_string(data.n * data.d));
  if (data.y.size() != data.n)
    invalid(path, "y has " + std::to_string(data.y.size()) + " values, n = " + std::to_string(data.n));
  check_finite_for_write(path, "X", data.X);
  check_finite_for_write(path, "y", data.y);
  h5::write_atomically(path, h5::temp_file::truncate, [&](h5::writer& w) {
    w.dataset(w.root(), "/X", elem::f32, data.X.data(), {data.n, data.d});
    w.dataset(w.root(), "/y", elem::f32, data.y.data(), {data.n});
    write_common_attributes(w, "dense", data.n, data.d, attributes);
  });
}

void write_hdf5(const std::string& path, const csr_dataset& data, const h5_attributes& attributes) {
  const std::size_t n = data.rows();
  if (data.indptr.size() != n + 1) invalid(path, "indptr must have rows() + 1 entries");
  if (data.indices.size() != data.values.size()) invalid(path, "indices and values differ in length");
  if (data.indptr.front() != 0 || data.indptr.back() != data.nnz()) invalid(path, "indptr must run from 0 to nnz");
  for (std::size_t i = 0; i < n; ++i) {
    if (data.indptr[i] > data.indptr[i + 1]) invalid(path, "indptr decreases at row " + std::to_string(i));
    if (data.indptr[i + 1] > data.nnz()) invalid(path, "indptr exceeds nnz at row " + std::to_string(i));
    for (std::uint64_t k = data.indptr[i]; k < data.indptr[i + 1]; ++k) {
      if (data.indices[k] >= data.d) invalid(path, "column index >= d in row " + std::to_string(i));
      if (k > data.indptr[i] && data.indices[k - 1] >= data.indices[k])
        invalid(path, "column indices not strictly increasing in row " + std::to_string(i));
    }
  }
  check_finite_for_write(path, "data", data.values);
  check_finite_for_write(path, "y", data.y);
  h5::write_atomically(path, h5::temp_file::truncate, [&](h5::writer& w) {
    w.dataset(w.root(), "/indptr", elem::u64, data.indptr.data(), {data.indptr.size()});
    w.dataset(w.root(), "/indices", elem::u32, data.indices.data(), {data.indices.size()});
    w.dataset(w.root(), "/data", elem::f32, data.values.data(), {data.values.size()});
    w.dataset(w.root(), "/y", elem::f32, data.y.data(), {n});
    write_common_attributes(w, "csr", n, data.d, attributes);
  });
}

dense_dataset read_hdf5_dense(const std::string& path) {
  const reader r(path);
  require_format(r, "dense");
  const std::uint64_t n = r.attr_u64("n");
  const std::uint64_t d = r.attr_u64("d");
  std::vector<std::uint64_t> xdims, ydims;
  dense_dataset out;
  out.X = r.read<float>("/X", elem::f32, xdims, 2);
  if (xdims[0] != n) bad(path, "/X rows equal to the n attribute", mismatch("n", n, xdims[0]));
  if (xdims[1] != d) bad(path, "/X columns equal to the d attribute", mismatch("d", d, xdims[1]));
  out.y = r.read<float>("/y", elem::f32, ydims, 1);
  if (ydims[0] != n) bad(path, "/y length equal to the n attribute", mismatch("n", n, ydims[0]));
  require_finite(path, "/X", out.X);
  require_finite(path, "/y", out.y);
  out.n = static_cast<std::size_t>(n);
  out.d = static_cast<std::size_t>(d);
  return out;
}

csr_dataset read_hdf5_csr(const std::string& path) {
  const reader r(path);
  require_format(r, "csr");
  const std::uint64_t n = r.attr_u64("n");
  const std::uint64_t d = r.attr_u64("d");
  // Column indices are uint32, so a wider d could never be addressed.
  if (d > std::uint64_t(std::numeric_limits<std::uint32_t>::max()) + 1)
    bad(path, "d attribute <= 2^32 (indices are uint32)", std::to_string(d));
  std::vector<std::uint64_t> pdims, idims, vdims, ydims;
  csr_dataset out;
  out.indptr = r.read<std::uint64_t>("/indptr", elem::u64, pdims, 1);
  if (n == std::numeric_limits<std::uint64_t>::max() || pdims[0] != n + 1)
    bad(path, "/indptr of length n + 1 = " + std::to_string(n + 1), "length " + std::to_string(pdims[0]));
  out.indices = r.read<std::uint32_t>("/indices", elem::u32, idims, 1);
  out.values = r.read<float>("/data", elem::f32, vdims, 1);
  if (idims[0] != vdims[0])
    bad(path, "/indices and /data of equal length",
        std::to_string(idims[0]) + " and " + std::to_string(vdims[0]));
  out.y = r.read<float>("/y", elem::f32, ydims, 1);
  if (ydims[0] != n) bad(path, "/y length equal to the n attribute", mismatch("n", n, ydims[0]));

  const std::uint64_t nnz = vdims[0];
  if (out.indptr.front() != 0) bad(path, "/indptr[0] = 0", std::to_string(out.indptr.front()));
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint64_t b = out.indptr[i], e = out.indptr[i + 1];
    if (e < b)
      bad(path, "/indptr non-decreasing",
          "indptr[" + std::to_string(i + 1) + "] = " + std::to_string(e) + " < indptr[" + std::to_string(i) +
              "] = " + std::to_string(b));
    // Checked per row before indexing, so a bad indptr can never read past /indices.
    if (e > nnz)
      bad(path, "/indptr entries <= nnz = " + std::to_string(nnz),
          "indptr[" + std::to_string(i + 1) + "] = " + std::to_string(e));
    for (std::uint64_t k = b; k < e; ++k) {
      const std::uint32_t c = out.indices[k];
      if (c >= d)
        bad(path, "column indices < d = " + std::to_string(d),
            std::to_string(c) + " in row " + std::to_string(i) + " (element " + std::to_string(k) + ")");
      if (k > b && out.indices[k - 1] >= c)
        bad(path, "strictly increasing column indices within a row",
            std::to_string(out.indices[k - 1]) + " then " + std::to_string(c) + " in row " + std::to_string(i));
    }
  }
  if (out.indptr.back() != nnz)
    bad(path, "/indptr ending at nnz = " + std::to_string(nnz), std::to_string(out.indptr.back()));
  require_finite(path, "/data", out.values);
  require_finite(path, "/y", out.y);
  out.d = static_cast<std::size_t>(d);
  return out;
}

h5_kind probe_hdf5(const std::string& path) {
  const reader r(path);
  return format_of(r) == "csr" ? h5_kind::csr : h5_kind::dense;
}

h5_attributes read_hdf5_attributes(const std::string& path) {
  const reader r(path);
  h5_attributes a;
  a.source = r.attr_string("source");
  a.sha256 = r.attr_string("sha256");
  return a;
}

}  // namespace datasets
}  // namespace lowp
