// HDF5 reader/writer (see include/lowp/datasets/hdf5.hpp for the contract and
// datasets/README.md for the schema).
//
// Every hid_t lives in an h5_handle so no path, including a throw halfway
// through a read, leaks an HDF5 object. HDF5's own error printing is turned
// off once: the library reports failures as exceptions, and a stack dump on
// stderr for a file the caller is about to be told is invalid is just noise.
#include "lowp/datasets/hdf5.hpp"

#include <hdf5.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <limits>
#include <mutex>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

namespace lowp {
namespace datasets {
namespace {

// ---- handles and errors ---------------------------------------------------------

class h5_handle {
 public:
  using closer = herr_t (*)(hid_t);
  h5_handle() = default;
  h5_handle(hid_t id, closer close) noexcept : id_(id), close_(close) {}
  ~h5_handle() { reset(); }
  h5_handle(h5_handle&& o) noexcept : id_(std::exchange(o.id_, H5I_INVALID_HID)), close_(o.close_) {}
  h5_handle& operator=(h5_handle&& o) noexcept {
    if (this != &o) {
      reset();
      id_ = std::exchange(o.id_, H5I_INVALID_HID);
      close_ = o.close_;
    }
    return *this;
  }
  h5_handle(const h5_handle&) = delete;
  h5_handle& operator=(const h5_handle&) = delete;

  hid_t get() const noexcept { return id_; }
  bool valid() const noexcept { return id_ >= 0; }
  // Close now and report whether HDF5 succeeded: for a file being written,
  // H5Fclose is where buffered data reaches the disk, so its failure matters.
  bool close() noexcept {
    if (!valid()) return true;
    const herr_t rc = close_(std::exchange(id_, H5I_INVALID_HID));
    return rc >= 0;
  }
  void reset() noexcept {
    if (valid()) close_(std::exchange(id_, H5I_INVALID_HID));
  }

