// What a solver returns: how it ended and what it cost. Numerical outcomes
// (divergence, too few bits) are reported here, never thrown.
#ifndef LOWP_SOLVERS_REPORT_HPP
#define LOWP_SOLVERS_REPORT_HPP

#include <cstddef>
#include <cstdint>
#include <string>

namespace lowp {

enum class status : std::uint8_t {
  converged,            // the tolerance on the full-gradient norm (or gap) was met
  max_epochs,           // ran every outer iteration it was given
  stopped_by_callback,  // a callback returned true (early stop, time limit, ...)
  diverged,             // non-finite values or a blow-up of the gradient norm
};

inline const char* to_string(status s) noexcept {
  switch (s) {
    case status::converged: return "converged";
    case status::max_epochs: return "max_epochs";
    case status::stopped_by_callback: return "stopped_by_callback";
    case status::diverged: return "diverged";
  }
  return "unknown";
}

struct report {
  status why = status::max_epochs;
  double objective = 0.0;           // f(w) at return
  double full_gradient_norm = 0.0;  // ||grad f(w)|| at return (NaN if never computed)
  std::size_t epochs = 0;           // outer iterations completed
  std::uint64_t saturations = 0;    // clamped (or NaN) low-precision writes, whole run
  std::uint64_t work = 0;           // example-gradient evaluations (full passes count N)
  double seconds = 0.0;             // wall time inside optimize()
  std::string message;              // why it diverged or stopped, for people
};

}  // namespace lowp
#endif
