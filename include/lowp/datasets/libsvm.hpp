// LIBSVM / svmlight sparse text format -> csr_dataset.
//
//   <label> [qid:<n>] <index>:<value> <index>:<value> ... [# comment]
//
// Indices are 1-based in the file and stored 0-based; they must be strictly
// increasing within a line. d = max(largest index, options.min_dim), so a test
// split whose highest feature never occurs (a9a.t tops out at 122) still gets
// the training split's width (pass min_dim = 123).
//
// Accepted: blank lines, lines that are only a comment, '#' comments after
// the features, spaces or tabs between tokens, CRLF line ends, a last line
// without '\n', "+1" labels, values in any std::from_chars general form
// (1, 0.5, .5, 1e-3). Values too small for float read as 0.
//
// Rejected, with file:line:column and what was expected: index 0,
// non-increasing indices, a missing ':' or value, non-numeric tokens, NaN or
// Inf labels and values, values beyond float range, indices beyond 2^32-1 or
// beyond options.max_dim, and a file without a single example.
//
// qid: svmlight ranking files put "qid:<n>" after the label. A csr_dataset
// has nowhere to keep query ids, and silently dropping them changes what a
// ranking file means, so they are rejected by default; qid_policy::skip
// validates and ignores them.
//
// Streaming: read_libsvm reads the file through a 256 KiB buffer and parses
// each token with std::from_chars; output vectors grow with the data, so a
// lying or huge file never causes an allocation the data does not justify.
#ifndef LOWP_DATASETS_LIBSVM_HPP
#define LOWP_DATASETS_LIBSVM_HPP

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>

#include "lowp/datasets/dataset.hpp"
#include "lowp/datasets/detail/atomic_file.hpp"
#include "lowp/datasets/detail/text.hpp"
#include "lowp/datasets/error.hpp"

