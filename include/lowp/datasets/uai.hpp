// UAI factor graphs (the UAI inference competition format) -> uai_model, and
// UAI evidence files -> one variable->value map per evidence sample.
//
// Model file: whitespace-separated tokens (line breaks are not significant):
//   MARKOV | BAYES            network type, case-insensitive
//   <n>                       number of variables (>= 1)
//   <c_0> ... <c_n-1>         cardinalities (>= 1)
//   <m>                       number of factors
//   m x  <k> <v_1> ... <v_k>  scopes: k distinct variable indices (0-based)
//   m x  <t> <t values>       tables, t = product of the scope's cardinalities;
//                             the last variable of the scope varies fastest
// Lines whose first non-blank character is 'c' are comments (UAI 2016).
//
// BAYES is accepted and read exactly like MARKOV (the type is recorded; the
// tables are the CPTs, child last in the scope, and are not checked to be
// normalised). Table entries must be finite and >= 0.
//
// Rejected, with line:column: any other type keyword, cardinality 0, a
// variable index out of range or repeated within a scope, a table size that
// differs from the product of the scope's cardinalities (or overflows 64
// bits), non-numeric, negative, NaN or Inf entries, a truncated file, and
// tokens after the last table. Counts in the preamble are never trusted for
// allocation: every vector grows only as tokens actually arrive, so a file
// that claims 4e9 variables and then ends costs what the file holds.
//
// Evidence file, both historical forms are accepted:
//   single line (UAI 2014+):    <n> <var> <val> ... (n pairs)          -> 1 sample
//   with a sample count (UAI 2008-2012): <k> on a line of its own, then
//                               k samples, each <n> <var> <val> ...    -> k samples
// The form is told apart by the first line: a lone count followed by more
// tokens on later lines means the multi-sample form. (A single-line file
// written with its pairs on the next lines would be misread; the spec says a
// single line.) Each (var, val) is checked against the model: var < number of
// variables, val < its cardinality, each variable at most once per sample.
#ifndef LOWP_DATASETS_UAI_HPP
#define LOWP_DATASETS_UAI_HPP

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "lowp/datasets/detail/atomic_file.hpp"
#include "lowp/datasets/detail/text.hpp"
#include "lowp/datasets/error.hpp"

namespace lowp {
namespace datasets {

enum class uai_network { markov, bayes };

struct uai_factor {
  std::vector<std::uint32_t> scope;  // distinct variable indices
  std::vector<double> table;         // product of scope cardinalities entries, last scope variable fastest
};

struct uai_model {
  uai_network type = uai_network::markov;
  std::vector<std::uint32_t> cardinalities;  // one per variable
  std::vector<uai_factor> factors;
  std::size_t n_vars() const noexcept { return cardinalities.size(); }
};

// Observed variable -> observed value (0-based), for one evidence sample.
using uai_evidence = std::map<std::uint32_t, std::uint32_t>;

namespace detail {

// Whitespace-separated tokens across lines, each with its position.
class token_reader {
 public:
  struct token {
    std::string_view text;
    std::size_t line = 0, col0 = 0;  // 1-based line, 0-based byte column
    std::uint64_t offset = 0;
  };

  explicit token_reader(line_reader& in) : in_(in) {}

  // False at the end of the input.
  bool next(token& t) {
    for (;;) {
      if (have_line_) {
        pos_ = skip_space(line_, pos_);
        if (pos_ < line_.size()) {
          const std::size_t e = token_end(line_, pos_);
          t.text = line_.substr(pos_, e - pos_);
          t.line = in_.line_number();
          t.col0 = pos_;
          t.offset = in_.line_offset() + pos_;
          pos_ = e;
          return true;
        }
      }
      if (!in_.next()) {
        have_line_ = false;
        return false;
      }
      line_ = in_.line();
      pos_ = skip_space(line_, 0);
      have_line_ = !(pos_ < line_.size() && line_[pos_] == 'c');  // comment line
    }
  }

  // The next token, or a parse_error "expected <what>, found end of file".
  token expect(const std::string& what) {
    token t;
    if (!next(t)) in_.fail_at_end(what);
    return t;
  }

  [[noreturn]] void fail(const token& t, std::string expected, std::string found) const {
    throw parse_error(in_.name(), t.line, t.col0 + 1, std::move(expected), std::move(found), t.offset);
  }
  [[noreturn]] void fail(const token& t, std::string expected) const { fail(t, std::move(expected), quote(t.text)); }

  template <class UInt>
  UInt uint(const std::string& what) {
    const token t = expect(what);
    UInt v = 0;
    switch (to_uint(t.text, v)) {
      case num::ok: return v;
      case num::out_of_range: fail(t, what + " (too large)");
      default: fail(t, what);
    }
  }

  void expect_end(const std::string& what) {
    token t;
    if (next(t)) fail(t, what);
  }

