"""Custom formulas (issue 5): hostile input refused fast and by name, the typed syntax read as
ordinary math, every built-in surface reproduced from its typed formula, gradients against
central differences, the drivers and figures on custom surfaces, and no recompilation.

Expected values are built here independently: SymPy expressions from SymPy objects (never
from strings), steps derived by hand, gradients by finite differences, values by
``sympy.lambdify`` with the ``math`` module (the test's own code, not the app's).

The hostile corpus runs in a separate worker process (:class:`_Sandbox`): a formula that hangs
the parser then fails its own test after a few seconds instead of hanging the whole run.
"""

from __future__ import annotations

import base64
import importlib
import io
import json
import math
import os
import select
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest
import sympy as sp
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from PIL import Image

import optviz
from optviz import OPTIMIZERS, SURFACES, simulate, simulate_batch, surface_grid
from optviz.engine.formula import FormulaError, RealAbs, compile_formula, parse
from optviz.render.figures import race_figure
from optviz.render.raster import MISSING_RGB, contour_bands

simulate_module = importlib.import_module("optviz.engine.simulate")  # `optviz.engine.simulate` is the function

ROOT = Path(__file__).resolve().parents[1]
X, Y = sp.symbols("x y", real=True)  # the same assumptions as the parser's symbols
FUNCTION_NAMES = ("sin", "cos", "tan", "exp", "log", "sqrt", "abs", "tanh")  # the spec's whitelist
REJECTION_SECONDS = 0.5  # the DoS guard's bound per rejection; real rejections take about a millisecond
HANG_SECONDS = 3.0  # the sandbox gives up on a formula after this long and starts a fresh worker


# --------------------------------------------------------------------------------------------
# 1. Hostile input: rejected by parse and by custom_surface, fast, naming the problem
# --------------------------------------------------------------------------------------------

CANARY = Path(tempfile.gettempdir()) / f"optviz_pwned_{os.getpid()}"
LISTS_FUNCTIONS = "functions"  # a needle meaning: the message lists every allowed function


def _case(text, *needles: str, id: str):
    return pytest.param(text, needles, id=id)