namespace lowp {
namespace datasets {

// What a label may be.
enum class label_kind {
  real,        // any finite number (regression targets); the default
  integer,     // integral values (class ids for multiclass)
  binary,      // {-1, +1} or {0, 1}, kept as written; a file may not mix 0 and -1
  binary_pm1,  // as binary, but 0 is mapped to -1, so the result is always {-1, +1}
};

enum class qid_policy { reject, skip };

struct libsvm_options {
  std::size_t min_dim = 0;  // d is at least this
  std::size_t max_dim = 0;  // when non-zero, an index above it is an error (and d <= max_dim)
  label_kind labels = label_kind::real;
  qid_policy qid = qid_policy::reject;
};

namespace detail {

inline csr_dataset parse_libsvm(line_reader& in, const libsvm_options& opt) {
  if (opt.max_dim != 0 && opt.min_dim > opt.max_dim)
    throw std::invalid_argument("libsvm_options: min_dim " + std::to_string(opt.min_dim) + " exceeds max_dim " +
                                std::to_string(opt.max_dim));
  csr_dataset out;
  std::uint64_t max_index = 0;  // largest 1-based index seen
  // For binary labels: which convention the file uses, and where it was set.
  bool seen_zero = false, seen_minus_one = false;
  std::size_t convention_line = 0;

  while (in.next()) {
    const std::string_view s = in.line();
    std::size_t i = skip_space(s, 0);
    if (i == s.size() || s[i] == '#') continue;  // blank or comment-only line

    // ---- label
    std::size_t e = token_end(s, i, '#');
    const std::string_view ltok = s.substr(i, e - i);
    float label = 0;
    switch (to_float(ltok, label)) {
      case num::ok: break;
      case num::invalid: in.fail(i, "numeric label", quote(ltok));
      case num::out_of_range: in.fail(i, "label within float range", quote(ltok));
      case num::not_finite: in.fail(i, "finite label", quote(ltok));
    }
    if (opt.labels == label_kind::integer && label != std::nearbyint(label))
      in.fail(i, "integer class label", quote(ltok));
    if (opt.labels == label_kind::binary || opt.labels == label_kind::binary_pm1) {
      if (label != 1.0f && label != -1.0f && label != 0.0f) in.fail(i, "binary label (-1, +1, 0 or 1)", quote(ltok));
      if ((label == 0.0f && seen_minus_one) || (label == -1.0f && seen_zero))
        in.fail(i,
                std::string("binary labels from one convention, {-1,+1} or {0,1} (line ") +
                    std::to_string(convention_line) + " used " + (seen_zero ? "0" : "-1") + ")",
                quote(ltok));
      if ((label == 0.0f && !seen_zero) || (label == -1.0f && !seen_minus_one)) convention_line = in.line_number();
      seen_zero = seen_zero || label == 0.0f;
      seen_minus_one = seen_minus_one || label == -1.0f;
      if (label == 0.0f) label = opt.labels == label_kind::binary_pm1 ? -1.0f : 0.0f;  // also folds -0
    }

    // ---- features
    std::uint32_t prev = 0;
    bool first = true;
    for (;;) {
      i = skip_space(s, e);
      if (i == s.size() || s[i] == '#') break;
      e = token_end(s, i, '#');
      const std::string_view tok = s.substr(i, e - i);

      if (tok.substr(0, 4) == "qid:") {
        if (opt.qid == qid_policy::reject)
          in.fail(i, "feature 'index:value' (qid is rejected; pass qid_policy::skip to ignore it)", quote(tok));
        if (!first) in.fail(i, "qid right after the label", quote(tok));
        std::uint64_t q = 0;
        if (to_uint(tok.substr(4), q) != num::ok) in.fail(i + 4, "query id (non-negative integer) after 'qid:'", describe(s, i + 4));
        first = false;
        continue;
      }
      first = false;

      std::uint32_t idx = 0;
      const auto r = std::from_chars(tok.data(), tok.data() + tok.size(), idx);
      if (r.ptr == tok.data() || tok[0] < '0' || tok[0] > '9') in.fail(i, "feature index (integer >= 1)", quote(tok));
      const std::size_t c = i + static_cast<std::size_t>(r.ptr - tok.data());  // just past the digits
      if (r.ec == std::errc::result_out_of_range) in.fail(i, "feature index below 2^32", quote(tok.substr(0, c - i)));
      if (c == e || s[c] != ':')  // show the one offending character: "found 'x'"
        in.fail(c, "':' after feature index", c == e ? describe(s, c) : quote(s.substr(c, 1)));
      if (idx == 0) in.fail(i, "feature index >= 1 (LIBSVM indices are 1-based)", quote(tok.substr(0, c - i)));
      if (idx <= prev)
        in.fail(i, "feature index greater than the previous index " + std::to_string(prev) +
                       " (indices must increase within a line)",
                quote(tok.substr(0, c - i)));
      if (opt.max_dim != 0 && idx > opt.max_dim)
        in.fail(i, "feature index <= max_dim " + std::to_string(opt.max_dim), quote(tok.substr(0, c - i)));

      const std::string_view vtok = s.substr(c + 1, e - c - 1);
      if (vtok.empty()) in.fail(c + 1, "feature value after ':'", describe(s, c + 1));
      float v = 0;
      switch (to_float(vtok, v)) {
        case num::ok: break;
        case num::invalid: in.fail(c + 1, "numeric feature value", quote(vtok));
        case num::out_of_range: in.fail(c + 1, "feature value within float range", quote(vtok));
        case num::not_finite: in.fail(c + 1, "finite feature value", quote(vtok));
      }
      out.indices.push_back(idx - 1);
      out.values.push_back(v);
      prev = idx;
    }
    if (prev > max_index) max_index = prev;
    out.y.push_back(label);
    out.indptr.push_back(out.indices.size());
  }
  if (out.y.empty()) in.fail_at_end("at least one example");
  out.d = max_index > opt.min_dim ? static_cast<std::size_t>(max_index) : opt.min_dim;
  return out;
}

}  // namespace detail

// Parse LIBSVM text held in memory; `name` is what error messages call it.
inline csr_dataset parse_libsvm(std::string_view text, std::string name = "<memory>",
                                const libsvm_options& options = {}) {
  detail::line_reader in(text, std::move(name));
  return detail::parse_libsvm(in, options);
}

// Stream a LIBSVM file from disk. Throws io_error if it cannot be read,
// parse_error if it is not valid.
inline csr_dataset read_libsvm(const std::filesystem::path& file, const libsvm_options& options = {}) {
  detail::line_reader in(file);
  return detail::parse_libsvm(in, options);
}

// LIBSVM text for `data`: 1-based indices, shortest round-trip numbers, so
// parse_libsvm(format_libsvm(x)) reproduces x exactly (d only if some row
// uses the last column; pass min_dim otherwise).
inline std::string format_libsvm(const csr_dataset& data) {
  std::string s;
  for (std::size_t i = 0; i < data.rows(); ++i) {
    detail::append_number(s, data.y[i]);
    const sparse_row r = data.row(i);
    for (std::size_t k = 0; k < r.size(); ++k) {
      s += ' ';
      detail::append_number(s, std::uint64_t(r.indices[k]) + 1);
      s += ':';
      detail::append_number(s, r.values[k]);
    }
    s += '\n';
  }
  return s;
}

// Writes format_libsvm(data) to "<file>.tmp.<pid>" and renames it over
// `file` once it is complete; on failure io_error naming `file`, and `file`
// is left as it was.
inline void write_libsvm(const std::filesystem::path& file, const csr_dataset& data) {
  detail::write_file_atomically(file, format_libsvm(data));
}

}  // namespace datasets
}  // namespace lowp

#endif
