# %% [markdown]
# # HALP vs SVRG vs LP-SVRG on least squares, from Python
#
# The HALP paper's convex figure (De Sa et al., arXiv 1803.03383): 8-bit HALP converges linearly to the
# *exact* optimum, at about SVRG's rate, while LP-SVRG on a fixed 8-bit grid stalls at a quantization
# floor. This script redoes the `ls20` panel of `experiments/halp_convergence` (spec halp.md section 4:
# N = 1000, d = 20, x ~ N(0, I), y = x.w + 0.5 eps, data seed 1, alpha = 0.2 / L_max, T = 2N, solver
# seed 5) through the Python module, and writes
#
#   <out>/ls20.csv                 every epoch of every run (the experiment's CSV columns)
#   <out>/ls20_<algorithm>.h5      one HDF5 run log per run
#   <out>/ls20.png                 gap f - f* against work, drawn by `lowp plot` (gnuplot)
#
# Run it as a script (`python3 halp_convergence.py --out DIR --lowp build/tools/lowp`) or cell by cell
# (`# %%` cells, as in VS Code / Jupytext). With PYTHONPATH=<build>/python.

# %%
import argparse
import csv
import os
import shutil
import subprocess
import sys

import numpy as np

import lowp

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--out", default="halp_convergence_py", help="output directory (created)")
parser.add_argument("--lowp", default=os.environ.get("LOWP_EXE") or shutil.which("lowp"),
                    help="the lowp CLI, whose `lowp plot` draws the PNG (default: $LOWP_EXE, else PATH)")
parser.add_argument("--epochs", type=int, default=40)
parser.add_argument("--seed", type=int, default=5)
parser.add_argument("--check", action="store_true",
                    help="fail unless HALP-8 reaches 1e-10 relative gap, LP-SVRG-8 stays above 1e-4 and the "
                         "PNG was written")
args, _ = parser.parse_known_args()  # parse_known_args: tolerate a notebook kernel's own arguments
os.makedirs(args.out, exist_ok=True)
if args.check:  # a check must not pass on a previous run's files
    for f in os.listdir(args.out):
        if f.startswith("ls20"):
            os.remove(os.path.join(args.out, f))

# %% [markdown]
# ## The problem
# The library's generator gives the same float32 data as the C++ experiment; w* solves the normal
# equations on exactly those floats, and f* = f(w*) is evaluated by the solvers' own objective.

# %%
p = lowp.linear_regression_problem(n=1000, d=20, noise_sigma=0.5, seed=1)
X, y, w_opt = p["X"], p["y"], p["w_opt"]
f_star, grad = lowp.objective(X, y, w_opt)
Xd = X.astype(np.float64)
lam_min = np.linalg.eigvalsh(Xd.T @ Xd / len(y))[0]
delta8 = 1.25 * np.abs(w_opt).max() / 127  # LP-SVRG's fixed grid (spec section 4)
print(f"f* = {f_star:.17g}  |grad f(w*)| = {np.linalg.norm(grad):.2g}")
print(f"HALP mu = lambda_min(X^T X / N) = {lam_min:.6f} (the solver computes the same bound when mu=0)")
print(f"LP-SVRG-8 grid delta = {delta8:.4g}")

# %% [markdown]
# ## Three runs
# Same step (0.2 / L_max, the default), T = 2N inner steps, stochastic rounding, same seed. The
# divergence guard is off so every line runs its full length, as in the experiment.

# %%
common = dict(epochs=args.epochs, seed=args.seed, f_star=f_star, divergence_factor=0)
runs = {
    "SVRG": lambda out: lowp.svrg(X, y, out=out, label="SVRG", **common),
    "LP-SVRG-8": lambda out: lowp.svrg(X, y, bits=8, delta=delta8, out=out, label="LP-SVRG-8", **common),
    "HALP-8": lambda out: lowp.halp(X, y, bits=8, out=out, label="HALP-8", **common),
}
files = {"SVRG": "svrg", "LP-SVRG-8": "lp_svrg8", "HALP-8": "halp8"}
bits = {"SVRG": 64, "LP-SVRG-8": 8, "HALP-8": 8}
logs = {}
for name, run in runs.items():
    path = os.path.join(args.out, f"ls20_{files[name]}.h5")
    w, log = run(path)
    logs[name] = log
    g = log["trace"]["gap"] / f_star
    print(f"{name:10s} {log['status']:10s} final rel. gap {g[-1]:9.3e}  min {g.min():9.3e}  "
          f"saturations {log['report']['saturations']}  {log['report']['seconds']:.3f} s")

