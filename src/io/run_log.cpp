// Run logs and checkpoints (see include/lowp/runs/run_log.hpp for the schema
// and the contract). The HDF5 plumbing (handles, error stack, checked reads,
// temp-file writes) is h5_support.hpp, shared with hdf5.cpp.
#include "lowp/runs/run_log.hpp"

#include <unistd.h>

#include <cstring>
#include <ctime>
#include <fstream>
#include <limits>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "h5_support.hpp"
#include "lowp/config.hpp"

#ifndef LOWP_GIT_REVISION
#define LOWP_GIT_REVISION "unknown"
#endif

namespace lowp {
namespace runs {
namespace {

using h5::bad;
using h5::elem;
using h5::invalid;
using h5::io_fail;

constexpr const char* k_run_format = "lowp-run-1";
constexpr const char* k_checkpoint_format = "lowp-checkpoint-1";

// A run log's root string attributes after the shared frame (write_frame), in
// file order; checked, written and read from this one list.
constexpr std::pair<const char*, std::string run_record::*> k_run_strings[] = {
    {"status", &run_record::status},
    {"message", &run_record::message},
    {"library_version", &run_record::library_version},
    {"git_revision", &run_record::git_revision},
    {"cpu_model", &run_record::cpu_model},
    {"isa", &run_record::isa},
    {"hostname", &run_record::hostname},
    {"started_utc", &run_record::started_utc},
};

// Where an object lives, for messages: "/trace/gap", "attribute 'seed' of /".
std::string join(const std::string& group, const std::string& name) {
  return group == "/" ? "/" + name : group + "/" + name;
}
std::string attr_where(const std::string& group, const std::string& name) {
  return "attribute '" + name + "' of " + group;
}

// ---- reading --------------------------------------------------------------------

class reader : public h5::reader {
 public:
  using h5::reader::reader;

  // The format attribute is checked before anything else, so a dataset file
  // or another tool's .h5 is reported as "not a run log", not as a list of
  // missing pieces.
  void require_format(const char* want) const {
    if (H5Aexists(root(), "format") <= 0)
      bad(path(), std::string("a lowp file with format attribute \"") + want + "\"", "no format attribute");
    const std::string f = attr_string(root(), "/", "format");
    if (f != want) bad(path(), std::string("format attribute \"") + want + "\"", "\"" + f + "\"");
  }

  h5::handle group(const char* name) const {
    if (H5Lexists(root(), name, H5P_DEFAULT) <= 0) bad(path(), std::string("group /") + name, "none");
    // H5Gopen2 on a dataset fails, so this also rejects a wrong object kind.
    h5::handle g(H5Gopen2(root(), name, H5P_DEFAULT), H5Gclose);
    if (!g.valid()) bad(path(), std::string("/") + name + " to be a group", "another kind of object");
    return g;
  }

  std::string attr_string(hid_t loc, const std::string& where, const std::string& name) const {
    return read_string(attribute(loc, where, name), attr_where(where, name));
  }

  std::uint64_t attr_u64(hid_t loc, const std::string& where, const std::string& name) const {
    return read_number<std::uint64_t>(attribute(loc, where, name), elem::u64, attr_where(where, name));
  }

  // /params and /counters: every attribute of the group, in creation order
  // when the writer tracked it (ours does), else in name order.
  std::vector<std::string> attribute_names(hid_t g) const { return names(g, false); }
  // /vectors: every link of the group, in the same order rule.
  std::vector<std::string> link_names(hid_t g) const { return names(g, true); }

  param_value param(hid_t g, const std::string& name) const {
    const std::string label = attr_where("/params", name);
    const h5::handle a = attribute(g, "/params", name);
    const h5::handle t(H5Aget_type(a.get()), H5Tclose);
    if (!t.valid()) io_fail(path(), "cannot read the type of " + label);
    if (h5::type_matches(t.get(), elem::i64)) return read_number<std::int64_t>(a, elem::i64, label);
    if (h5::type_matches(t.get(), elem::f64)) return read_number<double>(a, elem::f64, label);
    if (H5Tget_class(t.get()) == H5T_STRING) return read_string(a, label);
    bad(path(), label + " of type int64, float64 or string", h5::describe_type(t.get()));
  }

