// See h5_support.hpp.
#include "h5_support.hpp"

#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <mutex>
#include <stdexcept>
#include <system_error>

#include "lowp/datasets/error.hpp"

namespace lowp {
namespace h5 {

using datasets::io_error;
using datasets::parse_error;

// ---- handles and errors ---------------------------------------------------------

void silence_errors() {
  static std::once_flag once;
  std::call_once(once, [] { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); });
}

std::string reason(const std::string& fallback) {
  std::string desc;
  auto walk = [](unsigned n, const H5E_error2_t* e, void* out) -> herr_t {
    if (n == 0 && e != nullptr && e->desc != nullptr) *static_cast<std::string*>(out) = e->desc;
    return 0;
  };
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, walk, &desc);
  H5Eclear2(H5E_DEFAULT);
  return desc.empty() ? fallback : fallback + " (HDF5: " + desc + ")";
}

void bad(const std::string& file, std::string expected, std::string found) {
  H5Eclear2(H5E_DEFAULT);
  throw parse_error(file, 0, 0, std::move(expected), std::move(found), 0);
}

void io_fail(const std::string& file, const std::string& what) { throw io_error(file, reason(what)); }

// ---- element types --------------------------------------------------------------

const char* elem_name(elem e) {
  switch (e) {
    case elem::f32: return "float32";
    case elem::f64: return "float64";
    case elem::u32: return "uint32";
    case elem::u64: return "uint64";
    case elem::i64: return "int64";
  }
  return "?";
}

hid_t native(elem e) {
  switch (e) {
    case elem::f32: return H5T_NATIVE_FLOAT;
    case elem::f64: return H5T_NATIVE_DOUBLE;
    case elem::u32: return H5T_NATIVE_UINT32;
    case elem::u64: return H5T_NATIVE_UINT64;
    case elem::i64: return H5T_NATIVE_INT64;
  }
  return H5T_NATIVE_DOUBLE;
}

hid_t on_disk(elem e) {
  switch (e) {
    case elem::f32: return H5T_IEEE_F32LE;
    case elem::f64: return H5T_IEEE_F64LE;
    case elem::u32: return H5T_STD_U32LE;
    case elem::u64: return H5T_STD_U64LE;
    case elem::i64: return H5T_STD_I64LE;
  }
  return H5T_IEEE_F64LE;
}

std::string describe_type(hid_t t) {
  const std::size_t bits = H5Tget_size(t) * 8;
  switch (H5Tget_class(t)) {
    case H5T_FLOAT: return "float" + std::to_string(bits);
    case H5T_INTEGER: return (H5Tget_sign(t) == H5T_SGN_NONE ? "uint" : "int") + std::to_string(bits);
    case H5T_STRING: return "string";
    default: return "a non-numeric type";
  }
}

bool type_matches(hid_t t, elem e) {
  const H5T_class_t c = H5Tget_class(t);
  const std::size_t size = H5Tget_size(t);
  switch (e) {
    case elem::f32: return c == H5T_FLOAT && size == 4;
    case elem::f64: return c == H5T_FLOAT && size == 8;
    case elem::u32: return c == H5T_INTEGER && size == 4 && H5Tget_sign(t) == H5T_SGN_NONE;
    case elem::u64: return c == H5T_INTEGER && size == 8 && H5Tget_sign(t) == H5T_SGN_NONE;
    case elem::i64: return c == H5T_INTEGER && size == 8 && H5Tget_sign(t) == H5T_SGN_2;
  }
  return false;
}

// ---- reading --------------------------------------------------------------------

