"""lowp.quantize / dequantize / quantize_fixed against the C++ side.

Oracles, none of them a Python re-implementation of the kernels:
  - hand-computed known answers (ties to even, saturation);
  - kernels::ref::quantize (kernels/scalar.hpp, the oracle of the SIMD tables),
    reached through lowp._lowp._reference_quantize, and every kernel table;
  - the documented stochastic-rounding formula of quantize/stochastic.hpp
    evaluated on the dithers drawn by the C++ counter RNG (lowp.rng_draws);
  - statistics: stochastic rounding is unbiased, with tolerances from its variance.
"""
import unittest

import numpy as np

import lowp
from lowp import _lowp

ROUNDINGS = ("nearest", "stochastic", "shared", "ars")


class NearestKnownAnswers(unittest.TestCase):
    def test_ties_to_even_and_saturation_int8(self):
        x = np.array([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 0.49, 127.4, 127.5, 200.0, -128.4, -300.0, 0.0],
                     dtype=np.float32)
        want = np.array([0, 2, 2, 0, -2, -2, 0, 127, 127, 127, -128, -128, 0], dtype=np.int8)
        q, clipped = lowp.quantize(x, bits=8, scale=1.0, return_clipped=True)
        self.assertEqual(q.dtype, np.int8)
        np.testing.assert_array_equal(q, want)
        # Values beyond [-128, 127] are clamped before rounding and counted:
        # 127.4, 127.5, 200, -128.4 and -300.
        self.assertEqual(clipped, 5)

    def test_int16_scale_and_shape(self):
        x = np.array([[0.125, -0.375], [1000.0, -1000.0]], dtype=np.float64)
        q = lowp.quantize(x, bits=16, scale=0.25)  # x / 0.25 = [0.5, -1.5, 4000, -4000]
        self.assertEqual(q.dtype, np.int16)
        self.assertEqual(q.shape, (2, 2))
        np.testing.assert_array_equal(q, np.array([[0, -2], [4000, -4000]], dtype=np.int16))

    def test_dequantize_round_trip_within_half_a_step(self):
        rng = np.random.default_rng(1)
        x = rng.uniform(-1, 1, 4097).astype(np.float32)
        s = 1.0 / 127
        y = lowp.dequantize(lowp.quantize(x, bits=8, scale=s), scale=s)
        self.assertEqual(y.dtype, np.float32)
        self.assertLessEqual(float(np.max(np.abs(y - x))), 0.5 * s * (1 + 1e-5))