  template <class T>
  std::vector<T> column(hid_t loc, const std::string& where, const std::string& name, elem e) const {
    const std::string full = join(where, name);
    const h5::handle d = open_dataset(loc, name, full, e);
    const hsize_t n = dataset_shape(d, full, 1, "a 1-D shape")[0];
    if (n > std::numeric_limits<std::size_t>::max() / sizeof(T))
      bad(path(), full + " small enough to fit in memory", std::to_string(n) + " elements");
    return read_dataset<T>(d, full, e, n);
  }

 private:
  h5::handle attribute(hid_t loc, const std::string& where, const std::string& name) const {
    const std::string label = attr_where(where, name);
    return open_attribute(loc, name, label, label);
  }

  std::vector<std::string> names(hid_t g, bool links) const {
    h5::handle p(H5Gget_create_plist(g), H5Pclose);
    unsigned flags = 0;
    if (!p.valid()) io_fail(path(), "cannot read group properties");
    const herr_t rc = links ? H5Pget_link_creation_order(p.get(), &flags) : H5Pget_attr_creation_order(p.get(), &flags);
    if (rc < 0) io_fail(path(), "cannot read group properties");
    const H5_index_t order = (flags & H5P_CRT_ORDER_TRACKED) != 0 ? H5_INDEX_CRT_ORDER : H5_INDEX_NAME;
    std::vector<std::string> out;
    hsize_t idx = 0;
    if (links ? H5Literate(g, order, H5_ITER_INC, &idx, collect_name<H5L_info_t>, &out) < 0
              : H5Aiterate2(g, order, H5_ITER_INC, &idx, collect_name<H5A_info_t>, &out) < 0)
      io_fail(path(), links ? "cannot list datasets" : "cannot list attributes");
    return out;
  }

