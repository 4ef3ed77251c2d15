"""Bad inputs raise ValueError (or OSError for missing files) with a message naming the problem;
nothing crashes the interpreter (a crash would kill this whole test)."""
import os
import tempfile
import unittest

import numpy as np

import lowp

X = np.random.default_rng(0).standard_normal((50, 4)).astype(np.float32)
Y = np.ones(50)


class Quantize(unittest.TestCase):
    def bad(self, fragment, fn, *a, **kw):
        with self.assertRaises(ValueError) as cm:
            fn(*a, **kw)
        self.assertIn(fragment, str(cm.exception))

    def test_quantize(self):
        x = np.linspace(-1, 1, 10, dtype=np.float32)
        self.bad("dtype float32 or float64", lowp.quantize, np.arange(10, dtype=np.int32), scale=1.0)
        self.bad("dtype float32 or float64", lowp.quantize, np.ones(3, dtype=np.complex128), scale=1.0)
        self.bad("dtype float32 or float64", lowp.quantize, np.array(["a", "b"]), scale=1.0)
        self.bad("dtype float32 or float64", lowp.quantize, np.array([1.0, None]), scale=1.0)
        self.bad("NumPy array", lowp.quantize, [1.0, 2.0], scale=1.0)
        self.bad("C-contiguous", lowp.quantize, x[::2], scale=1.0)
        self.bad("C-contiguous", lowp.quantize, np.ones((4, 4), dtype=np.float32).T, scale=1.0)
        self.bad("x[3] is not finite", lowp.quantize, np.array([0, 1, 2, np.nan]), scale=1.0)
        self.bad("not finite", lowp.quantize, np.array([np.inf], dtype=np.float32), scale=1.0)
        for bits in (0, 4, 7, 9, 17, 32, -8):
            self.bad("bits must be 8 or 16", lowp.quantize, x, bits=bits, scale=1.0)
        for scale in (0.0, -1.0, float("nan"), float("inf")):
            self.bad("scale must be finite and > 0", lowp.quantize, x, scale=scale)
        self.bad("normal float32", lowp.quantize, x, scale=1e-300)
        self.bad("rounding must be", lowp.quantize, x, scale=1.0, rounding="up")
        self.bad("isa must be", lowp.quantize, x, scale=1.0, isa="sse9")
        with self.assertRaises(TypeError):
            lowp.quantize(x)  # scale is required

    def test_dequantize_and_fixed(self):
        self.bad("int8 or int16", lowp.dequantize, np.ones(3), scale=1.0)
        self.bad("scale must be", lowp.dequantize, np.ones(3, dtype=np.int8), scale=0.0)
        self.bad("C-contiguous", lowp.dequantize, np.ones(6, dtype=np.int16)[::2], scale=1.0)
        self.bad("bits must be in 2..32", lowp.quantize_fixed, np.ones(3), bits=1, step=1.0)
        self.bad("bits must be in 2..32", lowp.quantize_fixed, np.ones(3), bits=33, step=1.0)
        self.bad("step must be", lowp.quantize_fixed, np.ones(3), bits=8, step=-1.0)
        self.bad("overflow must be", lowp.quantize_fixed, np.ones(3), bits=8, step=1.0, overflow="clip")
        self.bad("not finite", lowp.quantize_fixed, np.array([np.nan]), bits=8, step=1.0)
        self.bad("real numeric dtype", lowp.quantize_fixed, np.ones(3, dtype=complex), bits=8, step=1.0)


