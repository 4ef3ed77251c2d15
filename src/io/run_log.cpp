// Run logs and checkpoints (see include/lowp/runs/run_log.hpp for the schema
// and the contract).
//
// Same discipline as hdf5.cpp: every hid_t lives in a handle so a throw
// halfway through cannot leak an HDF5 object, HDF5's own error printing is
// off (failures become exceptions), and writers go through a temp file that
// is renamed into place only when complete.
#include "lowp/runs/run_log.hpp"

#include <hdf5.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <limits>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "lowp/config.hpp"

#ifndef LOWP_GIT_REVISION
#define LOWP_GIT_REVISION "unknown"
#endif

namespace lowp {
namespace runs {
namespace {

using datasets::io_error;
using datasets::parse_error;

constexpr const char* k_run_format = "lowp-run-1";
constexpr const char* k_checkpoint_format = "lowp-checkpoint-1";

// ---- handles and errors ---------------------------------------------------------

class handle {
 public:
  using closer = herr_t (*)(hid_t);
  handle() = default;
  handle(hid_t id, closer close) noexcept : id_(id), close_(close) {}
  ~handle() { reset(); }
  handle(handle&& o) noexcept : id_(std::exchange(o.id_, H5I_INVALID_HID)), close_(o.close_) {}
  handle& operator=(handle&& o) noexcept {
    if (this != &o) {
      reset();
      id_ = std::exchange(o.id_, H5I_INVALID_HID);
      close_ = o.close_;
    }
    return *this;
  }
  handle(const handle&) = delete;
  handle& operator=(const handle&) = delete;

