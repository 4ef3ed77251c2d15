// lowp.quantize / dequantize (the runtime-dispatched kernels of
// kernels/dispatch.hpp), quantize_fixed (the lowp::fixed number types through
// lowp::quantize), the counter RNG's raw draws, and the ISA list.
#include "common.hpp"

#include <cmath>
#include <cstring>
#include <utility>

#include "lowp/kernels/dispatch.hpp"
#include "lowp/kernels/scalar.hpp"
#include "lowp/quantize/narrow.hpp"
#include "lowp/quantize/nearest.hpp"
#include "lowp/quantize/rng.hpp"
#include "lowp/quantize/stochastic.hpp"
#include "lowp/types/fixed.hpp"

namespace lowp_py {
namespace {

namespace k = lowp::kernels;

k::rounding_mode rounding_of(const std::string& r) {
  if (r == "nearest") return k::rounding_mode::nearest_even;
  if (r == "stochastic") return k::rounding_mode::stochastic;
  if (r == "shared") return k::rounding_mode::stochastic_shared;
  if (r == "ars") return k::rounding_mode::stochastic_ars;
  bad("rounding must be 'nearest', 'stochastic', 'shared' or 'ars', got '" + r + "'");
}

std::string available_isas() {
  std::string s;
  for (k::isa i : k::all_isas)
    if (k::available(i)) s += (s.empty() ? "" : ", ") + std::string(k::name(i));
  return s;
}

// "best" -> the dispatcher's choice; otherwise the named table, which must be
// available (table_for would silently fall back to scalar).
const k::table& table_named(const std::string& isa) {
  if (isa == "best") return k::best();
  for (k::isa i : k::all_isas)
    if (isa == k::name(i)) {
      if (!k::available(i)) bad("isa '" + isa + "' is not available on this CPU (available: " + available_isas() + ")");
      return k::table_for(i);
    }
  bad("isa must be 'best', 'scalar', 'avx2', 'avx512bw' or 'avx512vnni', got '" + isa + "'");
}

// x for quantize: float32 or float64 only, C-contiguous, finite. Returns the
// float32 values the kernels read (float64 is rounded to float32 first).
std::vector<float> kernel_input(const py::handle& obj) {
  if (!py::isinstance<py::array>(obj)) bad("x must be a NumPy array of float32 or float64 (use numpy.asarray)");
  const py::array a = py::reinterpret_borrow<py::array>(obj);
  const bool f32 = a.dtype().is(py::dtype::of<float>()), f64 = a.dtype().is(py::dtype::of<double>());
  if (!f32 && !f64) bad("x must have dtype float32 or float64, got " + std::string(py::str(a.dtype())));
  if (!(a.flags() & py::array::c_style))
    bad("x must be C-contiguous (got a strided view); pass numpy.ascontiguousarray(x)");
  const auto n = static_cast<std::size_t>(a.size());
  std::vector<float> v(n);
  if (f32) {
    std::memcpy(v.data(), a.data(), n * sizeof(float));
    require_finite(v.data(), n, "x");
  } else {
    const auto* d = static_cast<const double*>(a.data());
    require_finite(d, n, "x");
    for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<float>(d[i]);
  }
  return v;
}

float inverse_scale(double scale) {
  if (!(scale > 0) || !std::isfinite(scale)) bad("scale must be finite and > 0, got " + std::to_string(scale));
  const float inv = static_cast<float>(1.0 / scale);
  if (!(inv > 0) || !std::isfinite(inv) || !std::isnormal(inv))
    bad("1/scale = " + std::to_string(1.0 / scale) + " is not a normal float32; choose a scale in [1e-37, 1e37]");
  return inv;
}

std::vector<py::ssize_t> shape_of(const py::array& a) {
  return std::vector<py::ssize_t>(a.shape(), a.shape() + a.ndim());
}

template <class Q>
py::object quantize_as(const py::array& src, std::vector<float> x, float inv, k::rounding_mode mode,
                       lowp::kernels::dither_source ds, const k::table* t, bool reference, bool return_clipped) {
  py::array_t<Q> out(shape_of(src));
  Q* q = out.mutable_data();
  std::size_t clipped = 0;
  {
    py::gil_scoped_release nogil;
    if (reference)
      clipped = k::ref::quantize(x.data(), x.size(), inv, q, mode, ds);
    else if constexpr (std::is_same_v<Q, std::int8_t>)
      clipped = t->quantize_i8(x.data(), x.size(), inv, q, mode, ds);
    else
      clipped = t->quantize_i16(x.data(), x.size(), inv, q, mode, ds);
  }
  if (return_clipped) return py::make_tuple(out, clipped);
  return out;
}

py::object quantize_impl(py::handle x_obj, int bits, double scale, const std::string& rounding, std::uint64_t seed,
                         std::uint64_t stream, std::uint64_t counter, const std::string& isa, bool return_clipped,
                         bool reference) {
  if (bits != 8 && bits != 16)
    bad("bits must be 8 or 16 for the SIMD kernels, got " + std::to_string(bits) +
        " (lowp.quantize_fixed takes any width from 2 to 32)");
  const float inv = inverse_scale(scale);
  const k::rounding_mode mode = rounding_of(rounding);
  const k::table* t = reference ? nullptr : &table_named(isa);
  std::vector<float> x = kernel_input(x_obj);
  const py::array src = py::reinterpret_borrow<py::array>(x_obj);
  // The stream of the kernel call, as a solver would take it: draws from
  // `counter` on (aligned to an AES block for 'ars'), draws_for_call(n) of them.
  lowp::counter_rng rng(seed, stream);
  rng.seek(counter);
  const k::dither_source ds = k::take_dither(rng, mode, x.size());
  if (bits == 8) return quantize_as<std::int8_t>(src, std::move(x), inv, mode, ds, t, reference, return_clipped);
  return quantize_as<std::int16_t>(src, std::move(x), inv, mode, ds, t, reference, return_clipped);
}

py::array dequantize_impl(py::handle q_obj, double scale, const std::string& isa) {
  if (!py::isinstance<py::array>(q_obj)) bad("q must be a NumPy array of int8 or int16");
  const py::array a = py::reinterpret_borrow<py::array>(q_obj);
  const bool i8 = a.dtype().is(py::dtype::of<std::int8_t>()), i16 = a.dtype().is(py::dtype::of<std::int16_t>());
  if (!i8 && !i16) bad("q must have dtype int8 or int16, got " + std::string(py::str(a.dtype())));
  if (!(a.flags() & py::array::c_style)) bad("q must be C-contiguous; pass numpy.ascontiguousarray(q)");
  if (!(scale > 0) || !std::isfinite(scale)) bad("scale must be finite and > 0, got " + std::to_string(scale));
  const float s = static_cast<float>(scale);
  if (!std::isnormal(s)) bad("scale is not a normal float32: " + std::to_string(scale));
  const k::table& t = table_named(isa);
  py::array_t<float> out(shape_of(a));
  const auto n = static_cast<std::size_t>(a.size());
  float* y = out.mutable_data();
  const void* src = a.data();
  {
    py::gil_scoped_release nogil;
    if (i8)
      t.dequantize_i8(static_cast<const std::int8_t*>(src), n, s, y);
    else
      t.dequantize_i16(static_cast<const std::int16_t*>(src), n, s, y);
  }
  return out;
}

// ---- lowp::fixed<B, dynamic_scale, Overflow> through lowp::quantize --------

template <int B, class Overflow, class Rounding, class Out>
std::uint64_t quantize_fixed_loop(const double* x, std::size_t n, double step, Rounding& r, Out* out) {
  using F = lowp::fixed<B, lowp::dynamic_scale, Overflow>;
  lowp::saturation_counter c;
  const lowp::dynamic_scale::value s(step);
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<Out>(lowp::quantize<F>(x[i], s, r, &c).raw());
  return c.events;
}

template <int B, class Overflow>
py::object quantize_fixed_bits(const std::vector<double>& x, const std::vector<py::ssize_t>& shape, double step,
                               bool stochastic, std::uint64_t seed, std::uint64_t stream, std::uint64_t counter,
                               bool return_clipped) {
  using Out = typename lowp::fixed<B, lowp::dynamic_scale, Overflow>::storage;
  py::array_t<Out> out(shape);
  Out* o = out.mutable_data();
  std::uint64_t clipped = 0;
  {
    py::gil_scoped_release nogil;
    if (stochastic) {
      lowp::counter_rng rng(seed, stream);
      rng.seek(counter);
      lowp::round::stochastic<> r(rng);
      clipped = quantize_fixed_loop<B, Overflow>(x.data(), x.size(), step, r, o);
    } else {
      lowp::round::nearest_even r;
      clipped = quantize_fixed_loop<B, Overflow>(x.data(), x.size(), step, r, o);
    }
  }
  if (return_clipped) return py::make_tuple(out, clipped);
  return out;
}

template <class Overflow, int... Bs>
py::object quantize_fixed_dispatch(std::integer_sequence<int, Bs...>, int bits, const std::vector<double>& x,
                                   const std::vector<py::ssize_t>& shape, double step, bool stochastic,
                                   std::uint64_t seed, std::uint64_t stream, std::uint64_t counter, bool ret) {
  py::object r;
  ((bits == Bs + 2 ? (r = quantize_fixed_bits<Bs + 2, Overflow>(x, shape, step, stochastic, seed, stream, counter, ret),
                      0)
                   : 0),
   ...);
  return r;
}

py::object quantize_fixed_impl(py::handle x_obj, int bits, double step, const std::string& rounding,
                               const std::string& overflow, std::uint64_t seed, std::uint64_t stream,
                               std::uint64_t counter, bool return_clipped) {
  if (bits < 2 || bits > 32) bad("bits must be in 2..32, got " + std::to_string(bits));
  if (!(step > 0) || !std::isfinite(step)) bad("step must be finite and > 0, got " + std::to_string(step));
  if (rounding != "nearest" && rounding != "stochastic")
    bad("rounding must be 'nearest' or 'stochastic', got '" + rounding + "'");
  if (overflow != "saturate" && overflow != "wrap")
    bad("overflow must be 'saturate' or 'wrap', got '" + overflow + "'");
  if (!py::isinstance<py::array>(x_obj)) bad("x must be a NumPy array (use numpy.asarray)");
  const py::array a = py::reinterpret_borrow<py::array>(x_obj);
  if (!(a.flags() & py::array::c_style)) bad("x must be C-contiguous; pass numpy.ascontiguousarray(x)");
  const auto xd = converted<double>(a, "x", -1);
  std::vector<double> x(xd.data(), xd.data() + xd.size());
  require_finite(x.data(), x.size(), "x");
  const bool sr = rounding == "stochastic";
  const auto seq = std::make_integer_sequence<int, 31>{};  // 2..32
  if (overflow == "wrap")
    return quantize_fixed_dispatch<lowp::overflow::wrap>(seq, bits, x, shape_of(a), step, sr, seed, stream, counter,
                                                         return_clipped);
  return quantize_fixed_dispatch<lowp::overflow::saturate>(seq, bits, x, shape_of(a), step, sr, seed, stream, counter,
                                                           return_clipped);
}

}  // namespace

void register_quantize(py::module_& m) {
  m.def(
      "quantize",
      [](py::handle x, int bits, double scale, const std::string& rounding, std::uint64_t seed, std::uint64_t stream,
         std::uint64_t counter, const std::string& isa, bool return_clipped) {
        return quantize_impl(x, bits, scale, rounding, seed, stream, counter, isa, return_clipped, false);
      },
      py::arg("x"), py::kw_only(), py::arg("bits") = 8, py::arg("scale"), py::arg("rounding") = "nearest",
      py::arg("seed") = 0, py::arg("stream") = 0, py::arg("counter") = 0, py::arg("isa") = "best",
      py::arg("return_clipped") = false,
      R"doc(q = sat(round(x / scale)) as int8 (bits=8) or int16 (bits=16), by the library's SIMD kernels.

x: float32 or float64, C-contiguous, finite (float64 is rounded to float32 first: the kernels compute
float32(x) * float32(1/scale) in float32). rounding: 'nearest' (ties to even), 'stochastic' (unbiased,
a 16-bit dither per element from counter_rng(seed, stream) starting at draw `counter`), 'shared' (one
64-dither block reused) or 'ars' (AES-round generator). isa: 'best' or a named kernel table ('scalar' is
the reference every SIMD table matches bit for bit). Values beyond the range saturate;
return_clipped=True also returns how many did.)doc");
  m.def(
      "_reference_quantize",
      [](py::handle x, int bits, double scale, const std::string& rounding, std::uint64_t seed, std::uint64_t stream,
         std::uint64_t counter) {
        return quantize_impl(x, bits, scale, rounding, seed, stream, counter, "scalar", false, true);
      },
      py::arg("x"), py::kw_only(), py::arg("bits") = 8, py::arg("scale"), py::arg("rounding") = "nearest",
      py::arg("seed") = 0, py::arg("stream") = 0, py::arg("counter") = 0,
      "quantize() through kernels::ref::quantize (kernels/scalar.hpp, the oracle) instead of a dispatch table; "
      "for tests.");
  m.def("dequantize", &dequantize_impl, py::arg("q"), py::kw_only(), py::arg("scale"), py::arg("isa") = "best",
        "float32(q) * float32(scale) for an int8 or int16 array, by the SIMD kernels.");
  m.def("quantize_fixed", &quantize_fixed_impl, py::arg("x"), py::kw_only(), py::arg("bits"), py::arg("step"),
        py::arg("rounding") = "nearest", py::arg("overflow") = "saturate", py::arg("seed") = 0, py::arg("stream") = 0,
        py::arg("counter") = 0, py::arg("return_clipped") = false,
        R"doc(Raw values of lowp::fixed<bits, dynamic_scale, overflow> nearest to x / step (double arithmetic,
lowp::quantize), for any width 2..32; dtype int8/int16/int32 by width. rounding 'nearest' (ties to even)
or 'stochastic' (lowp::round::stochastic over counter_rng(seed, stream), one 16-bit dither per element).
overflow 'saturate' or 'wrap'.)doc");
  m.def(
      "rng_draws",
      [](std::uint64_t seed, std::uint64_t stream, std::size_t n, std::uint64_t counter) {
        py::array_t<std::uint32_t> out(static_cast<py::ssize_t>(n));
        lowp::counter_rng rng(seed, stream);
        rng.seek(counter);
        for (std::size_t i = 0; i < n; ++i) out.mutable_at(i) = rng.next_u32();
        return out;
      },
      py::arg("seed"), py::arg("stream"), py::arg("n"), py::arg("counter") = 0,
      "n raw 32-bit draws of counter_rng(seed, stream) from draw `counter` (quantize/rng.hpp); stochastic rounding "
      "of element i uses the low 16 bits of draw i//2 for even i and the high 16 bits for odd i.");
  m.def(
      "isas",
      [] {
        std::vector<std::string> v;
        for (k::isa i : k::all_isas)
          if (k::available(i)) v.emplace_back(k::name(i));
        return v;
      },
      "Kernel tables available on this CPU (scalar first).");
  m.def(
      "best_isa", [] { return std::string(k::name(k::best().id)); },
      "The kernel table 'best' uses (the widest available; $LOWP_ISA caps it).");
}

}  // namespace lowp_py