 private:
  line_reader& in_;
  std::string_view line_;
  std::size_t pos_ = 0;
  bool have_line_ = false;
};

inline bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char c = a[i];
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (c != b[i]) return false;
  }
  return true;
}

inline uai_model parse_uai(line_reader& in) {
  token_reader tr(in);
  uai_model m;
  const auto type = tr.expect("network type MARKOV or BAYES");
  if (iequals(type.text, "MARKOV")) {
    m.type = uai_network::markov;
  } else if (iequals(type.text, "BAYES")) {
    m.type = uai_network::bayes;
  } else {
    tr.fail(type, "network type MARKOV or BAYES");
  }

  const auto n_tok = tr.expect("number of variables");
  std::uint32_t n = 0;
  if (to_uint(n_tok.text, n) != num::ok) tr.fail(n_tok, "number of variables (integer below 2^32)");
  if (n == 0) tr.fail(n_tok, "number of variables >= 1");
  for (std::uint32_t v = 0; v < n; ++v) {  // grows with the data, not with n
    const std::string what = "cardinality of variable " + std::to_string(v) + " (of " + std::to_string(n) + ")";
    const auto t = tr.expect(what);
    std::uint32_t c = 0;
    if (to_uint(t.text, c) != num::ok) tr.fail(t, what + ", an integer below 2^32");
    if (c == 0) tr.fail(t, "cardinality >= 1");
    m.cardinalities.push_back(c);
  }

  const std::uint64_t n_factors = tr.uint<std::uint64_t>("number of factors");
  std::vector<std::uint64_t> table_size;  // product of the scope's cardinalities, per factor
  std::vector<std::uint64_t> seen_in(n, ~std::uint64_t(0));  // justified: n cardinalities were read
  for (std::uint64_t f = 0; f < n_factors; ++f) {
    const std::string fs = std::to_string(f);
    const auto k_tok = tr.expect("scope size of factor " + fs + " (of " + std::to_string(n_factors) + ")");
    std::uint32_t k = 0;
    if (to_uint(k_tok.text, k) != num::ok) tr.fail(k_tok, "scope size of factor " + fs + " (integer)");
    if (k > n) tr.fail(k_tok, "scope size <= number of variables " + std::to_string(n));
    uai_factor fac;
    std::uint64_t size = 1;
    for (std::uint32_t j = 0; j < k; ++j) {
      const auto t = tr.expect("variable " + std::to_string(j) + " of the scope of factor " + fs);
      std::uint32_t v = 0;
      const num st = to_uint(t.text, v);
      if (st == num::invalid) tr.fail(t, "variable index (integer)");
      if (st == num::out_of_range || v >= n)
        tr.fail(t, "variable index < " + std::to_string(n) + " (the number of variables)");
      if (seen_in[v] == f) tr.fail(t, "distinct variables in the scope of factor " + fs);
      seen_in[v] = f;
      const std::uint64_t c = m.cardinalities[v];
      if (size > ~std::uint64_t(0) / c)
        tr.fail(t, "a scope whose table size (product of cardinalities) fits in 64 bits");
      size *= c;
      fac.scope.push_back(v);
    }
    table_size.push_back(size);
    m.factors.push_back(std::move(fac));
  }

  for (std::size_t f = 0; f < m.factors.size(); ++f) {
    const std::string fs = std::to_string(f);
    const auto t = tr.expect("table size of factor " + fs);
    std::uint64_t size = 0;
    const num st = to_uint(t.text, size);
    if (st == num::invalid) tr.fail(t, "table size of factor " + fs + " (integer)");
    if (st == num::out_of_range || size != table_size[f])
      tr.fail(t, "table size " + std::to_string(table_size[f]) + " for factor " + fs +
                     " (the product of its scope's cardinalities)");
    std::vector<double>& table = m.factors[f].table;
    for (std::uint64_t j = 0; j < size; ++j) {
      const auto e = tr.expect("table entry " + std::to_string(j) + " of " + std::to_string(size) + " of factor " + fs);
      double v = 0;
      switch (to_float(e.text, v)) {
        case num::ok: break;
        case num::invalid: tr.fail(e, "numeric table entry");
        case num::out_of_range: tr.fail(e, "table entry within double range");
        case num::not_finite: tr.fail(e, "finite table entry");
      }
      if (v < 0) tr.fail(e, "non-negative table entry");
      table.push_back(v == 0 ? 0.0 : v);  // folds -0
    }
  }
  tr.expect_end("end of file after the last function table");
  return m;
}

inline std::vector<uai_evidence> parse_uai_evidence(line_reader& in, const uai_model& model) {
  token_reader tr(in);
  const std::size_t n_vars = model.n_vars();
  std::vector<uai_evidence> samples;

  // One sample: its count token, and (single-line form) its first variable
  // token when that was already read to tell the forms apart.
  auto read_sample = [&](const token_reader::token& count_tok, const token_reader::token* first_var) {
    std::uint32_t n = 0;
    const num st = to_uint(count_tok.text, n);
    if (st == num::invalid) tr.fail(count_tok, "number of observed variables (integer)");
    if (st == num::out_of_range || n > n_vars)
      tr.fail(count_tok, "number of observed variables <= " + std::to_string(n_vars) + " (the model's variables)");
    if (n == 0 && first_var != nullptr) tr.fail(*first_var, "end of file after an empty evidence sample");
    uai_evidence ev;
    for (std::uint32_t j = 0; j < n; ++j) {
      const auto vt = j == 0 && first_var != nullptr
                          ? *first_var
                          : tr.expect("observed variable " + std::to_string(j) + " of " + std::to_string(n));
      std::uint32_t v = 0;
      const num sv = to_uint(vt.text, v);
      if (sv == num::invalid) tr.fail(vt, "variable index (integer)");
      if (sv == num::out_of_range || v >= n_vars)
        tr.fail(vt, "variable index < " + std::to_string(n_vars) + " (the model's number of variables)");
      if (ev.count(v) != 0) tr.fail(vt, "each variable observed at most once per sample");
      const auto xt = tr.expect("observed value of variable " + std::to_string(v));
      std::uint32_t x = 0;
      const num sx = to_uint(xt.text, x);
      if (sx == num::invalid) tr.fail(xt, "observed value (integer)");
      if (sx == num::out_of_range || x >= model.cardinalities[v])
        tr.fail(xt, "value of variable " + std::to_string(v) + " < " + std::to_string(model.cardinalities[v]) +
                        " (its cardinality)");
      ev.emplace(v, x);
    }
    samples.push_back(std::move(ev));
  };

  const auto first = tr.expect("number of observed variables (or of evidence samples)");
  token_reader::token second;
  if (!tr.next(second)) {  // a lone "0": one empty sample; any other lone count is truncated
    read_sample(first, nullptr);
    return samples;
  }
  if (second.line == first.line) {  // single-line form
    read_sample(first, &second);
    tr.expect_end("end of file after the evidence line (single-line form)");
    return samples;
  }
  // Multi-sample form: `first` counts the samples, `second` starts sample 0.
  std::uint64_t k = 0;
  const num sk = to_uint(first.text, k);
  if (sk != num::ok) tr.fail(first, "number of evidence samples (integer)");
  if (k == 0) tr.fail(second, "end of file after a sample count of 0");
  read_sample(second, nullptr);
  for (std::uint64_t i = 1; i < k; ++i)
    read_sample(tr.expect("evidence sample " + std::to_string(i) + " of " + std::to_string(k)), nullptr);
  tr.expect_end("end of file after " + std::to_string(k) + " evidence samples");
  return samples;
}

}  // namespace detail

