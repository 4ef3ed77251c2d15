// HDF5 C-API plumbing shared by hdf5.cpp (datasets) and run_log.cpp (run logs,
// checkpoints). Private to lowp::io: hdf5.h must never reach a public header,
// so nothing under include/ may include this.
//
// Every hid_t lives in a handle so no path, including a throw halfway through
// a read or write, leaks an HDF5 object. HDF5's own error printing is turned
// off (silence_errors): failures become exceptions, and a stack dump on stderr
// for a file the caller is about to be told is invalid is just noise.
//
// Messages name things by a caller-chosen label ("attribute 'n'", "/trace/gap")
// because the two file formats word their diagnostics differently.
#ifndef LOWP_SRC_IO_H5_SUPPORT_HPP
#define LOWP_SRC_IO_H5_SUPPORT_HPP

#include <hdf5.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

namespace lowp {
namespace h5 {

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
  // Close now and report whether HDF5 succeeded: for a file being written,
  // H5Fclose is where buffered data reaches the disk, so its result decides
  // whether the temp file may be renamed into place.
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

void silence_errors();

// fallback (what we tried), plus the innermost message on HDF5's error stack
// when there is one: the most specific reason, often with errno text.
std::string reason(const std::string& fallback);

// The file's content is wrong: parse_error (line, column and offset 0).
[[noreturn]] void bad(const std::string& file, std::string expected, std::string found = {});
// HDF5 failed on content the file claims to have: io_error with reason(what).
[[noreturn]] void io_fail(const std::string& file, const std::string& what);

// ---- element types --------------------------------------------------------------

enum class elem { f32, f64, u32, u64, i64 };

const char* elem_name(elem e);
hid_t native(elem e);
// Little-endian on disk whatever the host, as numpy/h5py default to.
hid_t on_disk(elem e);
std::string describe_type(hid_t t);
// Any byte order is accepted (HDF5 converts on read), but the class, width and
// signedness must be exactly the schema's: a silent float64 -> float32 or
// int -> uint conversion would hide a producer bug.
bool type_matches(hid_t t, elem e);

// ---- reading --------------------------------------------------------------------

// A file open read-only, and checked reads of its attributes and datasets.
// Each check throws bad() or io_fail() naming the object by its label.
class reader {
 public:
  explicit reader(std::string path);

  const std::string& path() const noexcept { return path_; }
  hid_t root() const noexcept { return file_.get(); }

  // missing is what a file without the attribute is told it lacks.
  handle open_attribute(hid_t loc, const std::string& name, const std::string& label,
                        const std::string& missing) const;
  // A scalar (or one-element) attribute of exactly type e; T must be native(e).
  template <class T>
  T read_number(const handle& attribute, elem e, const std::string& label) const {
    T v{};
    read_number_into(attribute, e, label, &v);
    return v;
  }
  std::string read_string(const handle& attribute, const std::string& label) const;

  handle open_dataset(hid_t loc, const std::string& name, const std::string& label, elem e) const;
  // simple_shape completes "<label> with ..." for a scalar or null dataspace.
  std::vector<hsize_t> dataset_shape(const handle& dataset, const std::string& label, int rank,
                                     const char* simple_shape) const;
  // The whole dataset, count elements of type e; T must be native(e). The
  // caller has checked that count elements of T fit in memory.
  template <class T>
  std::vector<T> read_dataset(const handle& dataset, const std::string& label, elem e, std::uint64_t count) const {
    require_storage(dataset, label, count);
    std::vector<T> v(static_cast<std::size_t>(count));
    if (count != 0) read_dataset_into(dataset, label, e, v.data());
    return v;
  }

 private:
  void require_scalar(const handle& attribute, const std::string& label) const;
  void read_number_into(const handle& attribute, elem e, const std::string& label, void* out) const;
  void require_storage(const handle& dataset, const std::string& label, std::uint64_t count) const;
  void read_dataset_into(const handle& dataset, const std::string& label, elem e, void* out) const;

  std::string path_;
  handle file_;
};

// ---- writing --------------------------------------------------------------------

// What the writer does about something already at "<path>.tmp.<pid>".
enum class temp_file {
  // Create with H5F_ACC_TRUNC; on failure remove the temp name, whoever made it.
  truncate,
  // Remove a leftover regular file (ours, from a crashed run with the same
  // pid), then create with H5F_ACC_EXCL, so anything else there is an error
  // rather than something to clobber; on failure remove only what we created.
  exclusive,
};

// Error messages name the destination path, not the temp file.
class writer {
 public:
  writer(std::string path, std::string tmp, temp_file mode);

  const std::string& path() const noexcept { return path_; }
  hid_t root() const noexcept { return file_.get(); }

  // data holds the product of shape elements of native(e).
  void dataset(hid_t loc, const std::string& name, elem e, const void* data, std::initializer_list<hsize_t> shape);
  // A scalar attribute; T must be native(e).
  template <class T>
  void attr_number(hid_t loc, const std::string& name, elem e, T v) {
    write_number(loc, name, e, &v);
  }
  void attr_string(hid_t loc, const std::string& name, const std::string& v);

  void finish();

 private:
  void write_number(hid_t loc, const std::string& name, elem e, const void* v);

  std::string path_, tmp_;
  handle file_;
};

// The writers refuse data the readers would reject or read back differently,
// so every file they produce round-trips. Such data is the caller's bug:
// std::invalid_argument, before anything touches the disk.
[[noreturn]] void invalid(const std::string& path, const std::string& why);

// Runs body against "<path>.tmp.<pid>" and renames the result over path only
// when it was closed without error. Any failure removes the temp file (as
// mode says), so path is the old file, absent, or the complete new one.
void write_atomically(const std::string& path, temp_file mode, const std::function<void(writer&)>& body);

}  // namespace h5
}  // namespace lowp

#endif