 private:
  hid_t id_ = H5I_INVALID_HID;
  closer close_ = nullptr;
};

void silence_hdf5() {
  static std::once_flag once;
  std::call_once(once, [] { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); });
}

// The innermost message on HDF5's error stack (the most specific reason,
// often with errno text), appended to a fallback that says what we tried.
std::string hdf5_reason(const std::string& fallback) {
  std::string desc;
  auto walk = [](unsigned n, const H5E_error2_t* e, void* out) -> herr_t {
    if (n == 0 && e != nullptr && e->desc != nullptr) *static_cast<std::string*>(out) = e->desc;
    return 0;
  };
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, walk, &desc);
  H5Eclear2(H5E_DEFAULT);
  return desc.empty() ? fallback : fallback + " (HDF5: " + desc + ")";
}

[[noreturn]] void bad(const std::string& file, std::string expected, std::string found = {}) {
  H5Eclear2(H5E_DEFAULT);
  throw parse_error(file, 0, 0, std::move(expected), std::move(found), 0);
}

[[noreturn]] void io_fail(const std::string& file, const std::string& what) {
  throw io_error(file, hdf5_reason(what));
}

// ---- reading --------------------------------------------------------------------

enum class elem { f32, u32, u64 };

const char* elem_name(elem e) {
  switch (e) {
    case elem::f32: return "float32";
    case elem::u32: return "uint32";
    case elem::u64: return "uint64";
  }
  return "?";
}

hid_t native(elem e) {
  switch (e) {
    case elem::f32: return H5T_NATIVE_FLOAT;
    case elem::u32: return H5T_NATIVE_UINT32;
    case elem::u64: return H5T_NATIVE_UINT64;
  }
  return H5T_NATIVE_FLOAT;
}

std::string describe_type(hid_t t) {
  const H5T_class_t c = H5Tget_class(t);
  const std::size_t bits = H5Tget_size(t) * 8;
  switch (c) {
    case H5T_FLOAT: return "float" + std::to_string(bits);
    case H5T_INTEGER:
      return (H5Tget_sign(t) == H5T_SGN_NONE ? "uint" : "int") + std::to_string(bits);
    case H5T_STRING: return "string";
    default: return "a non-numeric type";
  }
}

// Any byte order is accepted (HDF5 converts on read), but the class, width and
// signedness must be exactly the schema's: a silent float64 -> float32 or
// int -> uint conversion would hide a producer bug.
bool type_matches(hid_t t, elem e) {
  const H5T_class_t c = H5Tget_class(t);
  const std::size_t size = H5Tget_size(t);
  switch (e) {
    case elem::f32: return c == H5T_FLOAT && size == 4;
    case elem::u32: return c == H5T_INTEGER && size == 4 && H5Tget_sign(t) == H5T_SGN_NONE;
    case elem::u64: return c == H5T_INTEGER && size == 8 && H5Tget_sign(t) == H5T_SGN_NONE;
  }
  return false;
}

class reader {
 public:
  explicit reader(std::string path) : path_(std::move(path)) {
    silence_hdf5();
    // Distinguish "cannot open" (io_error with the OS reason) from "not HDF5"
    // (parse_error) before HDF5 folds both into one failure.
    if (::access(path_.c_str(), R_OK) != 0) {
      const int err = errno;
      throw io_error(path_, std::generic_category().message(err));
    }
    std::error_code ec;
    if (std::filesystem::is_directory(path_, ec)) throw io_error(path_, "is a directory");
    const htri_t is = H5Fis_hdf5(path_.c_str());
    if (is <= 0) bad(path_, "an HDF5 file", "no HDF5 signature");
    file_ = h5_handle(H5Fopen(path_.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
    // The OS let us read it and the signature is there, so a failure here is
    // the content's fault (truncated or corrupt), not the system's.
    if (!file_.valid()) bad(path_, "a well-formed HDF5 file", hdf5_reason("a file HDF5 cannot open"));
  }

  const std::string& path() const noexcept { return path_; }

  std::uint64_t attr_u64(const char* name) const {
    h5_handle a = open_attribute(name);
    h5_handle t(H5Aget_type(a.get()), H5Tclose);
    if (!t.valid() || !type_matches(t.get(), elem::u64))
      bad(path_, std::string("attribute '") + name + "' of type uint64", t.valid() ? describe_type(t.get()) : "");
    require_scalar(a, name);
    std::uint64_t v = 0;
    if (H5Aread(a.get(), H5T_NATIVE_UINT64, &v) < 0) io_fail(path_, std::string("cannot read attribute '") + name + "'");
    return v;
  }

  std::string attr_string(const char* name) const {
    h5_handle a = open_attribute(name);
    h5_handle t(H5Aget_type(a.get()), H5Tclose);
    if (!t.valid() || H5Tget_class(t.get()) != H5T_STRING)
      bad(path_, std::string("attribute '") + name + "' of type string", t.valid() ? describe_type(t.get()) : "");
    require_scalar(a, name);
    // Both HDF5 string flavours: variable length (what h5py and our writer
    // produce) and fixed length (what many C and MATLAB writers produce).
    const htri_t vl = H5Tis_variable_str(t.get());
    if (vl < 0) io_fail(path_, std::string("cannot inspect attribute '") + name + "'");
    if (vl > 0) {
      h5_handle mt(H5Tcopy(H5T_C_S1), H5Tclose);
      if (!mt.valid() || H5Tset_size(mt.get(), H5T_VARIABLE) < 0 || H5Tset_cset(mt.get(), H5Tget_cset(t.get())) < 0)
        io_fail(path_, "cannot make a string type");
      char* p = nullptr;
      if (H5Aread(a.get(), mt.get(), &p) < 0) io_fail(path_, std::string("cannot read attribute '") + name + "'");
      std::string s = p != nullptr ? std::string(p) : std::string();
      H5free_memory(p);
      return s;
    }
    const std::size_t size = H5Tget_size(t.get());
    std::string s(size, '\0');
    if (size != 0 && H5Aread(a.get(), t.get(), s.data()) < 0)
      io_fail(path_, std::string("cannot read attribute '") + name + "'");
    // Fixed-length strings may be NUL-terminated, NUL-padded or space-padded.
    const std::size_t nul = s.find('\0');
    if (nul != std::string::npos) s.resize(nul);
    if (H5Tget_strpad(t.get()) == H5T_STR_SPACEPAD) {
      while (!s.empty() && s.back() == ' ') s.pop_back();
    }
    return s;
  }

  // A rank-`rank` dataset of element type e, read whole; its shape goes to
  // dims_out for the caller to check against the attributes.
  template <class T>
  std::vector<T> read(const char* name, elem e, std::vector<std::uint64_t>& dims_out, int rank) const {
    if (H5Lexists(file_.get(), name, H5P_DEFAULT) <= 0) bad(path_, std::string("dataset ") + name, "none");
    h5_handle d(H5Dopen2(file_.get(), name, H5P_DEFAULT), H5Dclose);
    if (!d.valid()) bad(path_, std::string("dataset ") + name, "an object that is not a dataset");
    h5_handle t(H5Dget_type(d.get()), H5Tclose);
    if (!t.valid()) io_fail(path_, std::string("cannot read the type of ") + name);
    if (!type_matches(t.get(), e))
      bad(path_, std::string(name) + " of type " + elem_name(e), describe_type(t.get()));
    h5_handle s(H5Dget_space(d.get()), H5Sclose);
    if (!s.valid()) io_fail(path_, std::string("cannot read the shape of ") + name);
    if (H5Sget_simple_extent_type(s.get()) != H5S_SIMPLE)
      bad(path_, std::string(name) + " with a simple (array) shape", "a scalar or null dataspace");
    const int r = H5Sget_simple_extent_ndims(s.get());
    if (r != rank) bad(path_, std::string(name) + " of rank " + std::to_string(rank), "rank " + std::to_string(r));
    std::vector<hsize_t> dims(static_cast<std::size_t>(r));
    if (H5Sget_simple_extent_dims(s.get(), dims.data(), nullptr) < 0) io_fail(path_, std::string("cannot read the shape of ") + name);
    std::uint64_t count = 1;
    dims_out.assign(dims.begin(), dims.end());
    for (const hsize_t x : dims) {
      if (x != 0 && count > std::numeric_limits<std::size_t>::max() / sizeof(T) / x)
        bad(path_, std::string(name) + " small enough to fit in memory", "a shape whose size overflows");
      count *= x;
    }
    // A shape can claim far more elements than the file stores (unallocated
    // chunks read as fill values). Refuse a dataset with no storage at all,
    // so a lying header cannot make us allocate gigabytes of fill.
    if (count != 0 && H5Dget_storage_size(d.get()) == 0)
      bad(path_, std::string(name) + " with stored data", "a dataset with no storage allocated");
    std::vector<T> v(static_cast<std::size_t>(count));
    if (count != 0 && H5Dread(d.get(), native(e), H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()) < 0)
      io_fail(path_, std::string("cannot read ") + name);
    return v;
  }

 private:
  h5_handle open_attribute(const char* name) const {
    if (H5Aexists(file_.get(), name) <= 0) bad(path_, std::string("root attribute '") + name + "'", "none");
    h5_handle a(H5Aopen(file_.get(), name, H5P_DEFAULT), H5Aclose);
    if (!a.valid()) io_fail(path_, std::string("cannot open attribute '") + name + "'");
    return a;
  }
  void require_scalar(const h5_handle& a, const char* name) const {
    h5_handle s(H5Aget_space(a.get()), H5Sclose);
    if (!s.valid()) io_fail(path_, std::string("cannot read the shape of attribute '") + name + "'");
    const H5S_class_t c = H5Sget_simple_extent_type(s.get());
    const hssize_t npoints = H5Sget_simple_extent_npoints(s.get());
    // A one-element array is accepted too: some writers store scalars that way.
    if (!(c == H5S_SCALAR || (c == H5S_SIMPLE && npoints == 1)))
      bad(path_, std::string("attribute '") + name + "' holding one value", std::to_string(npoints) + " values");
  }

  std::string path_;
  h5_handle file_;
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

class writer {
 public:
  writer(std::string path, std::string tmp) : path_(std::move(path)), tmp_(std::move(tmp)) {
    silence_hdf5();
    file_ = h5_handle(H5Fcreate(tmp_.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose);
    if (!file_.valid()) io_fail(path_, "cannot create " + tmp_);
  }

  template <class T>
  void dataset(const char* name, elem e, const T* data, std::initializer_list<hsize_t> shape) {
    const std::vector<hsize_t> dims(shape);
    h5_handle s(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), H5Sclose);
    if (!s.valid()) io_fail(path_, std::string("cannot make the shape of ") + name);
    // Little-endian on disk whatever the host, as numpy/h5py default to.
    const hid_t file_type = e == elem::f32 ? H5T_IEEE_F32LE : e == elem::u32 ? H5T_STD_U32LE : H5T_STD_U64LE;
    h5_handle d(H5Dcreate2(file_.get(), name, file_type, s.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Dclose);
    if (!d.valid()) io_fail(path_, std::string("cannot create ") + name);
    std::uint64_t count = 1;
    for (const hsize_t x : dims) count *= x;
    if (count != 0 && H5Dwrite(d.get(), native(e), H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0)
      io_fail(path_, std::string("cannot write ") + name);
    if (!d.close()) io_fail(path_, std::string("cannot close ") + name);
  }

  void attr_u64(const char* name, std::uint64_t v) {
    h5_handle s(H5Screate(H5S_SCALAR), H5Sclose);
    h5_handle a(s.valid() ? H5Acreate2(file_.get(), name, H5T_STD_U64LE, s.get(), H5P_DEFAULT, H5P_DEFAULT) : -1,
                H5Aclose);
    if (!a.valid() || H5Awrite(a.get(), H5T_NATIVE_UINT64, &v) < 0)
      io_fail(path_, std::string("cannot write attribute '") + name + "'");
  }

  // Variable-length UTF-8: h5py reads it as str, and an empty string needs no
  // special case (a fixed-length string type cannot have size 0).
  void attr_string(const char* name, const std::string& v) {
    h5_handle t(H5Tcopy(H5T_C_S1), H5Tclose);
    if (!t.valid() || H5Tset_size(t.get(), H5T_VARIABLE) < 0 || H5Tset_cset(t.get(), H5T_CSET_UTF8) < 0)
      io_fail(path_, "cannot make a string type");
    h5_handle s(H5Screate(H5S_SCALAR), H5Sclose);
    h5_handle a(s.valid() ? H5Acreate2(file_.get(), name, t.get(), s.get(), H5P_DEFAULT, H5P_DEFAULT) : -1,
                H5Aclose);
    const char* p = v.c_str();
    if (!a.valid() || H5Awrite(a.get(), t.get(), &p) < 0)
      io_fail(path_, std::string("cannot write attribute '") + name + "'");
  }

  void finish() {
    if (!file_.close()) io_fail(path_, "cannot finish writing " + tmp_);
  }

 private:
  std::string path_, tmp_;
  h5_handle file_;
};

// Runs body(writer&) against "<path>.tmp.<pid>" and renames the result into
// place. Any failure (validation is done before this, HDF5 or rename errors
// here) removes the temp file, so the destination is either the old file,
// absent, or the complete new one.
template <class Body>
void write_atomically(const std::string& path, Body&& body) {
  const std::string tmp = path + ".tmp." + std::to_string(static_cast<long long>(::getpid()));
  try {
    {
      writer w(path, tmp);
      body(w);
      w.finish();
    }
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec) throw io_error(path, "cannot rename " + tmp + " into place: " + ec.message());
  } catch (...) {
    std::error_code ec;
    std::filesystem::remove(tmp, ec);
    throw;
  }
}

void write_common_attributes(writer& w, const char* format, std::uint64_t n, std::uint64_t d,
                             const h5_attributes& a) {
  w.attr_u64("n", n);
  w.attr_u64("d", d);
  w.attr_string("source", a.source);
  w.attr_string("sha256", a.sha256);
  w.attr_string("format", format);
}

// The writers refuse data the readers would reject, so every file they
// produce reads back. Inconsistent in-memory data is the caller's bug:
// std::invalid_argument, before anything touches the disk.
[[noreturn]] void invalid(const std::string& path, const std::string& why) {
  throw std::invalid_argument(path + ": refusing to write: " + why);
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
  write_atomically(path, [&](writer& w) {
    w.dataset("/X", elem::f32, data.X.data(), {data.n, data.d});
    w.dataset("/y", elem::f32, data.y.data(), {data.n});
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
  write_atomically(path, [&](writer& w) {
    w.dataset("/indptr", elem::u64, data.indptr.data(), {data.indptr.size()});
    w.dataset("/indices", elem::u32, data.indices.data(), {data.indices.size()});
    w.dataset("/data", elem::f32, data.values.data(), {data.values.size()});
    w.dataset("/y", elem::f32, data.y.data(), {n});
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