inline uai_model parse_uai(std::string_view text, std::string name = "<memory>") {
  detail::line_reader in(text, std::move(name));
  return detail::parse_uai(in);
}

inline uai_model read_uai(const std::filesystem::path& file) {
  detail::line_reader in(file);
  return detail::parse_uai(in);
}

inline std::vector<uai_evidence> parse_uai_evidence(std::string_view text, const uai_model& model,
                                                    std::string name = "<memory>") {
  detail::line_reader in(text, std::move(name));
  return detail::parse_uai_evidence(in, model);
}

inline std::vector<uai_evidence> read_uai_evidence(const std::filesystem::path& file, const uai_model& model) {
  detail::line_reader in(file);
  return detail::parse_uai_evidence(in, model);
}

// UAI text for `m` (shortest round-trip table entries), readable by parse_uai.
inline std::string format_uai(const uai_model& m) {
  std::string s = m.type == uai_network::bayes ? "BAYES\n" : "MARKOV\n";
  detail::append_number(s, std::uint64_t(m.n_vars()));
  s += '\n';
  for (std::size_t v = 0; v < m.n_vars(); ++v) {
    if (v) s += ' ';
    detail::append_number(s, m.cardinalities[v]);
  }
  s += '\n';
  detail::append_number(s, std::uint64_t(m.factors.size()));
  s += '\n';
  for (const uai_factor& f : m.factors) {
    detail::append_number(s, std::uint64_t(f.scope.size()));
    for (std::uint32_t v : f.scope) {
      s += ' ';
      detail::append_number(s, v);
    }
    s += '\n';
  }
  for (const uai_factor& f : m.factors) {
    s += '\n';
    detail::append_number(s, std::uint64_t(f.table.size()));
    s += '\n';
    for (double v : f.table) {
      s += ' ';
      detail::append_number(s, v);
    }
    s += '\n';
  }
  return s;
}

// format_uai(m) written atomically: a temporary renamed over `file` when
// complete; io_error naming `file` on failure.
inline void write_uai(const std::filesystem::path& file, const uai_model& m) {
  detail::write_file_atomically(file, format_uai(m));
}

}  // namespace datasets
}  // namespace lowp

#endif