HOSTILE = [
    # code execution and introspection
    _case(
        f"__import__('os').system('touch {CANARY}')",
        "column 1",
        "attribute",
        "not allowed",
        LISTS_FUNCTIONS,
        id="import-os-system",
    ),
    _case("open('/etc/passwd')", "column 1", "'open'", "not allowed", LISTS_FUNCTIONS, id="open"),
    _case("().__class__.__bases__[0].__subclasses__()", "column 1", "attribute", "not allowed", id="subclasses"),
    _case("globals()", "'globals'", "not allowed", LISTS_FUNCTIONS, id="globals"),
    _case("x.__class__", "column 1", "attribute", id="dunder-attribute"),
    _case("  x.real", "column 3", "attribute", id="attribute-after-spaces"),
    _case("exec('1')", "'exec'", "not allowed", id="exec"),
    _case("eval('1')", "'eval'", "not allowed", id="eval"),
    _case("__builtins__", "'__builtins__'", "not allowed", id="builtins"),
    _case("lambda: x", "lambda", "not allowed", id="lambda"),
    _case("[x for x in (1, 2)]", "comprehension", id="list-comprehension"),
    _case("{x for x in (1, 2)}", "comprehension", id="set-comprehension"),
    _case("{x: 1 for x in (1, 2)}", "comprehension", id="dict-comprehension"),
    _case("(x for x in (1, 2))", "comprehension", id="generator"),
    _case("x[0]", "column 1", "subscript", id="subscript"),
    _case("x + y[0]", "column 5", "subscript", id="subscript-column"),
    _case("'a'", "string", "not allowed", id="string"),
    _case("b'a'", "string", "not allowed", id="bytes"),
    _case("f'{x}'", "f-string", id="f-string"),
    _case("x if y else 1", "if", "not allowed", id="if-else"),
    _case("x < y", "comparison", id="comparison"),
    _case("x and y", "and", "not allowed", id="and"),
    _case("(x := 1)", ":=", "not allowed", id="walrus"),
    _case("[x]", "list", "not allowed", id="list"),
    _case("x, y", "tuple", "not allowed", id="tuple"),
    _case("...", "ellipsis", "not allowed", id="ellipsis"),
    _case("True", "bool", "not allowed", id="bool"),
    _case("1j", "complex", "not allowed", id="complex"),
    _case("sin(x)(y)", "column 1", "not allowed", id="call-a-call"),
    # calls and names outside the whitelist
    _case("sin(x=1)", "keyword", "sin", id="keyword-argument"),
    _case("sin(*[x])", "sin", "one argument", id="star-argument"),
    _case("sin(x, y)", "sin", "one argument", id="two-arguments"),
    _case("sin", "'sin'", "not allowed", id="bare-function"),
    _case("foo(x)", "column 1", "'foo'", "not allowed", LISTS_FUNCTIONS, id="unknown-function"),
    _case("x + foo(y)", "column 5", "'foo'", id="unknown-function-column"),
    _case("z + 1", "column 1", "'z'", "not allowed", LISTS_FUNCTIONS, id="unknown-name"),
    _case("x^2 + z", "column 7", "'z'", id="column-counts-the-typed-caret"),
    # unbounded time or memory
    _case("9**9**9", "too large", id="9**9**9"),
    _case("10**10**10", "too large", id="10**10**10"),
    _case("(2**999)**999", "too large", id="(2**999)**999"),
    _case("2^60", "too large", id="caret-constant-power"),
    _case("x**(10**6)", "too large", id="x**(10**6)"),
    _case("x**1001", "too large", "1001", id="x**1001"),
    _case("sin(x)**-1001", "too large", id="negative-huge-exponent"),
    _case("(x**1000)**1000", "too large", id="repeated-power"),  # SymPy folds it into x**1000000
    _case("((x + y)**999)**999", "too large", id="repeated-power-of-a-sum"),
    _case("9" * 300, "column 1", "too large", id="300-digit-literal"),
    _case("1" * 5000, "5000", "400", id="5000-digit-literal"),
    _case("1e309", "too large", id="1e309"),
    # constants SymPy would evaluate at millions of bits (sin needs exp(exp(15)) modulo 2 pi)
    _case("x**exp(exp(exp(exp(10))))", "too large", id="exponent-overflows-float"),
    _case("x**sin(exp(exp(15)))", "too large", id="exponent-sin-of-huge-constant"),
    _case("x + sin(exp(exp(15)))", "too large", id="sum-with-sin-of-huge-constant"),
    _case("abs(tan(exp(exp(15))))*y", "too large", id="abs-of-tan-of-huge-constant"),
    # not a real number
    _case("1/0", "column 1", "division by zero", id="1/0"),
    _case("x/(y - y)", "division by zero", id="division-by-a-zero-expression"),
    _case("sqrt(-1)", "real", id="sqrt(-1)"),
    _case("log(0)", "finite", id="log(0)"),
    _case("(-8)**(1/3)", "column 1", "real", id="negative-base-fractional-power"),
    _case("sqrt(-1)^2", "real", id="power-of-an-imaginary-constant"),
    _case("x^log(0)", "real", id="power-with-an-infinite-constant-exponent"),
    # nesting and size
    _case("(" * 1000 + "x" + ")" * 1000, "2001", "400", id="1000-nested-parentheses"),
    _case("(" * 100 + "x" + ")" * 100, "column 33", "nest", id="100-nested-parentheses"),
    _case("sin(" * 200 + "x" + ")" * 200, "1001", "400", id="200-nested-sin"),
    _case("sin(" * 40 + "x" + ")" * 40, "nest", id="40-nested-sin"),
    _case("-" * 300 + "x", "200", id="300-unary-minus"),
    _case("-" * 40 + "x", "nest", id="40-unary-minus"),
    _case("x" + "**x" * 40, "nest", id="power-tower-of-41"),
    _case("+".join(["x"] * 200), "200", id="200-terms"),
    _case("x + " * 100 + "x", "401", "400", id="over-the-length-limit"),
    # empty or not text
    _case("", "empty", id="empty"),
    _case(" \t  ", "empty", id="whitespace-only"),
    _case(None, "text", "NoneType", id="None"),
    _case(3, "text", "int", id="int"),
    # look-alike and invisible characters
    _case("\u0445 + 1", "column 1", "U+0445", id="cyrillic-x"),
    _case("c\u03bfs(x)", "column 2", "U+03BF", id="greek-omicron"),
    _case("1 + \uff58", "column 5", "U+FF58", id="fullwidth-x"),
    _case("x\u00b2", "column 2", "U+00B2", id="superscript-two"),
    _case("x\u200b + 1", "column 2", "U+200B", id="zero-width-space"),
    _case("x +\u00a01", "column 4", "U+00A0", id="no-break-space"),
    _case("\U0001d465 + y", "column 1", "U+1D465", id="math-italic-x"),
    _case("x \u2212 y", "column 3", "U+2212", id="minus-sign"),
    # operators outside + - * / ** ^
    _case("1 + x % 2", "column 5", "%", "not allowed", id="modulo"),
    _case("x // 2", "//", "not allowed", id="floor-division"),
    _case("x @ y", "@", "not allowed", id="matmul"),
    _case("x & y", "&", "not allowed", id="bitwise-and"),
    _case("x | y", "|", "not allowed", id="bitwise-or"),
    _case("x << 2", "<<", "not allowed", id="shift"),
    _case("~x", "column 1", "operator", "not allowed", id="invert"),
    _case("not x", "column 1", "operator", "not allowed", id="not"),
    # statements, a second line, control characters
    _case("x; y", "column 2", id="semicolon"),
    _case("x\ny", "column 2", "U+000A", id="newline"),
    _case("x = 1", "column 3", id="assignment"),
    _case("import os", "column 1", id="import"),
    _case("2x", "column 2", "write 2*x", id="implicit-multiplication"),
    _case("x + \x1b[2J", "column 5", "U+001B", id="escape"),
    _case("x\x00", "column 2", "U+0000", id="nul"),
    _case("x\r+ 1", "column 2", "U+000D", id="carriage-return"),
    _case("x\x0b+ 1", "column 2", "U+000B", id="vertical-tab"),
]

