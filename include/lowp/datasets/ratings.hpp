// Rating triples: MovieLens u.data and user,item,rating CSV -> ratings.
//
// MovieLens (ml-100k u.data and its u1..u5 splits): exactly four fields
// separated by single tabs, "user item rating timestamp". The timestamp must
// be a non-negative integer and is discarded.
//
// CSV: "user,item,rating" with an optional fourth integer field (timestamp,
// as in the later MovieLens ratings.csv), spaces allowed around fields. A
// header line is detected when the first non-blank line starts with a letter
// or a quote (csv_header::detect), or forced on/off.
//
// Ids are 1-based in MovieLens, so by default an id of 0 is an error and ids
// are stored minus one; set one_based = false for files whose ids start at 0.
// n_users / n_items are one past the largest stored id. Ratings must be finite
// (NaN and Inf are rejected; the value range is not checked). Blank lines
// and CRLF are accepted; duplicate (user, item) pairs are kept as they are.
// A file without any rating is an error.
#ifndef LOWP_DATASETS_RATINGS_HPP
#define LOWP_DATASETS_RATINGS_HPP

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "lowp/datasets/dataset.hpp"
#include "lowp/datasets/detail/atomic_file.hpp"
#include "lowp/datasets/detail/text.hpp"
#include "lowp/datasets/error.hpp"

