"""Gibbs marginals on tiny models against exact enumeration done here in NumPy.

Tolerance: each model is sampled with R fixed seeds; the spread of the R estimates gives the Monte
Carlo standard error of their mean (autocorrelation included, since each run is a whole chain),
pooled over the variables: se = sqrt(mean_v var_v / R). The mean must lie within 5 se (+1e-3 for the
estimate of se itself) of the exact marginal. Single-threaded runs are bit-identical for a seed, so
the test is deterministic.
"""
import itertools
import os
import unittest

import numpy as np

import lowp


def ising_exact(h, edges, beta):
    n = len(h)
    p1 = np.zeros(n)
    z = 0.0
    for bits in itertools.product((0, 1), repeat=n):
        s = 2 * np.array(bits) - 1
        e = float(h @ s) + sum(b * s[i] * s[j] for (i, j), b in zip(edges, beta))
        w = np.exp(e)
        z += w
        p1 += w * np.array(bits)
    return p1 / z


def factor_graph_exact(cards, factors, evidence):
    marg = [np.zeros(c) for c in cards]
    for x in itertools.product(*[range(c) for c in cards]):
        if any(x[v] != val for v, val in evidence.items()):
            continue
        w = 1.0
        for scope, table in factors:
            idx = 0
            for v in scope:  # UAI order: the last scope variable varies fastest
                idx = idx * cards[v] + x[v]
            w *= table[idx]
        for v, val in enumerate(x):
            marg[v][val] += w
    return [m / m.sum() for m in marg]


