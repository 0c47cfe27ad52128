"""Bad input never produces a traceback: random formulas, starts and settings through every door.

The page is driven headless (AppTest) through a link and through its widgets; the link and
JSON readers and the command line are driven directly. A formula with a restricted domain
(``log(x)``, ``sqrt(x)``) once took the whole page down with a raw ValueError.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from optviz import MODELS, OPTIMIZERS, SURFACES
from optviz.out import cli, export
from optviz.race.settings import from_query

TIMEOUT = 120

NUMBERS = st.sampled_from(["0", "1", "2", "0.5", "-1", "10", "1e3", "1e-9", "3.7", "100", "pi", "e"])
ATOMS = st.one_of(st.sampled_from(["x", "y"]), NUMBERS)
FUNCTIONS = ("sin", "cos", "tan", "exp", "log", "sqrt", "abs", "tanh")


def _combine(children):
    unary = st.tuples(st.sampled_from(FUNCTIONS), children).map(lambda p: f"{p[0]}({p[1]})")
    binary = st.tuples(children, st.sampled_from(["+", "-", "*", "/", "^", "**"]), children).map(
        lambda p: f"({p[0]} {p[1]} {p[2]})")
    return unary | binary | children.map(lambda c: f"-{c}")


FORMULAS = st.one_of(
    st.recursive(ATOMS, _combine, max_leaves=6),
    st.sampled_from(["log(x)", "sqrt(x) + y^2", "log(x)+y^2", "1/x + y", "log(-x^2 - 1)", "sqrt(-x) + y",
                     "x**", "x +", "(x", "x y", "0*x", "x/0", "exp(exp(x))", "log(log(x))", "tan(x)*y",
                     "x^0.5 + y^0.5", "abs(x)", "-log(x*y)", "1/(x^2+y^2)"]),
    st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=30),
)
NUMBER_TEXT = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-10**6, 10**6).map(str),
    st.sampled_from(["", "nan", "inf", "-0", "1e308", "1e-320", "abc", "1,2"]),
)
BOUNDS = st.one_of(
    st.tuples(st.floats(-20, 20), st.floats(-20, 20), st.floats(-20, 20), st.floats(-20, 20)).map(
        lambda b: ",".join(repr(v) for v in b)),
    st.sampled_from(["-5,5,-5,5", "0,1,0,1", "0.001,2,0.001,2", "-1e6,1e6,-1e6,1e6", "1,1,1,1", "-3,3,-3,3"]),
)
OPTIMIZER_LISTS = st.lists(st.sampled_from(list(OPTIMIZERS)), min_size=1, max_size=4, unique=True).map(",".join)


@st.composite
def links(draw) -> dict[str, str]:
    """A query string as a link could carry it: mostly plausible, often broken."""
    query: dict[str, str] = {}
    if draw(st.booleans()):
        query.update(surface="custom", f=draw(FORMULAS), bounds=draw(BOUNDS))
    else:
        query["surface"] = draw(st.sampled_from([*SURFACES, *MODELS, *MODELS, "custom", "nope"]))
    if query["surface"] in MODELS:  # a data surface: its data settings, plausible or broken
        for key, plausible in (("samples", ["10", "200", "10000", "9", "20000"]), ("data_seed", ["0", "7", "-3"]),
                               ("spread", ["0", "0.05", "1", "5", "10", "11"]), ("outliers", ["0", "0.2", "0.5", "0.6"]),
                               ("batch", ["1", "10", "200", "10000", "0"]), ("data", ["uploaded", "x"])):
            if draw(st.booleans()):
                query[key] = draw(st.sampled_from(plausible) | NUMBER_TEXT)
    optimizers = draw(OPTIMIZER_LISTS)
    query["optimizers"] = optimizers
    if draw(st.booleans()):
        query["start"] = f"{draw(NUMBER_TEXT)},{draw(NUMBER_TEXT)}"
    if draw(st.booleans()):
        query["steps"] = draw(st.sampled_from(["1", "2", "7", "300", "5000", "0", "-1", "x"]))
    if draw(st.booleans()):
        query["noise"] = draw(st.sampled_from(["0", "0.1", "5", "1e4", "-1", "nan"]))
    for oid in optimizers.split(","):
        if draw(st.booleans()):
            spec = draw(st.sampled_from(OPTIMIZERS[oid].hyperparameters))
            query[f"{oid}.{spec.name}"] = draw(st.sampled_from(["true", "false", "maybe"])) if spec.is_bool else draw(
                NUMBER_TEXT | st.sampled_from(["10", "1e-6", "0.999", "1", "0"]))
    if draw(st.booleans()):
        query["view"] = draw(st.sampled_from(["2d", "3d", "4d"]))
    return query


def no_traceback(at: AppTest) -> None:
    assert not at.exception, [e.message for e in at.exception]
    for error in at.error:
        assert "Traceback" not in error.value, error.value


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(links())
def test_any_link_opens_the_page_without_a_traceback(query):
    at = AppTest.from_file("../app.py", default_timeout=TIMEOUT)
    at.query_params.update(query)
    at.run()
    no_traceback(at)


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(FORMULAS, st.tuples(st.floats(-12, 12), st.floats(-12, 12)), OPTIMIZER_LISTS, st.sampled_from([1, 2, 50, 300]))
def test_typed_formulas_and_starts_never_raise_on_the_page(formula, start, optimizers, steps):
    at = AppTest.from_file("../app.py", default_timeout=TIMEOUT)
    at.query_params.update({"optimizers": optimizers})
    at.run()
    at.sidebar.selectbox(key="surface").set_value("custom").run()
    no_traceback(at)
    at.sidebar.text_input(key="formula").set_value(formula).run()
    no_traceback(at)
    at.sidebar.number_input(key="start_x").set_value(start[0]).run()
    at.sidebar.number_input(key="start_y").set_value(start[1]).run()
    at.sidebar.slider(key="steps").set_value(steps).run()
    no_traceback(at)
    at.sidebar.toggle(key="view_3d").set_value(True).run()
    no_traceback(at)


@pytest.mark.parametrize("formula", ["log(x)", "sqrt(x) + y^2", "log(x)+y^2", "log(-x^2 - 1)", "1/x + y"])
def test_restricted_domains_race(formula):
    """The crash as reported: a link carrying f=log(x)+y^2 crashed on every load."""
    at = AppTest.from_file("../app.py", default_timeout=TIMEOUT)
    at.query_params.update({"surface": "custom", "f": formula})
    at.run()
    no_traceback(at)
    assert at.query_params["surface"] == "custom"  # the formula is kept, not refused


def test_a_start_outside_the_domain_is_named_at_the_start_inputs():
    at = AppTest.from_file("../app.py", default_timeout=TIMEOUT)
    at.query_params.update({"surface": "custom", "f": "log(x) + y^2", "start": "-2,1", "optimizers": "sgd,adam"})
    at.run()
    no_traceback(at)
    messages = [e.value for e in at.sidebar.error]
    assert any("(-2, 1)" in m and "not defined" in m for m in messages), messages
    # The runs say where they stopped: at step 0.
    table = next(m.value for m in at.markdown if m.value.startswith("| optimizer |"))
    assert table.count("step 0") >= 2


@settings(max_examples=200, deadline=None, derandomize=True)
@given(links())
def test_from_query_never_raises(query):
    settings_ = from_query(query)
    assert settings_.optimizers


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=10,
)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.one_of(
    JSON_VALUES.map(lambda v: json.dumps(v)),
    st.dictionaries(st.text(max_size=10), JSON_VALUES, max_size=5).map(lambda d: json.dumps({"optviz": 1, **d})),
    links().map(lambda q: json.dumps({"optviz": 1, "settings": q})),
    st.binary(max_size=50),
))
def test_a_json_upload_is_read_or_refused_with_a_value_error(text):
    try:
        restored, _ = export.from_json(text)
    except ValueError as err:
        assert "optviz" in str(err)  # says what the file is not
    else:
        assert restored.optimizers


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(links())
def test_the_command_line_exits_cleanly_on_any_race(query):
    args = ["run", "--format", "csv"]
    options = {"surface": "--surface", "f": "--formula", "bounds": "--bounds", "optimizers": "--optimizers",
               "start": "--start", "steps": "--steps", "noise": "--noise"}
    for key, value in query.items():
        if key in options:
            args += [f"{options[key]}={value}"]
        elif "." in key:
            args += ["--set", f"{key}={value}"]
    try:
        status = cli.main([*args, "--output", "/dev/null"])
    except SystemExit as err:  # argparse's own usage errors
        status = err.code
    assert status in (0, 1, 2)