reader::reader(std::string path) : path_(std::move(path)) {
  silence_errors();
  // Distinguish "cannot open" (io_error with the OS reason) from "not HDF5"
  // (parse_error) before HDF5 folds both into one failure.
  if (::access(path_.c_str(), R_OK) != 0) {
    const int err = errno;
    throw io_error(path_, std::generic_category().message(err));
  }
  std::error_code ec;
  if (std::filesystem::is_directory(path_, ec)) throw io_error(path_, "is a directory");
  if (H5Fis_hdf5(path_.c_str()) <= 0) bad(path_, "an HDF5 file", "no HDF5 signature");
  file_ = handle(H5Fopen(path_.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  // The OS let us read it and the signature is there, so a failure here is
  // the content's fault (truncated or corrupt), not the system's.
  if (!file_.valid()) bad(path_, "a well-formed HDF5 file", reason("a file HDF5 cannot open"));
}

handle reader::open_attribute(hid_t loc, const std::string& name, const std::string& label,
                              const std::string& missing) const {
  if (H5Aexists(loc, name.c_str()) <= 0) bad(path_, missing, "none");
  handle a(H5Aopen(loc, name.c_str(), H5P_DEFAULT), H5Aclose);
  if (!a.valid()) io_fail(path_, "cannot open " + label);
  return a;
}

void reader::require_scalar(const handle& a, const std::string& label) const {
  handle s(H5Aget_space(a.get()), H5Sclose);
  if (!s.valid()) io_fail(path_, "cannot read the shape of " + label);
  const H5S_class_t c = H5Sget_simple_extent_type(s.get());
  const hssize_t npoints = H5Sget_simple_extent_npoints(s.get());
  // A one-element array is accepted too: some writers store scalars that way.
  if (!(c == H5S_SCALAR || (c == H5S_SIMPLE && npoints == 1)))
    bad(path_, label + " holding one value", std::to_string(npoints) + " values");
}

void reader::read_number_into(const handle& a, elem e, const std::string& label, void* out) const {
  handle t(H5Aget_type(a.get()), H5Tclose);
  if (!t.valid() || !type_matches(t.get(), e))
    bad(path_, label + " of type " + elem_name(e), t.valid() ? describe_type(t.get()) : "");
  require_scalar(a, label);
  if (H5Aread(a.get(), native(e), out) < 0) io_fail(path_, "cannot read " + label);
}

std::string reader::read_string(const handle& a, const std::string& label) const {
  handle t(H5Aget_type(a.get()), H5Tclose);
  if (!t.valid() || H5Tget_class(t.get()) != H5T_STRING)
    bad(path_, label + " of type string", t.valid() ? describe_type(t.get()) : "");
  require_scalar(a, label);
  // Both HDF5 string flavours: variable length (what h5py and our writers
  // produce) and fixed length (what many C and MATLAB writers produce).
  const htri_t vl = H5Tis_variable_str(t.get());
  if (vl < 0) io_fail(path_, "cannot inspect " + label);
  if (vl > 0) {
    handle mt(H5Tcopy(H5T_C_S1), H5Tclose);
    if (!mt.valid() || H5Tset_size(mt.get(), H5T_VARIABLE) < 0 || H5Tset_cset(mt.get(), H5Tget_cset(t.get())) < 0)
      io_fail(path_, "cannot make a string type");
    char* p = nullptr;
    if (H5Aread(a.get(), mt.get(), &p) < 0) io_fail(path_, "cannot read " + label);
    std::string s = p != nullptr ? std::string(p) : std::string();
    H5free_memory(p);
    return s;
  }
  const std::size_t size = H5Tget_size(t.get());
  std::string s(size, '\0');
  if (size != 0 && H5Aread(a.get(), t.get(), s.data()) < 0) io_fail(path_, "cannot read " + label);
  // Fixed-length strings may be NUL-terminated, NUL-padded or space-padded.
  const std::size_t nul = s.find('\0');
  if (nul != std::string::npos) s.resize(nul);
  if (H5Tget_strpad(t.get()) == H5T_STR_SPACEPAD)
    while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

handle reader::open_dataset(hid_t loc, const std::string& name, const std::string& label, elem e) const {
  if (H5Lexists(loc, name.c_str(), H5P_DEFAULT) <= 0) bad(path_, "dataset " + label, "none");
  handle d(H5Dopen2(loc, name.c_str(), H5P_DEFAULT), H5Dclose);
  if (!d.valid()) bad(path_, "dataset " + label, "an object that is not a dataset");
  handle t(H5Dget_type(d.get()), H5Tclose);
  if (!t.valid()) io_fail(path_, "cannot read the type of " + label);
  if (!type_matches(t.get(), e)) bad(path_, label + " of type " + elem_name(e), describe_type(t.get()));
  return d;
}

std::vector<hsize_t> reader::dataset_shape(const handle& d, const std::string& label, int rank,
                                           const char* simple_shape) const {
  handle s(H5Dget_space(d.get()), H5Sclose);
  if (!s.valid()) io_fail(path_, "cannot read the shape of " + label);
  if (H5Sget_simple_extent_type(s.get()) != H5S_SIMPLE)
    bad(path_, label + " with " + simple_shape, "a scalar or null dataspace");
  const int r = H5Sget_simple_extent_ndims(s.get());
  if (r != rank) bad(path_, label + " of rank " + std::to_string(rank), "rank " + std::to_string(r));
  std::vector<hsize_t> dims(static_cast<std::size_t>(r));
  if (H5Sget_simple_extent_dims(s.get(), dims.data(), nullptr) < 0) io_fail(path_, "cannot read the shape of " + label);
  return dims;
}

void reader::require_storage(const handle& d, const std::string& label, std::uint64_t count) const {
  // A shape can claim far more elements than the file stores (unallocated
  // chunks read as fill values). Refuse a dataset with no storage at all,
  // so a lying header cannot make us allocate gigabytes of fill.
  if (count != 0 && H5Dget_storage_size(d.get()) == 0)
    bad(path_, label + " with stored data", "a dataset with no storage allocated");
}

void reader::read_dataset_into(const handle& d, const std::string& label, elem e, void* out) const {
  if (H5Dread(d.get(), native(e), H5S_ALL, H5S_ALL, H5P_DEFAULT, out) < 0) io_fail(path_, "cannot read " + label);
}

// ---- writing --------------------------------------------------------------------

writer::writer(std::string path, std::string tmp, temp_file mode) : path_(std::move(path)), tmp_(std::move(tmp)) {
  silence_errors();
  const unsigned flags = mode == temp_file::exclusive ? H5F_ACC_EXCL : H5F_ACC_TRUNC;
  file_ = handle(H5Fcreate(tmp_.c_str(), flags, H5P_DEFAULT, H5P_DEFAULT), H5Fclose);
  if (!file_.valid()) io_fail(path_, "cannot create " + tmp_);
}

void writer::dataset(hid_t loc, const std::string& name, elem e, const void* data, std::initializer_list<hsize_t> shape) {
  const std::vector<hsize_t> dims(shape);
  handle s(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), H5Sclose);
  if (!s.valid()) io_fail(path_, "cannot make the shape of " + name);
  handle d(H5Dcreate2(loc, name.c_str(), on_disk(e), s.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Dclose);
  if (!d.valid()) io_fail(path_, "cannot create " + name);
  std::uint64_t count = 1;
  for (const hsize_t x : dims) count *= x;
  if (count != 0 && H5Dwrite(d.get(), native(e), H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0)
    io_fail(path_, "cannot write " + name);
  if (!d.close()) io_fail(path_, "cannot close " + name);
}

void writer::write_number(hid_t loc, const std::string& name, elem e, const void* v) {
  handle s(H5Screate(H5S_SCALAR), H5Sclose);
  handle a(s.valid() ? H5Acreate2(loc, name.c_str(), on_disk(e), s.get(), H5P_DEFAULT, H5P_DEFAULT) : -1, H5Aclose);
  if (!a.valid() || H5Awrite(a.get(), native(e), v) < 0) io_fail(path_, "cannot write attribute '" + name + "'");
}

// Variable-length UTF-8: h5py reads it as str, and an empty string needs no
// special case (a fixed-length string type cannot have size 0).
void writer::attr_string(hid_t loc, const std::string& name, const std::string& v) {
  handle t(H5Tcopy(H5T_C_S1), H5Tclose);
  if (!t.valid() || H5Tset_size(t.get(), H5T_VARIABLE) < 0 || H5Tset_cset(t.get(), H5T_CSET_UTF8) < 0)
    io_fail(path_, "cannot make a string type");
  handle s(H5Screate(H5S_SCALAR), H5Sclose);
  handle a(s.valid() ? H5Acreate2(loc, name.c_str(), t.get(), s.get(), H5P_DEFAULT, H5P_DEFAULT) : -1, H5Aclose);
  const char* p = v.c_str();
  if (!a.valid() || H5Awrite(a.get(), t.get(), &p) < 0) io_fail(path_, "cannot write attribute '" + name + "'");
}

void writer::finish() {
  if (!file_.close()) io_fail(path_, "cannot finish writing " + tmp_);
}

void invalid(const std::string& path, const std::string& why) {
  throw std::invalid_argument(path + ": refusing to write: " + why);
}

void write_atomically(const std::string& path, temp_file mode, const std::function<void(writer&)>& body) {
  const std::string tmp = path + ".tmp." + std::to_string(static_cast<long long>(::getpid()));
  std::error_code ec;
  // Same pid after a crash is possible in containers; only a regular file
  // is ours to remove.
  if (mode == temp_file::exclusive && std::filesystem::is_regular_file(tmp, ec)) std::filesystem::remove(tmp, ec);
  bool created = false;
  try {
    {
      writer w(path, tmp, mode);
      created = true;
      body(w);
      w.finish();
    }
    std::filesystem::rename(tmp, path, ec);
    if (ec) throw io_error(path, "cannot rename " + tmp + " into place: " + ec.message());
  } catch (...) {
    if (created || mode == temp_file::truncate) std::filesystem::remove(tmp, ec);
    throw;
  }
}

}  // namespace h5
}  // namespace lowp