  hid_t get() const noexcept { return id_; }
  bool valid() const noexcept { return id_ >= 0; }
  // For a file being written, H5Fclose is where buffered data reaches the
  // disk, so its result decides whether the temp file may be renamed.
  bool close() noexcept {
    if (!valid()) return true;
    return close_(std::exchange(id_, H5I_INVALID_HID)) >= 0;
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

// ---- types ----------------------------------------------------------------------

enum class elem { u64, i64, f64 };

const char* elem_name(elem e) {
  switch (e) {
    case elem::u64: return "uint64";
    case elem::i64: return "int64";
    case elem::f64: return "float64";
  }
  return "?";
}

hid_t native(elem e) {
  switch (e) {
    case elem::u64: return H5T_NATIVE_UINT64;
    case elem::i64: return H5T_NATIVE_INT64;
    case elem::f64: return H5T_NATIVE_DOUBLE;
  }
  return H5T_NATIVE_DOUBLE;
}

// Little-endian on disk whatever the host, as numpy/h5py default to.
hid_t on_disk(elem e) {
  switch (e) {
    case elem::u64: return H5T_STD_U64LE;
    case elem::i64: return H5T_STD_I64LE;
    case elem::f64: return H5T_IEEE_F64LE;
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

// Byte order is HDF5's business; class, width and signedness must be the
// schema's, since a silent int -> uint or float32 -> float64 conversion would
// hide a producer bug.
bool type_matches(hid_t t, elem e) {
  const H5T_class_t c = H5Tget_class(t);
  const std::size_t size = H5Tget_size(t);
  switch (e) {
    case elem::u64: return c == H5T_INTEGER && size == 8 && H5Tget_sign(t) == H5T_SGN_NONE;
    case elem::i64: return c == H5T_INTEGER && size == 8 && H5Tget_sign(t) == H5T_SGN_2;
    case elem::f64: return c == H5T_FLOAT && size == 8;
  }
  return false;
}

// Where an object lives, for messages: "/trace/gap", "attribute 'seed' of /".
std::string join(const std::string& group, const std::string& name) {
  return group == "/" ? "/" + name : group + "/" + name;
}
std::string attr_where(const std::string& group, const std::string& name) {
  return "attribute '" + name + "' of " + group;
}

// ---- reading --------------------------------------------------------------------

class reader {
 public:
  explicit reader(std::string path) : path_(std::move(path)) {
    silence_hdf5();
    // "Cannot open" (io_error, the OS reason) and "not HDF5" (parse_error)
    // are told apart before HDF5 folds both into one failure.
    if (::access(path_.c_str(), R_OK) != 0) {
      const int err = errno;
      throw io_error(path_, std::generic_category().message(err));
    }
    std::error_code ec;
    if (std::filesystem::is_directory(path_, ec)) throw io_error(path_, "is a directory");
    if (H5Fis_hdf5(path_.c_str()) <= 0) bad(path_, "an HDF5 file", "no HDF5 signature");
    file_ = handle(H5Fopen(path_.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
    if (!file_.valid()) bad(path_, "a well-formed HDF5 file", hdf5_reason("a file HDF5 cannot open"));
  }

  const std::string& path() const noexcept { return path_; }
  hid_t root() const noexcept { return file_.get(); }

  // The format attribute is checked before anything else, so a dataset file
  // or another tool's .h5 is reported as "not a run log", not as a list of
  // missing pieces.
  void require_format(const char* want) const {
    if (H5Aexists(root(), "format") <= 0)
      bad(path_, std::string("a lowp file with format attribute \"") + want + "\"", "no format attribute");
    const std::string f = attr_string(root(), "/", "format");
    if (f != want) bad(path_, std::string("format attribute \"") + want + "\"", "\"" + f + "\"");
  }

  handle group(const char* name) const {
    if (H5Lexists(root(), name, H5P_DEFAULT) <= 0) bad(path_, std::string("group /") + name, "none");
    // H5Gopen2 on a dataset fails, so this also rejects a wrong object kind.
    handle g(H5Gopen2(root(), name, H5P_DEFAULT), H5Gclose);
    if (!g.valid()) bad(path_, std::string("/") + name + " to be a group", "another kind of object");
    return g;
  }

  std::string attr_string(hid_t loc, const std::string& where, const std::string& name) const {
    handle a = open_attribute(loc, where, name);
    handle t(H5Aget_type(a.get()), H5Tclose);
    if (!t.valid() || H5Tget_class(t.get()) != H5T_STRING)
      bad(path_, attr_where(where, name) + " of type string", t.valid() ? describe_type(t.get()) : "");
    require_scalar(a, where, name);
    return read_string(a, t, where, name);
  }

  std::uint64_t attr_u64(hid_t loc, const std::string& where, const std::string& name) const {
    handle a = open_attribute(loc, where, name);
    return read_number<std::uint64_t>(a, elem::u64, where, name);
  }

  // /params and /counters: every attribute of the group, in creation order
  // when the writer tracked it (ours does), else in name order.
  std::vector<std::string> attribute_names(hid_t g) const {
    std::vector<std::string> names;
    auto collect = [](hid_t, const char* name, const H5A_info_t*, void* out) -> herr_t {
      static_cast<std::vector<std::string>*>(out)->emplace_back(name);
      return 0;
    };
    hsize_t idx = 0;
    if (H5Aiterate2(g, order_of(g, false), H5_ITER_INC, &idx, collect, &names) < 0)
      io_fail(path_, "cannot list attributes");
    return names;
  }

  // /vectors: every link of the group, in the same order rule.
  std::vector<std::string> link_names(hid_t g) const {
    std::vector<std::string> names;
    auto collect = [](hid_t, const char* name, const H5L_info_t*, void* out) -> herr_t {
      static_cast<std::vector<std::string>*>(out)->emplace_back(name);
      return 0;
    };
    hsize_t idx = 0;
    if (H5Literate(g, order_of(g, true), H5_ITER_INC, &idx, collect, &names) < 0)
      io_fail(path_, "cannot list datasets");
    return names;
  }

  param_value param(hid_t g, const std::string& name) const {
    handle a = open_attribute(g, "/params", name);
    handle t(H5Aget_type(a.get()), H5Tclose);
    if (!t.valid()) io_fail(path_, "cannot read the type of " + attr_where("/params", name));
    if (type_matches(t.get(), elem::i64)) return read_number<std::int64_t>(a, elem::i64, "/params", name);
    if (type_matches(t.get(), elem::f64)) return read_number<double>(a, elem::f64, "/params", name);
    if (H5Tget_class(t.get()) == H5T_STRING) {
      require_scalar(a, "/params", name);
      return read_string(a, t, "/params", name);
    }
    bad(path_, attr_where("/params", name) + " of type int64, float64 or string", describe_type(t.get()));
  }

  template <class T>
  std::vector<T> column(hid_t loc, const std::string& where, const std::string& name, elem e) const {
    const std::string full = join(where, name);
    if (H5Lexists(loc, name.c_str(), H5P_DEFAULT) <= 0) bad(path_, "dataset " + full, "none");
    handle d(H5Dopen2(loc, name.c_str(), H5P_DEFAULT), H5Dclose);
    if (!d.valid()) bad(path_, "dataset " + full, "an object that is not a dataset");
    handle t(H5Dget_type(d.get()), H5Tclose);
    if (!t.valid()) io_fail(path_, "cannot read the type of " + full);
    if (!type_matches(t.get(), e)) bad(path_, full + " of type " + elem_name(e), describe_type(t.get()));
    handle s(H5Dget_space(d.get()), H5Sclose);
    if (!s.valid()) io_fail(path_, "cannot read the shape of " + full);
    if (H5Sget_simple_extent_type(s.get()) != H5S_SIMPLE)
      bad(path_, full + " with a 1-D shape", "a scalar or null dataspace");
    const int rank = H5Sget_simple_extent_ndims(s.get());
    if (rank != 1) bad(path_, full + " of rank 1", "rank " + std::to_string(rank));
    hsize_t n = 0;
    if (H5Sget_simple_extent_dims(s.get(), &n, nullptr) < 0) io_fail(path_, "cannot read the shape of " + full);
    if (n > std::numeric_limits<std::size_t>::max() / sizeof(T))
      bad(path_, full + " small enough to fit in memory", std::to_string(n) + " elements");
    // A header can claim more elements than the file stores (unallocated
    // storage reads as fill values); refuse that rather than allocate for it.
    if (n != 0 && H5Dget_storage_size(d.get()) == 0)
      bad(path_, full + " with stored data", "a dataset with no storage allocated");
    std::vector<T> v(static_cast<std::size_t>(n));
    if (n != 0 && H5Dread(d.get(), native(e), H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()) < 0)
      io_fail(path_, "cannot read " + full);
    return v;
  }

 private:
  H5_index_t order_of(hid_t g, bool links) const {
    handle p(H5Gget_create_plist(g), H5Pclose);
    unsigned flags = 0;
    if (!p.valid()) io_fail(path_, "cannot read group properties");
    const herr_t rc = links ? H5Pget_link_creation_order(p.get(), &flags) : H5Pget_attr_creation_order(p.get(), &flags);
    if (rc < 0) io_fail(path_, "cannot read group properties");
    return (flags & H5P_CRT_ORDER_TRACKED) != 0 ? H5_INDEX_CRT_ORDER : H5_INDEX_NAME;
  }

  handle open_attribute(hid_t loc, const std::string& where, const std::string& name) const {
    if (H5Aexists(loc, name.c_str()) <= 0) bad(path_, attr_where(where, name), "none");
    handle a(H5Aopen(loc, name.c_str(), H5P_DEFAULT), H5Aclose);
    if (!a.valid()) io_fail(path_, "cannot open " + attr_where(where, name));
    return a;
  }

  void require_scalar(const handle& a, const std::string& where, const std::string& name) const {
    handle s(H5Aget_space(a.get()), H5Sclose);
    if (!s.valid()) io_fail(path_, "cannot read the shape of " + attr_where(where, name));
    const H5S_class_t c = H5Sget_simple_extent_type(s.get());
    const hssize_t npoints = H5Sget_simple_extent_npoints(s.get());
    // A one-element array is accepted too: some writers store scalars that way.
    if (!(c == H5S_SCALAR || (c == H5S_SIMPLE && npoints == 1)))
      bad(path_, attr_where(where, name) + " holding one value", std::to_string(npoints) + " values");
  }

  template <class T>
  T read_number(const handle& a, elem e, const std::string& where, const std::string& name) const {
    handle t(H5Aget_type(a.get()), H5Tclose);
    if (!t.valid() || !type_matches(t.get(), e))
      bad(path_, attr_where(where, name) + " of type " + elem_name(e), t.valid() ? describe_type(t.get()) : "");
    require_scalar(a, where, name);
    T v{};
    if (H5Aread(a.get(), native(e), &v) < 0) io_fail(path_, "cannot read " + attr_where(where, name));
    return v;
  }

  // Both HDF5 string flavours: variable length (ours, h5py's) and fixed
  // length (many C and MATLAB writers).
  std::string read_string(const handle& a, const handle& t, const std::string& where, const std::string& name) const {
    const htri_t vl = H5Tis_variable_str(t.get());
    if (vl < 0) io_fail(path_, "cannot inspect " + attr_where(where, name));
    if (vl > 0) {
      handle mt(H5Tcopy(H5T_C_S1), H5Tclose);
      if (!mt.valid() || H5Tset_size(mt.get(), H5T_VARIABLE) < 0 || H5Tset_cset(mt.get(), H5Tget_cset(t.get())) < 0)
        io_fail(path_, "cannot make a string type");
      char* p = nullptr;
      if (H5Aread(a.get(), mt.get(), &p) < 0) io_fail(path_, "cannot read " + attr_where(where, name));
      std::string s = p != nullptr ? std::string(p) : std::string();
      H5free_memory(p);
      return s;
    }
    const std::size_t size = H5Tget_size(t.get());
    std::string s(size, '\0');
    if (size != 0 && H5Aread(a.get(), t.get(), s.data()) < 0)
      io_fail(path_, "cannot read " + attr_where(where, name));
    const std::size_t nul = s.find('\0');
    if (nul != std::string::npos) s.resize(nul);
    if (H5Tget_strpad(t.get()) == H5T_STR_SPACEPAD)
      while (!s.empty() && s.back() == ' ') s.pop_back();
    return s;
  }

  std::string path_;
  handle file_;
};

param_list read_params(const reader& r) {
  const handle g = r.group("params");
  param_list out;
  for (std::string& name : r.attribute_names(g.get())) {
    param_value v = r.param(g.get(), name);
    out.emplace_back(std::move(name), std::move(v));
  }
  return out;
}

std::vector<trace_row> read_trace(const reader& r) {
  const handle g = r.group("trace");
  const hid_t t = g.get();
  const auto epoch = r.column<std::uint64_t>(t, "/trace", "epoch", elem::u64);
  const std::size_t n = epoch.size();
  auto same_length = [&](auto v, const char* name) {
    if (v.size() != n)
      bad(r.path(), std::string("/trace/") + name + " of length " + std::to_string(n) + " (as /trace/epoch)",
          "length " + std::to_string(v.size()));
    return v;
  };
  const auto objective = same_length(r.column<double>(t, "/trace", "objective", elem::f64), "objective");
  const auto gap = same_length(r.column<double>(t, "/trace", "gap", elem::f64), "gap");
  const auto grad_norm = same_length(r.column<double>(t, "/trace", "grad_norm", elem::f64), "grad_norm");
  const auto scale = same_length(r.column<double>(t, "/trace", "scale", elem::f64), "scale");
  const auto seconds = same_length(r.column<double>(t, "/trace", "seconds", elem::f64), "seconds");
  const auto saturations = same_length(r.column<std::uint64_t>(t, "/trace", "saturations", elem::u64), "saturations");
  const auto work = same_length(r.column<std::uint64_t>(t, "/trace", "work", elem::u64), "work");
  std::vector<trace_row> rows(n);
  for (std::size_t i = 0; i < n; ++i)
    rows[i] = {epoch[i], objective[i], gap[i], grad_norm[i], scale[i], seconds[i], saturations[i], work[i]};
  return rows;
}

// ---- writing --------------------------------------------------------------------

class writer {
 public:
  writer(std::string path, std::string tmp) : path_(std::move(path)), tmp_(std::move(tmp)) {
    silence_hdf5();
    // H5F_ACC_EXCL: a leftover temp file of ours from a crashed run is
    // removed by write_atomically first; anything else there (a directory, a
    // file we cannot replace) is an error rather than something to clobber.
    file_ = handle(H5Fcreate(tmp_.c_str(), H5F_ACC_EXCL, H5P_DEFAULT, H5P_DEFAULT), H5Fclose);
    if (!file_.valid()) io_fail(path_, "cannot create " + tmp_);
  }

  hid_t root() const noexcept { return file_.get(); }

  // Groups track creation order so named entries read back in the order
  // they were given (HDF5 lists by name otherwise).
  handle group(const char* name) {
    handle p(H5Pcreate(H5P_GROUP_CREATE), H5Pclose);
    const unsigned order = H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED;
    if (!p.valid() || H5Pset_attr_creation_order(p.get(), order) < 0 ||
        H5Pset_link_creation_order(p.get(), order) < 0)
      io_fail(path_, "cannot make group properties");
    handle g(H5Gcreate2(root(), name, H5P_DEFAULT, p.get(), H5P_DEFAULT), H5Gclose);
    if (!g.valid()) io_fail(path_, std::string("cannot create group ") + name);
    return g;
  }

  template <class T>
  void column(hid_t loc, const std::string& name, elem e, const T* data, std::size_t n) {
    const hsize_t dims[1] = {static_cast<hsize_t>(n)};
    handle s(H5Screate_simple(1, dims, nullptr), H5Sclose);
    if (!s.valid()) io_fail(path_, "cannot make the shape of " + name);
    handle d(H5Dcreate2(loc, name.c_str(), on_disk(e), s.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Dclose);
    if (!d.valid()) io_fail(path_, "cannot create " + name);
    if (n != 0 && H5Dwrite(d.get(), native(e), H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0)
      io_fail(path_, "cannot write " + name);
    if (!d.close()) io_fail(path_, "cannot close " + name);
  }

  template <class T>
  void attr_number(hid_t loc, const std::string& name, elem e, T v) {
    handle s(H5Screate(H5S_SCALAR), H5Sclose);
    handle a(s.valid() ? H5Acreate2(loc, name.c_str(), on_disk(e), s.get(), H5P_DEFAULT, H5P_DEFAULT) : -1,
             H5Aclose);
    if (!a.valid() || H5Awrite(a.get(), native(e), &v) < 0) io_fail(path_, "cannot write attribute '" + name + "'");
  }

  // Variable-length UTF-8: h5py reads it as str, and an empty string needs
  // no special case (a fixed-length string type cannot have size 0).
  void attr_string(hid_t loc, const std::string& name, const std::string& v) {
    handle t(H5Tcopy(H5T_C_S1), H5Tclose);
    if (!t.valid() || H5Tset_size(t.get(), H5T_VARIABLE) < 0 || H5Tset_cset(t.get(), H5T_CSET_UTF8) < 0)
      io_fail(path_, "cannot make a string type");
    handle s(H5Screate(H5S_SCALAR), H5Sclose);
    handle a(s.valid() ? H5Acreate2(loc, name.c_str(), t.get(), s.get(), H5P_DEFAULT, H5P_DEFAULT) : -1, H5Aclose);
    const char* p = v.c_str();
    if (!a.valid() || H5Awrite(a.get(), t.get(), &p) < 0) io_fail(path_, "cannot write attribute '" + name + "'");
  }

  void finish() {
    if (!file_.close()) io_fail(path_, "cannot finish writing " + tmp_);
  }

 private:
  std::string path_, tmp_;
  handle file_;
};

// body(writer&) fills "<path>.tmp.<pid>", which is renamed over <path> only
// when closed without error. On any failure the temp file is removed, so
// <path> is the old file, absent, or the complete new one.
template <class Body>
void write_atomically(const std::string& path, Body&& body) {
  const std::string tmp = path + ".tmp." + std::to_string(static_cast<long long>(::getpid()));
  std::error_code ec;
  // Our own leftover (same pid after a crash is possible in containers);
  // only a regular file is ours to remove.
  if (std::filesystem::is_regular_file(tmp, ec)) std::filesystem::remove(tmp, ec);
  bool created = false;
  try {
    {
      writer w(path, tmp);
      created = true;
      body(w);
      w.finish();
    }
    std::filesystem::rename(tmp, path, ec);
    if (ec) throw io_error(path, "cannot rename " + tmp + " into place: " + ec.message());
  } catch (...) {
    if (created) std::filesystem::remove(tmp, ec);
    throw;
  }
}

// The writers refuse what the readers would reject or read back differently,
// so every file they produce round-trips. This is the caller's bug:
// std::invalid_argument, before anything touches the disk.
[[noreturn]] void invalid(const std::string& path, const std::string& why) {
  throw std::invalid_argument(path + ": refusing to write: " + why);
}

void check_text(const std::string& path, const char* what, const std::string& s) {
  if (s.find('\0') != std::string::npos) invalid(path, std::string(what) + " contains a NUL byte");
}

// Names become HDF5 attribute or link names: '/' would make a path, "." is
// the group itself, and a duplicate would overwrite (or fail) on write.
template <class Named>
void check_names(const std::string& path, const char* what, const Named& entries) {
  std::set<std::string> seen;
  for (const auto& [name, value] : entries) {
    (void)value;
    if (name.empty() || name == "." || name.find('/') != std::string::npos)
      invalid(path, std::string(what) + " name \"" + name + "\" (must be non-empty, without '/', not \".\")");
    check_text(path, what, name);
    if (!seen.insert(name).second) invalid(path, std::string("duplicate ") + what + " name \"" + name + "\"");
  }
}

void check_params(const std::string& path, const param_list& params) {
  check_names(path, "parameter", params);
  for (const auto& [name, v] : params)
    if (const auto* s = std::get_if<std::string>(&v)) check_text(path, ("parameter " + name).c_str(), *s);
}

void write_params(writer& w, const param_list& params) {
  const handle g = w.group("params");
  for (const auto& [name, v] : params) {
    if (const auto* i = std::get_if<std::int64_t>(&v))
      w.attr_number(g.get(), name, elem::i64, *i);
    else if (const auto* d = std::get_if<double>(&v))
      w.attr_number(g.get(), name, elem::f64, *d);
    else
      w.attr_string(g.get(), name, std::get<std::string>(v));
  }
}

void write_trace(writer& w, const std::vector<trace_row>& rows) {
  const handle g = w.group("trace");
  const std::size_t n = rows.size();
  // Column-major on disk: one gather per column, reusing two buffers.
  std::vector<std::uint64_t> u(n);
  std::vector<double> d(n);
  auto u64 = [&](const char* name, std::uint64_t trace_row::*field) {
    for (std::size_t i = 0; i < n; ++i) u[i] = rows[i].*field;
    w.column(g.get(), name, elem::u64, u.data(), n);
  };
  auto f64 = [&](const char* name, double trace_row::*field) {
    for (std::size_t i = 0; i < n; ++i) d[i] = rows[i].*field;
    w.column(g.get(), name, elem::f64, d.data(), n);
  };
  u64("epoch", &trace_row::epoch);
  f64("objective", &trace_row::objective);
  f64("gap", &trace_row::gap);
  f64("grad_norm", &trace_row::grad_norm);
  f64("scale", &trace_row::scale);
  f64("seconds", &trace_row::seconds);
  u64("saturations", &trace_row::saturations);
  u64("work", &trace_row::work);
}

std::string read_line_value(const char* file, const char* key) {
  std::ifstream f(file);
  std::string line;
  while (std::getline(f, line)) {
    if (line.compare(0, std::strlen(key), key) != 0) continue;
    const std::size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::size_t b = line.find_first_not_of(" \t", colon + 1);
    if (b == std::string::npos) continue;
    std::size_t e = line.find_last_not_of(" \t\r");
    return line.substr(b, e - b + 1);
  }
  return {};
}

}  // namespace

// ---- public API -----------------------------------------------------------------

void write_run_log(const std::string& path, const run_record& r) {
  check_params(path, r.params);
  for (const auto& [what, s] : {std::pair<const char*, const std::string*>{"algorithm", &r.algorithm},
                                {"status", &r.status},
                                {"message", &r.message},
                                {"library_version", &r.library_version},
                                {"git_revision", &r.git_revision},
                                {"cpu_model", &r.cpu_model},
                                {"isa", &r.isa},
                                {"hostname", &r.hostname},
                                {"started_utc", &r.started_utc}})
    check_text(path, what, *s);
  write_atomically(path, [&](writer& w) {
    const hid_t root = w.root();
    w.attr_string(root, "format", k_run_format);
    w.attr_string(root, "algorithm", r.algorithm);
    w.attr_number(root, "seed", elem::u64, r.seed);
    w.attr_string(root, "status", r.status);
    w.attr_string(root, "message", r.message);
    w.attr_string(root, "library_version", r.library_version);
    w.attr_string(root, "git_revision", r.git_revision);
    w.attr_string(root, "cpu_model", r.cpu_model);
    w.attr_string(root, "isa", r.isa);
    w.attr_string(root, "hostname", r.hostname);
    w.attr_string(root, "started_utc", r.started_utc);
    write_params(w, r.params);
    write_trace(w, r.trace);
    w.column(root, "model", elem::f64, r.model.data(), r.model.size());
  });
}

run_record read_run_log(const std::string& path) {
  const reader r(path);
  r.require_format(k_run_format);
  run_record out;
  const hid_t root = r.root();
  out.algorithm = r.attr_string(root, "/", "algorithm");
  out.seed = r.attr_u64(root, "/", "seed");
  out.status = r.attr_string(root, "/", "status");
  out.message = r.attr_string(root, "/", "message");
  out.library_version = r.attr_string(root, "/", "library_version");
  out.git_revision = r.attr_string(root, "/", "git_revision");
  out.cpu_model = r.attr_string(root, "/", "cpu_model");
  out.isa = r.attr_string(root, "/", "isa");
  out.hostname = r.attr_string(root, "/", "hostname");
  out.started_utc = r.attr_string(root, "/", "started_utc");
  out.params = read_params(r);
  out.trace = read_trace(r);
  out.model = r.column<double>(root, "/", "model", elem::f64);
  return out;
}

void write_checkpoint(const std::string& path, const checkpoint& c) {
  check_params(path, c.params);
  check_names(path, "vector", c.vectors);
  check_names(path, "counter", c.counters);
  check_text(path, "algorithm", c.algorithm);
  write_atomically(path, [&](writer& w) {
    const hid_t root = w.root();
    w.attr_string(root, "format", k_checkpoint_format);
    w.attr_string(root, "algorithm", c.algorithm);
    w.attr_number(root, "seed", elem::u64, c.seed);
    w.attr_number(root, "next_epoch", elem::u64, c.next_epoch);
    write_params(w, c.params);
    write_trace(w, c.trace);
    w.column(root, "model", elem::f64, c.model.data(), c.model.size());
    {
      const handle g = w.group("vectors");
      for (const auto& [name, v] : c.vectors) w.column(g.get(), name, elem::f64, v.data(), v.size());
    }
    const handle g = w.group("counters");
    for (const auto& [name, v] : c.counters) w.attr_number(g.get(), name, elem::u64, v);
  });
}

checkpoint read_checkpoint(const std::string& path) {
  const reader r(path);
  r.require_format(k_checkpoint_format);
  checkpoint out;
  const hid_t root = r.root();
  out.algorithm = r.attr_string(root, "/", "algorithm");
  out.seed = r.attr_u64(root, "/", "seed");
  out.next_epoch = r.attr_u64(root, "/", "next_epoch");
  out.params = read_params(r);
  out.trace = read_trace(r);
  out.model = r.column<double>(root, "/", "model", elem::f64);
  {
    const handle g = r.group("vectors");
    for (std::string& name : r.link_names(g.get())) {
      std::vector<double> v = r.column<double>(g.get(), "/vectors", name, elem::f64);
      out.vectors.emplace_back(std::move(name), std::move(v));
    }
  }
  const handle g = r.group("counters");
  for (std::string& name : r.attribute_names(g.get())) {
    const std::uint64_t v = r.attr_u64(g.get(), "/counters", name);
    out.counters.emplace_back(std::move(name), v);
  }
  return out;
}

std::string library_version() {
  return std::to_string(LOWP_VERSION_MAJOR) + "." + std::to_string(LOWP_VERSION_MINOR) + "." +
         std::to_string(LOWP_VERSION_PATCH);
}

std::string git_revision() { return LOWP_GIT_REVISION; }

std::string cpu_model() {
  std::string m = read_line_value("/proc/cpuinfo", "model name");
  return m.empty() ? "unknown" : m;
}

std::string hostname() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "unknown";
  return buf;
}

std::string utc_now_iso8601() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  char buf[32];
  if (::gmtime_r(&now, &tm) == nullptr || std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
    return "unknown";
  return buf;
}

run_record make_run_record(std::string algorithm, std::uint64_t seed) {
  run_record r;
  r.algorithm = std::move(algorithm);
  r.seed = seed;
  r.status = "running";
  r.library_version = library_version();
  r.git_revision = git_revision();
  r.cpu_model = cpu_model();
  r.hostname = hostname();
  r.started_utc = utc_now_iso8601();
  return r;
}

}  // namespace runs
}  // namespace lowp