class Solvers(unittest.TestCase):
    def bad(self, fragment, fn, *a, **kw):
        with self.assertRaises(ValueError) as cm:
            fn(*a, **kw)
        self.assertIn(fragment, str(cm.exception))

    def test_linear_data(self):
        self.bad("2-D", lowp.halp, X[0], Y[:1])
        self.bad("y has 49 entries", lowp.halp, X, Y[:49])
        Xn = X.copy()
        Xn[3, 2] = np.nan
        self.bad("X[3, 2]", lowp.halp, Xn, Y)
        with np.errstate(over="ignore"):  # NumPy's own warning about the float32 cast
            self.bad("float32", lowp.halp, np.full((2, 2), 1e300), np.ones(2))
        self.bad("real numeric dtype", lowp.halp, X.astype(complex), Y)
        self.bad("real numeric dtype", lowp.halp, X, np.array(["a"] * 50))
        self.bad("at least one row", lowp.halp, np.zeros((0, 3)), np.zeros(0))
        self.bad("required", lowp.halp, None, Y)
        self.bad("label of example 0 is 2", lowp.halp, X, np.full(50, 2.0), loss="logistic")

    def test_linear_options(self):
        self.bad("loss must be", lowp.halp, X, Y, loss="hinge")
        self.bad("bits must be", lowp.halp, X, Y, bits=4)
        self.bad("bits must be", lowp.halp, X, Y, bits=32)
        self.bad("needs delta", lowp.svrg, X, Y, bits=8)
        self.bad("needs delta", lowp.sgd, X, Y, bits=16)
        self.bad("rounding='nearest' is offered by halp only", lowp.svrg, X, Y, rounding="nearest")
        self.bad("rounding must be", lowp.halp, X, Y, rounding="down")
        self.bad("epochs must be", lowp.halp, X, Y, epochs=0)
        self.bad("threads must be", lowp.halp, X, Y, threads=0)
        self.bad("step_size must be", lowp.halp, X, Y, step_size=-1.0)
        self.bad("mu must be", lowp.halp, X, Y, mu=float("nan"))
        self.bad("l2 must be", lowp.halp, X, Y, l2=-1.0)
        self.bad("w0 has 3 entries", lowp.halp, X, Y, w0=np.zeros(3))
        self.bad("w0[1] is not finite", lowp.halp, X, Y, w0=np.array([0, np.inf, 0, 0]))
        self.bad("callback must be callable", lowp.halp, X, Y, callback=3)
        self.bad("does not exist", lowp.halp, X, Y, out="/nonexistent-dir/x.h5")
        with tempfile.TemporaryDirectory() as d:
            self.bad("is a directory", lowp.halp, X, Y, out=d)
        self.bad("inner_threads applies to svrg and halp", lowp.sgd, X, Y, inner_threads=2)

    def test_buckwild(self):
        y = np.where(np.arange(50) % 2 == 0, 1.0, -1.0)
        self.bad("model_bits must be 8, 16 or 32", lowp.buckwild, X, y, model_bits=4)
        self.bad("dataset_bits must be", lowp.buckwild, X, y, dataset_bits=64)
        self.bad("dither='nearest' applies to a fixed-point model", lowp.buckwild, X, y, dither="nearest")
        self.bad("race must be one of", lowp.buckwild, X, y, race="locked")
        self.bad("loss must be one of", lowp.buckwild, X, y, loss="softmax")
        self.bad("step_decay must be", lowp.buckwild, X, y, step_decay=2.0)
        self.bad("labels", lowp.buckwild, X, np.full(50, 3.0))

    def test_mf(self):
        u = np.array([0, 1, 2])
        i = np.array([0, 1, 1])
        r = np.array([1.0, 2.0, 3.0])
        self.bad("same length", lowp.mf, u, i[:2], r)
        self.bad("users[1] = -1", lowp.mf, np.array([0, -1, 2]), i, r)
        self.bad("users[0] = 0.5", lowp.mf, np.array([0.5, 1, 2]), i, r)
        self.bad("ratings[2] is", lowp.mf, u, i, np.array([1.0, 2.0, np.nan]))
        self.bad("rank must be", lowp.mf, u, i, r, rank=0)
        self.bad("bits must be 8, 16 or 32", lowp.mf, u, i, r, bits=4)
        self.bad("rounding applies to bits 8 or 16", lowp.mf, u, i, r, rounding="nearest")
        self.bad("schedule must be", lowp.mf, u, i, r, schedule="random")
        self.bad("n_users = 2", lowp.mf, u, i, r, n_users=2)
        self.bad("ratings is empty", lowp.mf, u[:0], i[:0], r[:0])
        self.bad("test must be a tuple", lowp.mf, u, i, r, test=(u, i))
        self.bad("out must end in .h5", lowp.mf, u, i, r, out="x.txt")

    def test_gibbs(self):
        m = lowp.ising_ring(5, 0.2)
        self.bad("burn_in must be < sweeps", lowp.gibbs, m, sweeps=10, burn_in=10)
        self.bad("bits must be 0", lowp.gibbs, m, bits=17)
        self.bad("rounding='nearest' needs bits", lowp.gibbs, m, rounding="nearest")
        self.bad("mode must be", lowp.gibbs, m, mode="parallel")
        self.bad("tau_max applies", lowp.gibbs, m, tau_max=3, mode="sequential")
        self.bad("init has 2 entries", lowp.gibbs, m, init=[0, 1])
        self.bad("model must be", lowp.gibbs, 42)
        self.bad("edges[0]", lowp.IsingModel, np.zeros(3), np.array([[0, 3]]), 0.5)
        self.bad("edges[0]", lowp.IsingModel, np.zeros(3), np.array([[1, 1]]), 0.5)
        self.bad("shape (m, 2)", lowp.IsingModel, np.zeros(3), np.array([[0, 1, 2]]), 0.5)
        self.bad("one entry per edge", lowp.IsingModel, np.zeros(3), np.array([[0, 1]]), np.ones(2))
        g = lowp.FactorGraph([2, 3])
        self.bad("table has 5 entries, expected 6", g.add_factor, [0, 1], np.ones(5))
        self.bad("not finite and >= 0", g.add_factor, [0], np.array([1.0, -1.0]))
        self.bad("cardinality 17", lowp.FactorGraph, [17])

    def test_files(self):
        with self.assertRaises(OSError):
            lowp.read_run_log("/nonexistent/run.h5")
        with self.assertRaises(OSError):
            lowp.read_uai("/nonexistent/model.uai")
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "bad.h5")
            with open(p, "w") as f:
                f.write("not hdf5\n")
            with self.assertRaises(ValueError) as cm:
                lowp.read_run_log(p)
            self.assertIn(p, str(cm.exception))
            u = os.path.join(d, "bad.uai")
            with open(u, "w") as f:
                f.write("MARKOV\n2\n2 x\n")
            with self.assertRaises(ValueError) as cm:
                lowp.read_uai(u)
            self.assertIn("bad.uai", str(cm.exception))


if __name__ == "__main__":
    unittest.main(verbosity=2)