class GibbsMatchesEnumeration(unittest.TestCase):
    def check(self, model, exact, R=6, **kw):
        est = np.array([lowp.gibbs(model, seed=s, **kw)[0] for s in range(1, R + 1)])  # R x n x card
        mean = est.mean(0)
        se = np.sqrt(np.mean(est.var(0, ddof=1)) / R)
        err = np.abs(mean - exact)
        self.assertLessEqual(err.max(), 5 * se + 1e-3, f"max error {err.max():.4g}, se {se:.3g}")
        return err.max(), se

    def test_ising_ring(self):
        n, beta, h = 8, 0.4, 0.1
        edges = [(i, (i + 1) % n) for i in range(n)]
        p1 = ising_exact(np.full(n, h), edges, [beta] * n)
        exact = np.stack([1 - p1, p1], 1)
        m = lowp.ising_ring(n, beta, h)
        self.check(m, exact, sweeps=200000, burn_in=500)
        # The library's own enumeration (the C++ tests' oracle) agrees with this one.
        np.testing.assert_allclose(lowp.exact_marginals(m).reshape(n, 2), exact, rtol=0, atol=1e-12)

    def test_heterogeneous_ising_with_8_bit_coin(self):
        rng = np.random.default_rng(4)
        n = 9
        edges = [(r * 3 + c, r * 3 + (c + 1) % 3) for r in range(3) for c in range(3)] + \
                [(r * 3 + c, ((r + 1) % 3) * 3 + c) for r in range(3) for c in range(3)]
        beta = rng.uniform(-0.3, 0.3, len(edges))
        h = rng.uniform(-0.5, 0.5, n)
        p1 = ising_exact(h, edges, beta)
        m = lowp.IsingModel(h, np.array(edges), beta)
        # b-bit coin with a stochastically rounded threshold is unbiased (coin.hpp).
        self.check(m, np.stack([1 - p1, p1], 1), sweeps=200000, burn_in=500, bits=8)
        self.check(m, np.stack([1 - p1, p1], 1), sweeps=200000, burn_in=500, scan="systematic")

    def test_factor_graph_with_evidence(self):
        rng = np.random.default_rng(9)
        cards = [2, 3, 2, 3]
        factors = [([0, 1], rng.uniform(0.2, 2, 6)), ([1, 2, 3], rng.uniform(0.2, 2, 18)),
                   ([3], rng.uniform(0.2, 2, 3)), ([0, 3], rng.uniform(0.2, 2, 6))]
        g = lowp.FactorGraph(cards)
        for scope, table in factors:
            g.add_factor(scope, table)
        g.set_evidence(2, 1)
        exact = factor_graph_exact(cards, factors, {2: 1})
        ex = np.zeros((4, 3))
        for v, e in enumerate(exact):
            ex[v, :len(e)] = e
        self.check(g, ex, sweeps=200000, burn_in=500)
        np.testing.assert_allclose(lowp.exact_marginals(g), np.concatenate(exact), atol=1e-12)

    def test_uai_file_and_evidence(self):
        # tests/data/good/tiny.uai (the UAI format description's example), tables copied here.
        here = os.path.dirname(os.path.abspath(__file__))
        path = os.path.join(here, "..", "data", "good", "tiny.uai")
        cards = [2, 2, 3]
        factors = [([0], [0.436, 0.564]), ([0, 1], [0.128, 0.872, 0.920, 0.080]),
                   ([1, 2], [0.210, 0.333, 0.457, 0.811, 0.000, 0.189])]
        exact = factor_graph_exact(cards, factors, {})
        ex = np.zeros((3, 3))
        for v, e in enumerate(exact):
            ex[v, :len(e)] = e
        # x0 and x1 are strongly coupled (0.128 / 0.92): slow mixing, hence many sweeps.
        self.check(path, ex, sweeps=100000, burn_in=500)
        # tiny.uai.evid clamps x1 = 0 and x2 = 1: only x0 is free.
        g = lowp.read_uai(path, evidence=path + ".evid")
        ev = factor_graph_exact(cards, factors, {1: 0, 2: 1})
        marg, _ = lowp.gibbs(g, sweeps=20000, seed=1)
        np.testing.assert_allclose(marg[1:, :], [[1, 0, 0], [0, 1, 0]])
        # x0 alone: independent draws from its conditional, se = sqrt(p (1 - p) / 19900) = 0.0021.
        self.assertLess(abs(marg[0, 1] - ev[0][1]), 5 * 0.0021)

    def test_hogwild_threads_stay_close(self):
        # Two threads with stale reads: biased, but by little when the total influence is small
        # (De Sa et al. 2016). beta 0.2 on a ring: alpha = 2 tanh(0.2) = 0.39. Not bit-reproducible,
        # so only a loose bound (measured errors ~5e-3).
        n = 8
        m = lowp.ising_ring(n, 0.2, 0.1)
        exact = lowp.exact_marginals(m).reshape(n, 2)
        marg, log = lowp.gibbs(m, threads=2, sweeps=40000, burn_in=1000, seed=1)
        self.assertEqual(log["params"]["threads"], 2)
        self.assertLess(np.abs(marg - exact).max(), 0.03)

    def test_log(self):
        m = lowp.ising_torus(4, 4, 0.2, 0.0)
        marg, log = lowp.gibbs(m, sweeps=1000, burn_in=100, snapshots=9, seed=2)
        self.assertEqual(marg.shape, (16, 2))
        np.testing.assert_allclose(marg.sum(1), 1.0)
        self.assertAlmostEqual(log["alpha"], m.total_influence())
        self.assertEqual(log["updates"], 1000 * 16)
        t = log["trace"]
        self.assertEqual(len(t["epoch"]), 9)
        np.testing.assert_array_equal(t["epoch"], 100 + 100 * np.arange(1, 10))
        self.assertEqual(t["gap"][-1], 0.0)  # the last snapshot is the final estimate
        np.testing.assert_array_equal(log["model"], marg.ravel())
        self.assertEqual(len(log["snapshots"]), 9)
        a, _ = lowp.gibbs(m, sweeps=300, burn_in=10, seed=5)
        b, _ = lowp.gibbs(m, sweeps=300, burn_in=10, seed=5)
        np.testing.assert_array_equal(a, b)


if __name__ == "__main__":
    unittest.main(verbosity=2)