  template <class Info>
  static herr_t collect_name(hid_t, const char* name, const Info*, void* out) {
    static_cast<std::vector<std::string>*>(out)->emplace_back(name);
    return 0;
  }
};

param_list read_params(const reader& r) {
  const h5::handle g = r.group("params");
  param_list out;
  for (std::string& name : r.attribute_names(g.get())) {
    param_value v = r.param(g.get(), name);
    out.emplace_back(std::move(name), std::move(v));
  }
  return out;
}

std::vector<trace_row> read_trace(const reader& r) {
  const h5::handle g = r.group("trace");
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

// Groups track creation order so named entries read back in the order they
// were given (HDF5 lists by name otherwise).
h5::handle create_group(const h5::writer& w, const char* name) {
  h5::handle p(H5Pcreate(H5P_GROUP_CREATE), H5Pclose);
  const unsigned order = H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED;
  if (!p.valid() || H5Pset_attr_creation_order(p.get(), order) < 0 || H5Pset_link_creation_order(p.get(), order) < 0)
    io_fail(w.path(), "cannot make group properties");
  h5::handle g(H5Gcreate2(w.root(), name, H5P_DEFAULT, p.get(), H5P_DEFAULT), H5Gclose);
  if (!g.valid()) io_fail(w.path(), std::string("cannot create group ") + name);
  return g;
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

void write_params(h5::writer& w, const param_list& params) {
  const h5::handle g = create_group(w, "params");
  for (const auto& [name, v] : params) {
    if (const auto* i = std::get_if<std::int64_t>(&v))
      w.attr_number(g.get(), name, elem::i64, *i);
    else if (const auto* d = std::get_if<double>(&v))
      w.attr_number(g.get(), name, elem::f64, *d);
    else
      w.attr_string(g.get(), name, std::get<std::string>(v));
  }
}

void write_trace(h5::writer& w, const std::vector<trace_row>& rows) {
  const h5::handle g = create_group(w, "trace");
  const std::size_t n = rows.size();
  // Column-major on disk: one gather per column, reusing two buffers.
  std::vector<std::uint64_t> u(n);
  std::vector<double> d(n);
  auto u64 = [&](const char* name, std::uint64_t trace_row::*field) {
    for (std::size_t i = 0; i < n; ++i) u[i] = rows[i].*field;
    w.dataset(g.get(), name, elem::u64, u.data(), {n});
  };
  auto f64 = [&](const char* name, double trace_row::*field) {
    for (std::size_t i = 0; i < n; ++i) d[i] = rows[i].*field;
    w.dataset(g.get(), name, elem::f64, d.data(), {n});
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

// Run logs and checkpoints share a frame: format, algorithm and seed, then
// each one's own root attributes (own(root)), then /params, /trace and
// /model. Reads and writes follow the file's order, so a file broken in
// several places reports the first.
template <class Record, class Own>
void write_frame(h5::writer& w, const char* format, const Record& rec, Own&& own) {
  const hid_t root = w.root();
  w.attr_string(root, "format", format);
  w.attr_string(root, "algorithm", rec.algorithm);
  w.attr_number(root, "seed", elem::u64, rec.seed);
  own(root);
  write_params(w, rec.params);
  write_trace(w, rec.trace);
  w.dataset(root, "model", elem::f64, rec.model.data(), {rec.model.size()});
}

template <class Record, class Own>
void read_frame(const reader& r, const char* format, Record& out, Own&& own) {
  r.require_format(format);
  const hid_t root = r.root();
  out.algorithm = r.attr_string(root, "/", "algorithm");
  out.seed = r.attr_u64(root, "/", "seed");
  own(root);
  out.params = read_params(r);
  out.trace = read_trace(r);
  out.model = r.column<double>(root, "/", "model", elem::f64);
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
  check_text(path, "algorithm", r.algorithm);
  for (const auto& [name, field] : k_run_strings) check_text(path, name, r.*field);
  h5::write_atomically(path, h5::temp_file::exclusive, [&](h5::writer& w) {
    write_frame(w, k_run_format, r, [&](hid_t root) {
      for (const auto& [name, field] : k_run_strings) w.attr_string(root, name, r.*field);
    });
  });
}

run_record read_run_log(const std::string& path) {
  const reader r(path);
  run_record out;
  read_frame(r, k_run_format, out, [&](hid_t root) {
    for (const auto& [name, field] : k_run_strings) out.*field = r.attr_string(root, "/", name);
  });
  return out;
}

void write_checkpoint(const std::string& path, const checkpoint& c) {
  check_params(path, c.params);
  check_names(path, "vector", c.vectors);
  check_names(path, "counter", c.counters);
  check_text(path, "algorithm", c.algorithm);
  h5::write_atomically(path, h5::temp_file::exclusive, [&](h5::writer& w) {
    write_frame(w, k_checkpoint_format, c,
                [&](hid_t root) { w.attr_number(root, "next_epoch", elem::u64, c.next_epoch); });
    {
      const h5::handle g = create_group(w, "vectors");
      for (const auto& [name, v] : c.vectors) w.dataset(g.get(), name, elem::f64, v.data(), {v.size()});
    }
    const h5::handle g = create_group(w, "counters");
    for (const auto& [name, v] : c.counters) w.attr_number(g.get(), name, elem::u64, v);
  });
}

checkpoint read_checkpoint(const std::string& path) {
  const reader r(path);
  checkpoint out;
  read_frame(r, k_checkpoint_format, out,
             [&](hid_t root) { out.next_epoch = r.attr_u64(root, "/", "next_epoch"); });
  {
    const h5::handle g = r.group("vectors");
    for (std::string& name : r.link_names(g.get())) {
      std::vector<double> v = r.column<double>(g.get(), "/vectors", name, elem::f64);
      out.vectors.emplace_back(std::move(name), std::move(v));
    }
  }
  const h5::handle g = r.group("counters");
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