class SameBitsAsTheCppKernels(unittest.TestCase):
    def test_every_isa_matches_the_scalar_reference(self):
        rng = np.random.default_rng(7)
        for n in (1, 2, 63, 64, 65, 127, 1000, 4099):
            x = (rng.standard_normal(n) * 40).astype(np.float32)
            for bits in (8, 16):
                scale = 0.37 if bits == 8 else 0.0011
                for rounding in ROUNDINGS:
                    ref = _lowp._reference_quantize(x, bits=bits, scale=scale, rounding=rounding, seed=11,
                                                    stream=3, counter=5)
                    for isa in lowp.isas():
                        q = lowp.quantize(x, bits=bits, scale=scale, rounding=rounding, seed=11, stream=3,
                                          counter=5, isa=isa)
                        np.testing.assert_array_equal(
                            q, ref, err_msg=f"isa {isa}, n {n}, bits {bits}, rounding {rounding}")

    def test_stochastic_follows_the_documented_formula_on_the_cpp_dithers(self):
        # stochastic.hpp: x = i + f, t = round(f * 2^16), SR(x) = i + ((t + r) >> 16) with
        # r the 16-bit dither of element k: low half of draw k//2 for even k, high half for odd k.
        # On the 2^-16 grid and with scale 1 every float step is exact.
        rng = np.random.default_rng(3)
        n = 1001
        x = (rng.integers(-50 * 65536, 50 * 65536, n) / 65536.0).astype(np.float32)
        q = lowp.quantize(x, bits=8, scale=1.0, rounding="stochastic", seed=42, stream=9)
        draws = lowp.rng_draws(42, 9, (n + 1) // 2)
        r = np.where(np.arange(n) % 2 == 0, draws[np.arange(n) // 2] & 0xFFFF, draws[np.arange(n) // 2] >> 16)
        i = np.floor(x.astype(np.float64))
        t = np.rint((x - i) * 65536).astype(np.int64)
        want = (i.astype(np.int64) + ((t + r.astype(np.int64)) >> 16)).astype(np.int8)
        np.testing.assert_array_equal(q, want)

    def test_a_call_continues_a_stream_where_the_previous_one_stopped(self):
        rng = np.random.default_rng(5)
        x = rng.standard_normal(1000).astype(np.float32)
        whole = lowp.quantize(x, scale=0.01, rounding="stochastic", seed=4)
        head = lowp.quantize(x[:600], scale=0.01, rounding="stochastic", seed=4)
        # 600 elements used 300 draws (two 16-bit dithers per draw).
        tail = lowp.quantize(np.ascontiguousarray(x[600:]), scale=0.01, rounding="stochastic", seed=4,
                             counter=300)
        np.testing.assert_array_equal(whole, np.concatenate([head, tail]))

    def test_seeds(self):
        x = np.full(256, 0.5, dtype=np.float32)
        a = lowp.quantize(x, scale=1.0, rounding="stochastic", seed=1)
        b = lowp.quantize(x, scale=1.0, rounding="stochastic", seed=1)
        c = lowp.quantize(x, scale=1.0, rounding="stochastic", seed=2)
        np.testing.assert_array_equal(a, b)
        self.assertFalse(np.array_equal(a, c))


class StochasticRoundingIsUnbiased(unittest.TestCase):
    def check_unbiased(self, v, **kw):
        # v on the 2^-16 grid: E[SR(v)] = v exactly. Each element is floor(v) + Bernoulli(p),
        # p = frac(v), so the mean of n independent roundings has standard error
        # sqrt(p (1 - p) / n); 5 standard errors (+ nothing for bias) is the tolerance.
        n = 200_000
        x = np.full(n, v, dtype=np.float32)
        q = lowp.quantize(x, scale=1.0, seed=123, **kw).astype(np.float64)
        p = v - np.floor(v)
        se = np.sqrt(p * (1 - p) / n)
        self.assertTrue(np.all((q == np.floor(v)) | (q == np.floor(v) + 1)))
        self.assertLessEqual(abs(q.mean() - v), 5 * se, f"v {v}, mean {q.mean()}, se {se}")

    def test_independent_dithers(self):
        for v in (0.296875, -1.75, 3.0078125, 100.5):
            self.check_unbiased(v, rounding="stochastic")

    def test_aes_generator(self):
        self.check_unbiased(0.296875, rounding="ars")

    def test_nearest_is_biased_here(self):
        # The same test on round-to-nearest must fail: 0.296875 always goes to 0.
        q = lowp.quantize(np.full(1000, 0.296875, dtype=np.float32), scale=1.0, rounding="nearest")
        self.assertEqual(int(np.abs(q).sum()), 0)


class FixedNumberTypes(unittest.TestCase):
    def test_known_answers_saturate_and_wrap(self):
        x = np.array([0.5, 1.5, 7.4, 8.0, 9.0, -8.0, -9.0])
        np.testing.assert_array_equal(lowp.quantize_fixed(x, bits=4, step=1.0), [0, 2, 7, 7, 7, -8, -8])
        # wrap: two's complement modulo 16 (8 -> -8, 9 -> -7, -9 -> 7)
        np.testing.assert_array_equal(lowp.quantize_fixed(x, bits=4, step=1.0, overflow="wrap"),
                                      [0, 2, 7, -8, -7, -8, 7])
        q, clipped = lowp.quantize_fixed(x, bits=4, step=1.0, return_clipped=True)
        self.assertEqual(clipped, 3)  # 8, 9 and -9
        self.assertEqual(lowp.quantize_fixed(np.array([1e9]), bits=32, step=1.0).dtype, np.int32)
        self.assertEqual(lowp.quantize_fixed(np.array([1.0]), bits=12, step=1.0).dtype, np.int16)

    def test_agrees_with_the_kernels_where_both_are_exact(self):
        # Values on a coarse grid with a power-of-two step: float32 and double arithmetic agree.
        x = (np.arange(-600, 600) / 4.0).astype(np.float32)
        a = lowp.quantize(x, bits=8, scale=0.5)
        b = lowp.quantize_fixed(x.astype(np.float64), bits=8, step=0.5)
        np.testing.assert_array_equal(a, b)

    def test_stochastic_unbiased(self):
        n = 100_000
        v = 0.3  # real form: unbiased within 2^-17 of a step off the 2^-16 grid
        q = lowp.quantize_fixed(np.full(n, v), bits=6, step=1.0, rounding="stochastic", seed=8)
        se = np.sqrt(v * (1 - v) / n)
        self.assertLessEqual(abs(q.mean() - v), 5 * se + 2.0 ** -17)


if __name__ == "__main__":
    unittest.main(verbosity=2)
