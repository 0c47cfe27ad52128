"""Custom formulas: speed of a typed surface against the built-in one, time to ready a formula,
time to refuse hostile input.

Run by hand (never as a test):  .venv/bin/python benchmarks/bench_custom.py
Prints one table; every time is a median over repeats. The per-step comparison runs both
surfaces in the same process, interleaved; the ready and refusal times run in fresh processes
(a refusal that never ends is killed and shown as such).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import optviz  # noqa: E402

STEPS = 200_000
REPEATS = 7
ROSENBROCK = optviz.SURFACES["rosenbrock"]

# A fresh process: warm the kernels as the app does at start, then time the first formula
# (which imports SymPy and sets up LLVM) and ten new ones, each until its first run is drawn.
READY_PROBE = r"""
import importlib, json, statistics, time
import optviz
simulate = importlib.import_module("optviz.engine.simulate")
optviz.simulate("rosenbrock", "rmsprop", steps=300, lr=0.001)
optviz.simulate_batch("rosenbrock", "rmsprop", [[0.0, 0.0]], 10, lr=0.001)
optviz.surface_grid("rosenbrock", 50)
kernels = (simulate._integrate, simulate._integrate_batch, simulate.evaluate_grid)
signatures = [len(k.signatures) for k in kernels]

def ready(text):
    t0 = time.perf_counter()
    surface = optviz.custom_surface(text, bounds=((-3, 3), (-3, 3)))
    t1 = time.perf_counter()
    optviz.simulate(surface, "rmsprop", steps=300, lr=0.01)
    return t1 - t0, time.perf_counter() - t0

first = ready("x^2 + 10*sin(y)")
new = [ready(text) for text in (
    "(1 - x)^2 + 100*(y - x^2)^2", "sin(x)*cos(y) + 0.1*(x^2 + y^2)", "abs(x) + abs(y)",
    "exp(-(x^2 + y^2)) - 0.5*exp(-((x - 1)^2 + y^2))", "x^4 - 3*x*y + y^2", "log(1 + x^2 + y^2)",
    "tanh(x)^2 + tanh(y - 1)^2", "sqrt(x^2 + y^2 + 0.01) - cos(3*x)", "(x + 2*y - 7)^2 + (2*x + y - 5)^2",
    "x*y*exp(-(x^2 + y^2)/4)",
)]
print(json.dumps({
    "first_build": first[0], "first_ready": first[1],
    "new_build": statistics.median(b for b, _ in new), "new_ready": statistics.median(r for _, r in new),
    "new_ready_max": max(r for _, r in new),
    "recompiled": [len(k.signatures) for k in kernels] != signatures,
}))
"""

# A fresh process per input: the median time parse and custom_surface take to refuse it.
REFUSAL_PROBE = r"""
import json, statistics, sys, time
import optviz
from optviz.engine.formula import parse
text = json.loads(sys.argv[1])
optviz.custom_surface("x^2 + y^2")  # load the kernels first: only the refusal is timed
result = {}
for name, call in (("parse", parse), ("custom_surface", optviz.custom_surface)):
    times = []
    for _ in range(21):
        t0 = time.perf_counter()
        try:
            call(text)
            outcome = "accepted"
        except Exception as error:
            outcome = type(error).__name__
        times.append(time.perf_counter() - t0)
    result[name] = [statistics.median(times), outcome]