namespace lowp {
namespace datasets {

struct movielens_options {
  bool one_based = true;
};

enum class csv_header { detect, present, absent };

struct ratings_csv_options {
  char separator = ',';
  csv_header header = csv_header::detect;
  bool one_based = true;
};

namespace detail {

struct ratings_format {
  char sep;
  bool csv;  // trims spaces around fields; timestamp optional (MovieLens: required)
  bool one_based;
  csv_header header;
};

inline ratings parse_ratings(line_reader& in, const ratings_format& f) {
  ratings out;
  bool first_content = true;

  while (in.next()) {
    std::string_view s = in.line();
    if (!s.empty() && s.back() == '\r') s.remove_suffix(1);
    if (skip_space(s, 0) == s.size()) continue;  // blank line
    if (first_content) {
      first_content = false;
      if (f.header == csv_header::present) continue;
      if (f.header == csv_header::detect && f.csv) {
        const char c = s[skip_space(s, 0)];
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '"') continue;
      }
    }

    std::size_t pos = 0;  // start of the current field
    // Returns the field [b, e) and moves pos past the separator (or to the end).
    auto field = [&](const char* what, bool required, std::size_t& b, std::size_t& e) -> bool {
      if (pos > s.size()) {
        if (!required) return false;
        in.fail(s.size(), what, "end of line");
      }
      std::size_t end = s.find(f.sep, pos);
      if (end == std::string_view::npos) end = s.size();
      b = pos;
      e = end;
      if (f.csv) {
        b = skip_space(s, b);
        while (e > b && is_space(s[e - 1])) --e;
      }
      pos = end + 1;  // past the separator; > size() once the line is used up
      if (b == e) in.fail(b, what, b < s.size() && s[b] == f.sep ? std::string("empty field") : describe(s, b));
      return true;
    };
    auto id = [&](const char* what, const char* zero_msg) -> std::uint32_t {
      std::size_t b = 0, e = 0;
      field(what, true, b, e);
      std::uint32_t v = 0;
      switch (to_uint(s.substr(b, e - b), v)) {
        case num::ok: break;
        case num::out_of_range: in.fail(b, std::string(what) + " below 2^32", quote(s.substr(b, e - b)));
        default: in.fail(b, what, quote(s.substr(b, e - b)));
      }
      if (f.one_based) {
        if (v == 0) in.fail(b, zero_msg, "'0'");
        --v;
      }
      return v;
    };

    const std::uint32_t u = id(f.one_based ? "user id (integer >= 1)" : "user id (integer >= 0)",
                               "user id >= 1 (ids are 1-based)");
    const std::uint32_t it = id(f.one_based ? "item id (integer >= 1)" : "item id (integer >= 0)",
                                "item id >= 1 (ids are 1-based)");
    std::size_t b = 0, e = 0;
    field("rating", true, b, e);
    float r = 0;
    switch (to_float(s.substr(b, e - b), r)) {
      case num::ok: break;
      case num::invalid: in.fail(b, "numeric rating", quote(s.substr(b, e - b)));
      case num::out_of_range: in.fail(b, "rating within float range", quote(s.substr(b, e - b)));
      case num::not_finite: in.fail(b, "finite rating", quote(s.substr(b, e - b)));
    }
    if (field("timestamp (integer)", !f.csv, b, e)) {
      std::uint64_t t = 0;
      if (to_uint(s.substr(b, e - b), t) != num::ok) in.fail(b, "timestamp (integer)", quote(s.substr(b, e - b)));
    }
    if (pos <= s.size()) {
      const std::size_t at = f.csv ? skip_space(s, pos) : pos;
      std::string found = "another ";
      if (f.sep == '\t') {
        found += "tab";
      } else {  // built piecewise: g++ 12 raises a false -Wrestrict on "'" + std::string(1, c)
        found += '\'';
        found += f.sep;
        found += '\'';
      }
      if (at < s.size()) found += " and " + describe(s, at);
      in.fail(pos - 1, std::string("end of line after the timestamp (") + (f.csv ? "at most 4" : "4") + " fields)",
              found);
    }

    out.user.push_back(u);
    out.item.push_back(it);
    out.rating.push_back(r);
    if (std::size_t(u) + 1 > out.n_users) out.n_users = std::size_t(u) + 1;
    if (std::size_t(it) + 1 > out.n_items) out.n_items = std::size_t(it) + 1;
  }
  if (out.rating.empty()) in.fail_at_end("at least one rating");
  return out;
}

}  // namespace detail

inline ratings parse_movielens(std::string_view text, std::string name = "<memory>",
                               const movielens_options& options = {}) {
  detail::line_reader in(text, std::move(name));
  return detail::parse_ratings(in, {'\t', false, options.one_based, csv_header::absent});
}

inline ratings read_movielens(const std::filesystem::path& file, const movielens_options& options = {}) {
  detail::line_reader in(file);
  return detail::parse_ratings(in, {'\t', false, options.one_based, csv_header::absent});
}

inline ratings parse_ratings_csv(std::string_view text, std::string name = "<memory>",
                                 const ratings_csv_options& options = {}) {
  detail::line_reader in(text, std::move(name));
  return detail::parse_ratings(in, {options.separator, true, options.one_based, options.header});
}

inline ratings read_ratings_csv(const std::filesystem::path& file, const ratings_csv_options& options = {}) {
  detail::line_reader in(file);
  return detail::parse_ratings(in, {options.separator, true, options.one_based, options.header});
}

// "user,item,rating\n" lines (ids written back in the file's base), shortest
// round-trip ratings; parse_ratings_csv reads it back exactly.
inline std::string format_ratings_csv(const ratings& r, bool one_based = true) {
  std::string s;
  for (std::size_t k = 0; k < r.size(); ++k) {
    detail::append_number(s, std::uint64_t(r.user[k]) + (one_based ? 1 : 0));
    s += ',';
    detail::append_number(s, std::uint64_t(r.item[k]) + (one_based ? 1 : 0));
    s += ',';
    detail::append_number(s, r.rating[k]);
    s += '\n';
  }
  return s;
}

// format_ratings_csv(r, one_based) written atomically: a temporary renamed
// over `file` when complete; io_error naming `file` on failure.
inline void write_ratings_csv(const std::filesystem::path& file, const ratings& r, bool one_based = true) {
  detail::write_file_atomically(file, format_ratings_csv(r, one_based));
}

}  // namespace datasets
}  // namespace lowp

#endif