_WORKER = r"""
import json, sys, time
import optviz
from optviz.engine.formula import FormulaError, parse

replies = sys.stdout
sys.stdout = sys.stderr  # nothing the code under test prints can garble a reply
optviz.custom_surface("x**2 + y**2")  # compile or load every kernel before anything is timed
replies.write("ready\n")
replies.flush()
for line in sys.stdin:
    text = json.loads(line)
    reply = {}
    for name, call in (("parse", parse), ("custom_surface", optviz.custom_surface)):
        start = time.perf_counter()
        try:
            call(text)
        except Exception as error:
            outcome = {"raised": type(error).__name__, "formula_error": isinstance(error, FormulaError),
                       "value_error": isinstance(error, ValueError), "message": str(error)}
        else:
            outcome = {"raised": None}
        outcome["seconds"] = time.perf_counter() - start
        reply[name] = outcome
    replies.write(json.dumps(reply) + "\n")
    replies.flush()
"""


class _Sandbox:
    """A worker process that runs ``parse`` and ``custom_surface`` on one formula at a time and
    times each with ``time.perf_counter``; one that does not answer within ``HANG_SECONDS`` is
    killed (the next formula gets a fresh worker)."""

    def __init__(self) -> None:
        self._process: subprocess.Popen | None = None

    def _start(self) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-c", _WORKER],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self._readline(300.0) == "ready\n", "the formula worker did not start"

    def _readline(self, timeout: float) -> str:
        ready, _, _ = select.select([self._process.stdout], [], [], timeout)
        return self._process.stdout.readline() if ready else ""

    def run(self, text) -> dict | None:
        """The worker's reply for ``text``, or None if it hung or died."""
        if self._process is None or self._process.poll() is not None:
            self._start()
        self._process.stdin.write(json.dumps(text) + "\n")
        self._process.stdin.flush()
        line = self._readline(HANG_SECONDS)
        if not line:
            self.close()
            return None
        return json.loads(line)

    def close(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.wait()
            self._process = None


@pytest.fixture(scope="module")
def sandbox():
    worker = _Sandbox()
    yield worker
    worker.close()


@pytest.mark.parametrize(("text", "needles"), HOSTILE)
def test_hostile_input_is_refused_quickly_and_by_name(sandbox, text, needles) -> None:
    reply = sandbox.run(text)
    assert reply is not None, f"{text!r}: no answer within {HANG_SECONDS} s: the parser hung or crashed"
    for entry in ("parse", "custom_surface"):
        outcome = reply[entry]
        assert outcome["raised"] is not None, f"{entry}({text!r}) was accepted"
        assert outcome["formula_error"] and outcome["value_error"], (
            f"{entry}({text!r}) raised {outcome['raised']}, not FormulaError: {outcome['message']}"
        )
        assert outcome["seconds"] < REJECTION_SECONDS, f"{entry}({text!r}) took {outcome['seconds']:.3f} s"
        message = outcome["message"]
        for needle in needles:
            if needle == LISTS_FUNCTIONS:
                assert all(name in message for name in FUNCTION_NAMES), message
            else:
                assert needle in message, f"{needle!r} not in the message {message!r}"
    assert not CANARY.exists(), "a rejected formula ran code"


def test_formula_error_is_a_value_error_with_the_column() -> None:
    assert issubclass(FormulaError, ValueError)
    with pytest.raises(FormulaError) as caught:
        parse("x^2 + foo(y)")  # the ^ counts as one typed character
    assert caught.value.column == 7
    assert "column 7" in str(caught.value)


# --------------------------------------------------------------------------------------------
# 2. The typed syntax means what it means in ordinary math
# --------------------------------------------------------------------------------------------

VALID = [
    ("x^2", X**2),
    ("2^3^2", sp.Integer(512)),  # right associative, like **: 2^(3^2), not (2^3)^2 = 64
    ("-x^2", -(X**2)),  # the power binds tighter than the minus (Python's ^ would give (-x) xor 2)
    ("x^2*3", 3 * X**2),  # not x ^ (2*3) as Python's precedence of ^ would read it
    ("x^-1", 1 / X),
    ("x**2^2", X**4),
    ("x^y", X**Y),
    ("(x + 1)^(y - 1)", (X + 1) ** (Y - 1)),
    ("2^-2", sp.Rational(1, 4)),
    ("e^x", sp.exp(X)),
    ("x*e^(-y)", X * sp.exp(-Y)),
    ("e", sp.E),
    ("pi*x", sp.pi * X),
    ("pi", sp.pi),
    ("abs(x)", RealAbs(X)),  # |u| with the real derivative sign(u) u' (optviz.engine.formula.RealAbs)
    ("sqrt(x^2 + y^2)", sp.sqrt(X**2 + Y**2)),
    ("log(1 + x^2)", sp.log(1 + X**2)),
    ("tanh(x*y)", sp.tanh(X * Y)),
    ("sin(cos(tan(x)))", sp.sin(sp.cos(sp.tan(X)))),
    ("exp(-x^2 - y^2)", sp.exp(-(X**2) - Y**2)),
    ("abs(sin(x) - log(exp(y)))", RealAbs(sp.sin(X) - Y)),
    ("x^2 + 10*sin(y)", X**2 + 10 * sp.sin(Y)),
    ("1e-3*x", sp.Float(1e-3) * X),
    ("2.5E+2*y", sp.Float(250.0) * Y),
    (".5*x + 5.*y", sp.Float(0.5) * X + sp.Float(5.0) * Y),
    ("  x + y  ", X + Y),
    ("\tx*y\t", X * Y),
    ("x\t+\ty", X + Y),
    ("+x", X),
    ("--x", X),
    ("(((x)))", X),
]


@pytest.mark.parametrize(("text", "expected"), VALID, ids=[text for text, _ in VALID])
def test_typed_syntax_parses_to_the_sympy_expression(text: str, expected: sp.Expr) -> None:
    parsed = parse(text)
    assert parsed.free_symbols <= {X, Y}
    difference = sp.simplify(parsed - expected)
    assert difference == 0 or (difference.is_Number and float(difference) == 0.0), f"{parsed} != {expected}"


def test_custom_surface_value_and_grad_by_hand() -> None:
    surface = optviz.custom_surface("x^2 + 10*sin(y)", bounds=((-3, 3), (-3, 3)))
    assert isinstance(surface, optviz.Surface) and surface.is_custom and surface.approximate_minima
    assert surface.formula == "x^2 + 10*sin(y)"
    # f(1.5, pi/6) = 2.25 + 10 * 0.5; df/dx = 2 * 1.5; df/dy = 10 cos(pi/6) = 5 sqrt(3)
    f, gx, gy = surface.value_and_grad(1.5, math.pi / 6)
    assert f == pytest.approx(7.25, rel=1e-15)
    assert gx == 3.0
    assert gy == pytest.approx(5.0 * math.sqrt(3.0), rel=1e-15)


@pytest.mark.parametrize("outer", FUNCTION_NAMES)
@pytest.mark.parametrize("inner", FUNCTION_NAMES)
def test_every_pair_of_functions_composes(outer: str, inner: str) -> None:
    # f(g(x)) + y^2 for every pair of whitelisted functions: typed, compiled, and its d/dx
    # by the chain rule at x = 1.3, where every inner value is positive and every pair smooth
    compiled = compile_formula(f"{outer}({inner}(x)) + y^2")
    g = {
        "sin": sp.sin,
        "cos": sp.cos,
        "tan": sp.tan,
        "exp": sp.exp,
        "log": sp.log,
        "sqrt": sp.sqrt,
        "abs": sp.Abs,
        "tanh": sp.tanh,
    }
    u = sp.Symbol("u", positive=True)  # g(1.3) > 0 for every g here, so |u|' = 1, log and sqrt are real
    outer_of_u = g[outer](u)
    inner_value = float(g[inner](X).subs(X, 1.3))
    inner_slope = float(sp.diff(g[inner](X), X).subs(X, 1.3))
    expected_f = float(outer_of_u.subs(u, inner_value)) + 0.3**2
    expected_gx = float(sp.diff(outer_of_u, u).subs(u, inner_value)) * inner_slope
    f, gx, gy = compiled(1.3, 0.3)
    assert f == pytest.approx(expected_f, rel=1e-12)
    assert gx == pytest.approx(expected_gx, rel=1e-12)
    assert gy == pytest.approx(0.6, rel=1e-15)


ABS_OF_POSSIBLY_COMPLEX = [
    # (formula, point, (f, df/dx, df/dy) there, by hand)
    ("abs(sqrt(x)) + y^2", (0.25, 1.0), (1.5, 1.0, 2.0)),  # d sqrt(x)/dx = 1 / (2 * 0.5)
    ("abs(sqrt(x) + y)", (0.25, 0.5), (1.0, 1.0, 1.0)),
    ("abs(sin(log(x)))", (2.0, 0.0), (math.sin(math.log(2.0)), math.cos(math.log(2.0)) / 2.0, 0.0)),
]


@pytest.mark.parametrize(("text", "point", "expected"), ABS_OF_POSSIBLY_COMPLEX)
def test_abs_of_a_part_sympy_cannot_prove_real_compiles(text: str, point, expected) -> None:
    # sqrt(x) and log(x) are complex for x < 0, so SymPy differentiates abs() of them through
    # arg/atan2/re/im; the formula is still f(x, y) in the whitelist and must compile
    surface = optviz.custom_surface(text, bounds=((0.1, 3.0), (-1.0, 1.0)))
    assert surface.value_and_grad(*point) == pytest.approx(expected, rel=1e-14, abs=1e-15)


# --------------------------------------------------------------------------------------------
# 3. Every built-in surface, typed as its formula, is the same surface
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("surface_id", list(SURFACES))
def test_builtin_surface_typed_as_a_formula_matches(surface_id: str) -> None:
    builtin = SURFACES[surface_id]
    custom = optviz.custom_surface(builtin.formula, bounds=builtin.bounds)
    (x_lo, x_hi), (y_lo, y_hi) = builtin.bounds
    rng = np.random.default_rng(sum(map(ord, surface_id)))
    points = np.column_stack([rng.uniform(x_lo, x_hi, 200), rng.uniform(y_lo, y_hi, 200)])
    if surface_id == "ackley":  # the cone tip has no derivative: keep away from the origin
        points = points[np.hypot(points[:, 0], points[:, 1]) > 1e-3]
    expected = np.array([builtin.value_and_grad(x, y) for x, y in points])
    got = np.array([custom.value_and_grad(x, y) for x, y in points])
    scale = np.abs(expected).max(axis=0)  # per component: f, df/dx, df/dy
    for k in range(3):
        np.testing.assert_allclose(got[:, k], expected[:, k], rtol=1e-9, atol=1e-12 * scale[k])


@pytest.mark.parametrize("surface_id", [s.id for s in SURFACES.values() if s.minima])
def test_builtin_minima_are_found_on_the_typed_formula(surface_id: str) -> None:
    builtin = SURFACES[surface_id]
    custom = optviz.custom_surface(builtin.formula, bounds=builtin.bounds)
    (x_lo, x_hi), (y_lo, y_hi) = builtin.bounds
    assert custom.approximate_minima
    for known in builtin.minima:
        assert x_lo <= known.x <= x_hi and y_lo <= known.y <= y_hi
        nearest = min(custom.minima, key=lambda m: math.hypot(m.x - known.x, m.y - known.y))
        assert math.hypot(nearest.x - known.x, nearest.y - known.y) <= 1e-4, (known, custom.minima)
        assert nearest.value == pytest.approx(known.value, rel=1e-6, abs=1e-8)


# --------------------------------------------------------------------------------------------
# 4. Property: compiled f and gradient against two independent methods
# --------------------------------------------------------------------------------------------

LEAVES = ("x", "y", "pi", "e", "0", "1", "2", "3", "7", "0.5", "2.5", "1e-1", "1.5e1")


@st.composite
def formulas(draw, depth: int = 3, inside_exp: bool = False) -> str:
    """A formula string of nesting depth at most ``depth``. exp never sits inside exp:
    exp(exp(exp(7))) is a constant SymPy evaluates at millions of bits (the hostile corpus
    covers that); this property is about the arithmetic."""
    kinds = ("leaf", "binary", "power", "call", "negate") if depth > 0 else ("leaf",)
    kind = draw(st.sampled_from(kinds))
    if kind == "leaf":
        return draw(st.sampled_from(LEAVES))
    if kind == "binary":
        left, right = draw(formulas(depth - 1, inside_exp)), draw(formulas(depth - 1, inside_exp))
        return f"({left} {draw(st.sampled_from('+-*/'))} {right})"
    if kind == "power":
        base = draw(formulas(depth - 1, inside_exp))
        return f"({base}){draw(st.sampled_from(('**', '^')))}{draw(st.integers(-2, 4))}"
    if kind == "call":
        name = draw(st.sampled_from([n for n in FUNCTION_NAMES if not (inside_exp and n == "exp")]))
        return f"{name}({draw(formulas(depth - 1, inside_exp or name == 'exp'))})"
    return f"-{draw(formulas(depth - 1, inside_exp))}"


# The only reasons to refuse a formula of this grammar: a constant part that is not a finite
# real number (x/(1 - 1), log(0), sqrt(-2)) or a constant power beyond the size limit.
CONSTANT_REASONS = ("division by zero", "not a finite real number", "too large")


def _magnitude(expr: sp.Expr) -> sp.Expr:
    """expr with every sum replaced by the sum of its terms' absolute values: the size of the
    numbers the evaluation handles, against which its rounding errors are measured."""
    return expr.replace(lambda e: e.is_Add, lambda e: sp.Add(*[sp.Abs(a) for a in e.args]))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(formulas(), st.floats(-3.0, 3.0), st.floats(-3.0, 3.0))
def test_compiled_formula_against_lambdify_and_central_differences(text: str, x: float, y: float) -> None:
    try:
        compiled = compile_formula(text)
    except FormulaError as error:
        assert any(reason in str(error) for reason in CONSTANT_REASONS), f"{text!r} refused: {error}"
        assume(False)
    f, gx, gy = compiled(x, y)
    assume(all(math.isfinite(v) and abs(v) < 1e8 for v in (f, gx, gy)))

    # f against SymPy's own evaluation of the parsed expression, in Python floats
    try:
        modules = [{"RealAbs": abs}, "math"]  # optviz's real-valued abs is plain abs in floats
        reference = sp.lambdify((X, Y), compiled.expr, modules)(x, y)
        scale = sp.lambdify((X, Y), _magnitude(compiled.expr), modules)(x, y)
    except (ValueError, OverflowError, ZeroDivisionError):
        assume(False)
    assert isinstance(reference, (int, float)), f"{text!r}: SymPy gives {reference!r} at ({x}, {y}), compiled {f}"
    assume(math.isfinite(scale) and scale < 1e12)
    assert abs(f - reference) <= 1e-9 * max(abs(reference), scale), (text, x, y, f, reference)

    # the gradient against central differences of the compiled f, where f is smooth around (x, y)
    h = 1e-5
    stencil = [compiled(x + dx, y + dy) for dx, dy in ((h, 0), (-h, 0), (0, h), (0, -h))]
    half = [compiled(x + dx, y + dy) for dx, dy in ((h / 2, 0), (-h / 2, 0), (0, h / 2), (0, -h / 2))]
    assume(all(math.isfinite(v) for point in stencil + half for v in point))
    # no kink or pole nearby: the gradient barely changes across the stencil
    assume(all(abs(p[1] - gx) <= 1e-2 * (1 + abs(gx)) and abs(p[2] - gy) <= 1e-2 * (1 + abs(gy)) for p in stencil))
    for k, g in ((0, gx), (1, gy)):
        wide = (stencil[2 * k][0] - stencil[2 * k + 1][0]) / (2 * h)
        narrow = (half[2 * k][0] - half[2 * k + 1][0]) / h
        extrapolated = (4 * narrow - wide) / 3  # Richardson: error O(h^4) where f is smooth enough
        rounding = 1e-12 * max(abs(f), scale) / h
        # where f'' has a kink (y*abs(y) at 0) the error is O(h f''), about the gradient's change
        spread = max(abs(p[1 + k] - g) for p in stencil)
        assert abs(g - extrapolated) <= 1e-6 * (1 + abs(g)) + rounding + spread, (text, x, y, k, g, extrapolated)


# --------------------------------------------------------------------------------------------
# 5. Drivers and figures on custom surfaces
# --------------------------------------------------------------------------------------------

DRIVER_CASES = [
    ("rosenbrock", "momentum"),
    ("rosenbrock", "rmsprop"),
    ("rosenbrock", "adam"),
    ("himmelblau", "sgd"),
    ("himmelblau", "nadam"),
    ("rastrigin", "nesterov"),
    ("beale", "adagrad"),
]


@pytest.mark.parametrize(("surface_id", "optimizer_id"), DRIVER_CASES)
def test_simulate_on_the_typed_formula_follows_the_builtin_path(surface_id: str, optimizer_id: str) -> None:
    builtin = SURFACES[surface_id]
    custom = optviz.custom_surface(builtin.formula, bounds=builtin.bounds)
    lr = OPTIMIZERS[optimizer_id].demo_lr * builtin.lr_scale
    expected = simulate(builtin, optimizer_id, start=builtin.start, steps=500, lr=lr)
    got = simulate(custom, optimizer_id, start=builtin.start, steps=500, lr=lr)
    assert expected.diverged_at is None and got.diverged_at is None
    assert got.path.shape == (501, 2)
    np.testing.assert_allclose(got.path, expected.path, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(got.loss, expected.loss, rtol=1e-9, atol=1e-12 * np.abs(expected.loss).max())


def test_simulate_batch_on_a_custom_surface_equals_single_runs_exactly() -> None:
    surface = optviz.custom_surface("(1 - x)^2 + 100*(y - x^2)^2 + sin(3*x*y)", bounds=((-2, 2), (-1, 3)))
    rng = np.random.default_rng(5)
    starts = np.column_stack([rng.uniform(-2, 2, 12), rng.uniform(-1, 3, 12)])
    lrs = np.where(np.arange(12) % 3 == 0, 0.05, 1e-4)  # every third run diverges
    batch = simulate_batch(surface, "sgd", starts, 300, lr=lrs)
    diverged = 0
    for i, (start, lr) in enumerate(zip(starts, lrs, strict=True)):
        single = simulate(surface, "sgd", start=tuple(start), steps=300, lr=float(lr))
        assert batch.final[i].tolist() == list(single.final)
        assert batch.final_loss[i] == single.final_loss
        assert batch.diverged_at[i] == (-1 if single.diverged_at is None else single.diverged_at)
        diverged += single.diverged_at is not None
    assert 0 < diverged < 12


NAN_BOUNDS = ((-1.0, 1.0), (-1.0, 1.0))


def test_a_formula_undefined_on_part_of_the_view_is_accepted_and_its_grid_has_nan() -> None:
    surface = optviz.custom_surface("log(x) + y^2", bounds=NAN_BOUNDS)
    xs, _, z = surface_grid(surface, resolution=101)
    assert xs[50] == 0.0
    assert np.isnan(z[:, xs < 0]).all()
    assert np.isneginf(z[:, 50]).all()  # log(0) + y^2
    assert np.isfinite(z[:, xs > 0]).all()


def test_a_run_reaching_nan_reports_the_step_derived_by_hand() -> None:
    # SGD on log(x) + y^2 from (1, 0), lr 0.5: df/dx = 1/x, df/dy = 0.
    # x1 = 1 - 0.5 * 1 = 0.5; x2 = 0.5 - 0.5 * 2 = -0.5, where log is NaN: diverged at step 2.
    surface = optviz.custom_surface("log(x) + y^2", bounds=NAN_BOUNDS)
    run = simulate(surface, "sgd", start=(1.0, 0.0), steps=10, lr=0.5)
    assert run.diverged_at == 2
    assert run.path.tolist() == [[1.0, 0.0], [0.5, 0.0]]
    assert run.loss.tolist() == [0.0, math.log(0.5)]
    # sqrt(x) from (0.25, 0), lr 0.5: df/dx = 1 / (2 sqrt(0.25)) = 1, so x1 = -0.25: diverged at step 1
    root = optviz.custom_surface("sqrt(x) + y^2", bounds=NAN_BOUNDS)
    assert simulate(root, "sgd", start=(0.25, 0.0), steps=10, lr=0.5).diverged_at == 1
    # a start where f is NaN has diverged before any step
    assert simulate(root, "sgd", start=(-0.5, 0.0), steps=10, lr=0.5).diverged_at == 0
    batch = simulate_batch(surface, "sgd", [[1.0, 0.0], [2.0, 0.0]], 10, lr=[0.5, 0.01])
    assert batch.diverged_at.tolist() == [2, -1]
    assert batch.final[0].tolist() == [0.5, 0.0]


def _missing_colour_columns(rgb: np.ndarray) -> np.ndarray:
    """Per column, whether every pixel is the missing colour."""
    return (rgb == np.array(MISSING_RGB, dtype=np.uint8)).all(axis=2).all(axis=0)


def test_figures_draw_a_custom_surface_with_its_undefined_half_in_the_missing_colour() -> None:
    surface = optviz.custom_surface("log(x) + y^2", bounds=NAN_BOUNDS)
    runs = [
        simulate(surface, "sgd", start=(1.0, 0.0), steps=50, lr=0.5),  # diverges at step 2
        simulate(surface, "adam", start=(0.5, 0.5), steps=50, lr=0.01),
    ]
    indices, palette, _, _ = contour_bands(surface, width=201, height=101)
    rgb = palette[indices]
    missing = _missing_colour_columns(rgb)
    # columns 0..99 are x < 0, where f is NaN; column 100 is x = 0 (f = -inf); x > 0 is drawn
    assert missing[:100].all()
    assert not (rgb[:, 101:] == np.array(MISSING_RGB, dtype=np.uint8)).all(axis=2).any()

    figure = race_figure(surface, runs, resolution=200)
    names = [trace.name for trace in figure.data]
    assert any(name and "diverged at step 2" in name for name in names)
    source = figure.layout.images[0].source
    assert source.startswith("data:image/png;base64,")
    picture = np.asarray(Image.open(io.BytesIO(base64.b64decode(source.split(",", 1)[1]))).convert("RGB"))
    columns = _missing_colour_columns(picture)
    width = picture.shape[1]
    assert columns[: width // 2 - 1].all() and not columns[width // 2 + 1 :].any()
    assert len(figure.to_dict()["frames"]) > 1


# --------------------------------------------------------------------------------------------
# 6. New formulas never recompile the driver
# --------------------------------------------------------------------------------------------


def test_new_formulas_do_not_recompile_the_kernels() -> None:
    first = optviz.custom_surface("x^2 + y^2 + 0.5*x*y")
    simulate(first, "rmsprop", steps=20, lr=0.01)
    simulate_batch(first, "rmsprop", [[1.0, 1.0], [0.5, -1.0]], 20, lr=0.01)
    surface_grid(first, 20)
    dispatchers = (simulate_module._integrate, simulate_module._integrate_batch, simulate_module.evaluate_grid)
    before = [len(d.signatures) for d in dispatchers]
    assert before[0] >= 1
    for k, text in enumerate(
        (
            "sin(x)*cos(y)",
            "x^4 - 3*x*y + y^2",
            "exp(-(x^2 + y^2)) - abs(x)",
            "tanh(x - y)^2",
            "sqrt(x^2 + y^2 + 1) + log(1 + x^2)",
        )
    ):
        surface = optviz.custom_surface(text, bounds=((-2 - k, 2), (-2, 2 + k)))
        simulate(surface, "adam", start=(1.0, -1.0), steps=30, lr=0.05)
        simulate_batch(surface, "sgd", [[0.5, 0.5], [-1.0, 1.0]], 30, lr=0.01)
        surface_grid(surface, 17)
    assert [len(d.signatures) for d in dispatchers] == before


def test_custom_surface_refuses_a_view_too_narrow_to_draw():
    with pytest.raises(ValueError, match="at least 1e-06"):
        optviz.custom_surface("x^2 + y^2", bounds=((0.0, 1e-9), (-1.0, 1.0)))
    optviz.custom_surface("x^2 + y^2", bounds=((0.0, 1e-6), (-1.0, 1.0)))  # the narrowest allowed


def test_a_suggested_start_lies_where_f_is_defined() -> None:
    # log(-x) is undefined on the right half, where the suggested start used to sit.
    from optviz.engine.custom import custom_surface

    s = custom_surface("log(-x) + y^2")
    x, y = s.start
    assert x < 0 and math.isfinite(math.log(-x) + y * y)
    assert math.isfinite(s.value_and_grad(x, y)[0])


@pytest.mark.parametrize(
    "text, column, words",
    [
        ("x**", 2, "'**' needs a value after it"),  # reported at column 1 as "Python's grammar"
        ("x^", 2, "'^' needs a value after it"),
        ("x +", 3, "'+' needs a value after it"),
        ("sin(x", 4, "never closed"),
        ("x)", 2, "never opened"),
        ("x y", 3, "operator is missing between 'x' and 'y': write x*y"),
        ("3x", 2, "write 3*x"),
        ("x ** * 2", 6, "'*' needs a value before it, not right after '**'"),
        ("*x", 1, "needs a value before it, not at the start"),
        ("x = 1", 3, "'=' has no place in a formula"),
        ("x $ y", 3, "'$' has no place in a formula"),
        ("1.2.3", 1, "more than one decimal point"),
    ],
)
def test_a_syntax_error_says_where_and_what_in_plain_words(text, column, words):
    with pytest.raises(FormulaError) as caught:
        parse(text)
    assert caught.value.column == column and words in caught.value.reason
    assert "grammar" not in str(caught.value)