print(json.dumps(result))
"""

HOSTILE = (
    "__import__('os').system('touch /tmp/optviz_pwned')",
    "9**9**9",
    "(2**999)**999",
    "x**(10**6)",
    "9" * 300,
    "1" * 5000,
    "(" * 1000 + "x" + ")" * 1000,
    "sin(" * 40 + "x" + ")" * 40,
    "-" * 300 + "x",
    "x^2 + z",
    "(x**1000)**1000",
    "x**exp(exp(exp(exp(10))))",
    "x + sin(exp(exp(15)))",
)
REFUSAL_TIMEOUT = 10.0  # seconds; longer is reported as a hang


def per_step_rows() -> list[tuple[str, str, str, str]]:
    custom = optviz.custom_surface(ROSENBROCK.formula, bounds=ROSENBROCK.bounds)
    runs = {"built-in": ROSENBROCK, "typed": custom}
    for surface in runs.values():  # warm
        optviz.simulate(surface, "rmsprop", start=ROSENBROCK.start, steps=10, lr=0.001)
    a, b = (optviz.simulate(s, "rmsprop", start=ROSENBROCK.start, steps=STEPS, lr=0.001) for s in runs.values())
    gap = float(np.abs(a.path - b.path).max()) if a.path.shape == b.path.shape else float("inf")
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(REPEATS):  # interleaved, so load from other processes hits both alike
        for name, surface in runs.items():
            t0 = time.perf_counter()
            optviz.simulate(surface, "rmsprop", start=ROSENBROCK.start, steps=STEPS, lr=0.001)
            times[name].append(time.perf_counter() - t0)
    ns = {name: statistics.median(t) / STEPS * 1e9 for name, t in times.items()}
    ratio = ns["typed"] / ns["built-in"]
    return [
        (
            "simulate RMSProp, Rosenbrock built-in, 200k steps",
            f"{ns['built-in']:.1f} ns/step",
            "the reference",
            "",
        ),
        (
            "simulate RMSProp, Rosenbrock typed as a formula",
            f"{ns['typed']:.1f} ns/step",
            f"{ratio:.2f}x the built-in's time; same path to {gap:.0e}",
            f"<= 3x: {'ok' if ratio <= 3 else 'MISSED'}",
        ),
    ]


def ready_rows() -> list[tuple[str, str, str, str]]:
    probes = []
    for _ in range(3):
        out = subprocess.run([sys.executable, "-c", READY_PROBE], cwd=ROOT, capture_output=True, text=True, check=True)
        probes.append(json.loads(out.stdout.strip().splitlines()[-1]))

    def med(key: str) -> float:
        return statistics.median(p[key] for p in probes)

    recompiled = any(p["recompiled"] for p in probes)
    return [
        (
            "first formula in a process: custom_surface + first run",
            f"{med('first_ready') * 1e3:.0f} ms",
            f"build {med('first_build') * 1e3:.0f} ms (imports SymPy, sets up LLVM)",
            "< 1 s",
        ),
        (
            "new formula: custom_surface + first run (10 formulas)",
            f"{med('new_ready') * 1e3:.0f} ms",
            f"build {med('new_build') * 1e3:.0f} ms; slowest {max(p['new_ready_max'] for p in probes) * 1e3:.0f} ms",
            f"well < 1 s; driver recompiled: {'YES' if recompiled else 'no'}",
        ),
    ]


def refusal_rows() -> list[tuple[str, str, str, str]]:
    rows = []
    for text in HOSTILE:
        label = text if len(text) <= 40 else f"{text[:24]}... ({len(text)} chars)"
        try:
            out = subprocess.run(
                [sys.executable, "-c", REFUSAL_PROBE, json.dumps(text)],
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=True,
                timeout=REFUSAL_TIMEOUT + 5,
            )
        except subprocess.TimeoutExpired:
            rows.append((f"refuse {label}", f"> {REFUSAL_TIMEOUT:.0f} s", "HANGS: killed", "< 0.5 s: MISSED"))
            continue
        result = json.loads(out.stdout.strip().splitlines()[-1])
        (parse_s, parse_outcome), (surface_s, surface_outcome) = result["parse"], result["custom_surface"]
        worst = max(parse_s, surface_s)
        refused = parse_outcome == surface_outcome == "FormulaError"
        verdict = "ok" if refused and worst < 0.5 else "MISSED"
        rows.append(
            (
                f"refuse {label}",
                f"{parse_s * 1e6:.0f} us",
                f"custom_surface {surface_s * 1e6:.0f} us; {parse_outcome}/{surface_outcome}",
                f"FormulaError < 0.5 s: {verdict}",
            )
        )
    return rows


def main() -> None:
    rows = per_step_rows() + ready_rows() + refusal_rows()
    header = ("what", "median", "detail", "target")
    widths = [max(len(r[i]) for r in [*rows, header]) for i in range(4)]
    print(" | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    print("-+-".join("-" * w for w in widths))
    for r in rows:
        print(" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)))
    print(
        f"\n{os.cpu_count()} cores; numba {__import__('numba').__version__}, numpy {np.__version__}, "
        f"sympy {__import__('sympy').__version__}"
    )


if __name__ == "__main__":
    main()