# %% [markdown]
# ## CSV (the experiment's columns)

# %%
csv_path = os.path.join(args.out, "ls20.csv")
with open(csv_path, "w", newline="") as f:
    out = csv.writer(f)
    out.writerow(["problem", "algorithm", "bits", "epoch", "work", "seconds", "objective", "rel_gap", "grad_norm",
                  "saturations"])
    for name, log in logs.items():
        t = log["trace"]
        for k in range(len(t["epoch"])):
            out.writerow(["ls20", name, bits[name], int(t["epoch"][k]), int(t["work"][k]), f"{t['seconds'][k]:.6f}",
                          f"{t['objective'][k]:.17g}", f"{t['gap'][k] / f_star:.10e}", f"{t['grad_norm'][k]:.10e}",
                          int(t["saturations"][k])])
print("wrote", csv_path)

# %% [markdown]
# The C++ experiment's committed CSV, if present, holds the same runs: the objectives agree to the last
# bit when the library has not changed since it was written.

# %%
here = os.path.dirname(os.path.abspath(__file__))
committed = os.path.join(here, "..", "..", "experiments", "halp_convergence", "results", "ls20.csv")
if os.path.exists(committed):
    with open(committed) as f:
        rows = [r for r in csv.DictReader(f) if r["algorithm"] in logs]
    worst = 0.0
    for r in rows:
        k = int(r["epoch"])
        obj = logs[r["algorithm"]]["trace"]["objective"]
        if k < len(obj):
            worst = max(worst, abs(obj[k] - float(r["objective"])) / abs(float(r["objective"])))
    print(f"largest relative difference from {os.path.normpath(committed)}: {worst:.3g} over {len(rows)} rows")

# %% [markdown]
# ## The figure: `lowp plot` draws the three run logs (gap against work, log scale)

# %%
png = os.path.join(args.out, "ls20.png")
plotted = False
if args.lowp and os.path.exists(args.lowp):
    cmd = [args.lowp, "plot"] + [os.path.join(args.out, f"ls20_{files[n]}.h5") for n in logs] + \
          ["-o", png, "--x", "work", "--y", "gap",
           "--title", "ls20 from Python: least squares N=1000 d=20, alpha=0.2/L_max, T=2N"]
    rc = subprocess.run(cmd).returncode
    plotted = rc == 0 and os.path.getsize(png) > 0
    if not plotted:
        print(f"lowp plot failed (exit {rc})")
else:
    print("not plotted: pass --lowp <build>/tools/lowp (or set LOWP_EXE)")

# %% [markdown]
# ## What the figure shows

# %%
g_halp = logs["HALP-8"]["trace"]["gap"] / f_star
g_lp = logs["LP-SVRG-8"]["trace"]["gap"] / f_star
g_svrg = logs["SVRG"]["trace"]["gap"] / f_star
print(f"HALP-8 reaches {g_halp[-1]:.2e} (SVRG {g_svrg[-1]:.2e}); LP-SVRG-8 stalls at {np.median(g_lp[-10:]):.2e}")
if args.check:
    problems = []
    if not g_halp[-1] <= 1e-10:
        problems.append(f"HALP-8 final relative gap {g_halp[-1]:.3g} > 1e-10")
    if not g_lp.min() >= 1e-4:
        problems.append(f"LP-SVRG-8 min relative gap {g_lp.min():.3g} < 1e-4")
    if not plotted:
        problems.append("the PNG was not written")
    for name in logs:
        back = lowp.read_run_log(os.path.join(args.out, f"ls20_{files[name]}.h5"))
        if not np.array_equal(back["trace"]["objective"], logs[name]["trace"]["objective"]):
            problems.append(f"{name}: the run log on disk differs from the returned dict")
    if problems:
        print("CHECK FAILED:\n  " + "\n  ".join(problems))
        sys.exit(1)
    print("check passed")
