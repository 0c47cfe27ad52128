"""The Playground page, run headless with Streamlit's AppTest: every control changes what it should."""

from __future__ import annotations

import base64
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

import optviz
from optviz.engine.presets import suggested_lr, view_tolerance
from optviz.race.settings import from_query, to_query
from optviz.render.figures import CLICK_TRACE

TIMEOUT = 120  # the first run of a fresh install compiles every kernel


def run_app(query: dict | None = None) -> AppTest:
    at = AppTest.from_file("../app.py", default_timeout=TIMEOUT)
    at.query_params.update(query or {})
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def race_spec(at: AppTest) -> dict:
    """The race map as the browser would get it (the first plotly chart on the page)."""
    return json.loads(at.get("plotly_chart")[0].proto.spec)


def decode(values) -> np.ndarray:
    """A coordinate array from figure JSON: a list, or plotly's base64 typed array."""
    if isinstance(values, dict):
        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=np.dtype(values["dtype"]))
    return np.asarray(values, dtype=float)


def paths(at: AppTest) -> dict[str, np.ndarray]:
    """Each optimizer's drawn path, decoded from the figure JSON the browser gets."""
    return {
        d["name"]: np.column_stack([decode(d["x"]), decode(d["y"])])
        for d in race_spec(at)["data"] if d.get("mode") == "lines" and d.get("legendgroup")
    }


def open_panel(at: AppTest, oid: str) -> AppTest:
    """Open an optimizer's expander in the sidebar, as a click on it does (it reruns the page)."""
    at.session_state[f"open.{oid}"] = True
    return at.run()


def trace_names(at: AppTest) -> list[str]:
    return [d.get("name") for d in race_spec(at)["data"]]


def summary(at: AppTest) -> pd.DataFrame:
    """The summary table under the charts, read back from its Markdown."""
    (table,) = [m.value for m in at.markdown if m.value.startswith("| optimizer |")]
    header, _, *rows = table.split("\n")
    split = lambda line: [c.strip() for c in line.strip().strip("|").split(" | ")]  # noqa: E731
    return pd.DataFrame([split(r) for r in rows], columns=split(header))


def test_default_page_races_the_classic_field():
    at = run_app()
    table = summary(at)
    assert list(table["optimizer"]) == ["SGD", "Momentum", "Nesterov (NAG)", "AdaGrad", "AdaDelta", "RMSProp", "Adam"]
    drawn = paths(at)
    # The RMSProp path on screen is the engine's, from the bowl's start with the suggested lr.
    expected = optviz.simulate("quadratic", "rmsprop", (-5.0, -2.0), 300, lr=suggested_lr("quadratic", "rmsprop"))
    np.testing.assert_allclose(drawn["RMSProp"], expected.path, atol=1e-6)
    assert at.query_params["surface"] == "quadratic" and at.query_params["steps"] == "300"
    assert not at.warning  # no notice without a link


def test_surface_choice_moves_start_and_learning_rates():
    at = run_app()
    at.sidebar.selectbox(key="surface").set_value("rosenbrock").run()
    assert not at.exception
    assert at.sidebar.number_input(key="start_x").value == -1.5
    assert at.sidebar.number_input(key="start_y").value == 2.5
    assert at.query_params["surface"] == "rosenbrock"
    assert float(at.query_params["adam.lr"]) == suggested_lr("rosenbrock", "adam")
    assert any(m.value.startswith("**Rosenbrock: 7 optimizers, 1000 steps**") for m in at.markdown)  # above the map
    # Rosenbrock's race is longer by default (its valley is slow); back on the bowl, 300 again.
    assert at.sidebar.slider(key="steps").value == 1000 and at.query_params["steps"] == "1000"
    at.sidebar.selectbox(key="surface").set_value("quadratic").run()
    assert at.sidebar.slider(key="steps").value == 300


def test_optimizer_choice_sets_the_field():
    at = run_app()
    at.sidebar.multiselect(key="optimizers").set_value(["rmsprop", "rprop"]).run()
    assert list(summary(at)["optimizer"]) == ["RMSProp", "RProp"]
    assert at.query_params["optimizers"] == "rmsprop,rprop"


def test_a_hyperparameter_slider_changes_that_path_only():
    at = open_panel(run_app({"optimizers": "rmsprop,adam"}), "rmsprop")
    before = paths(at)
    at.sidebar.select_slider(key="rmsprop.lr").set_value(0.02).run()
    after = paths(at)
    expected = optviz.simulate("quadratic", "rmsprop", (-5.0, -2.0), 300, lr=0.02)
    np.testing.assert_allclose(after["RMSProp"], expected.path, atol=1e-6)
    np.testing.assert_array_equal(after["Adam"], before["Adam"])
    assert at.query_params["rmsprop.lr"] == "0.02"

def test_closed_expanders_draw_no_widgets_and_keep_their_values():
    at = run_app({"optimizers": "rmsprop,adam"})
    assert [e.label for e in at.sidebar.expander] == [":material/circle: RMSProp", ":material/circle: Adam"]
    assert not [w for w in at.sidebar.select_slider if w.key.startswith(("rmsprop.", "adam."))]
    assert not at.sidebar.latex  # the equations come with the widgets

    open_panel(at, "rmsprop").sidebar.select_slider(key="rmsprop.lr").set_value(0.02).run()
    at.sidebar.select_slider(key="rmsprop.alpha").set_value(0.5).run()
    at.session_state["open.rmsprop"] = False
    at.run()
    assert not [w for w in at.sidebar.select_slider if w.key.startswith("rmsprop.")]
    # Closed, the panel's values still drive the race and the link.
    expected = optviz.simulate("quadratic", "rmsprop", (-5.0, -2.0), 300, lr=0.02, alpha=0.5)
    np.testing.assert_allclose(paths(at)["RMSProp"], expected.path, atol=1e-6)
    assert at.query_params["rmsprop.lr"] == "0.02" and at.query_params["rmsprop.alpha"] == "0.5"
    # Reopened, the widgets show them again.
    open_panel(at, "rmsprop")
    assert at.sidebar.select_slider(key="rmsprop.lr").value == 0.02
    assert at.sidebar.select_slider(key="rmsprop.alpha").value == 0.5



def test_switches_reach_the_engine():
    at = open_panel(run_app({"optimizers": "rmsprop"}), "rmsprop")
    at.sidebar.toggle(key="rmsprop.eps_in_sqrt").set_value(True).run()
    at.sidebar.select_slider(key="rmsprop.eps").set_value(0.1).run()
    lr = suggested_lr("quadratic", "rmsprop")
    expected = optviz.simulate("quadratic", "rmsprop", (-5.0, -2.0), 300, lr=lr, eps=0.1, eps_in_sqrt=True)
    np.testing.assert_allclose(paths(at)["RMSProp"], expected.path, atol=1e-6)
    assert at.query_params["rmsprop.eps_in_sqrt"] == "true"


def test_shared_learning_rate_sets_every_lr():
    at = run_app({"optimizers": "sgd,adam"})
    at.sidebar.toggle(key="shared_lr_on").set_value(True).run()
    at.sidebar.select_slider(key="shared_lr").set_value(0.05).run()
    for name, oid in (("SGD", "sgd"), ("Adam", "adam")):
        expected = optviz.simulate("quadratic", oid, (-5.0, -2.0), 300, lr=0.05)
        np.testing.assert_allclose(paths(at)[name], expected.path, atol=1e-6)
    assert open_panel(at, "sgd").sidebar.select_slider(key="sgd.lr").disabled
    assert at.query_params["lr"] == "0.05"


def test_steps_and_start_inputs():
    at = run_app({"optimizers": "adam"})
    at.sidebar.slider(key="steps").set_value(40).run()
    at.sidebar.number_input(key="start_x").set_value(2.0).run()
    at.sidebar.number_input(key="start_y").set_value(1.0).run()
    drawn = paths(at)["Adam"]
    assert len(drawn) == 41 and tuple(drawn[0]) == (2.0, 1.0)
    assert at.query_params["start"] == "2.0,1.0" and at.query_params["steps"] == "40"


def test_noise_and_seed():
    at = run_app({"optimizers": "sgd", "steps": "50"})
    at.sidebar.select_slider(key="noise").set_value(0.5).run()
    at.sidebar.number_input(key="seed").set_value(3).run()
    lr = suggested_lr("quadratic", "sgd")
    expected = optviz.simulate("quadratic", "sgd", (-5.0, -2.0), 50, lr=lr, noise=0.5, seed=3)
    np.testing.assert_allclose(paths(at)["SGD"], expected.path, atol=1e-6)
    noiseless = optviz.simulate("quadratic", "sgd", (-5.0, -2.0), 50, lr=lr)
    assert not np.allclose(expected.path, noiseless.path)
    assert at.query_params["noise"] == "0.5" and at.query_params["seed"] == "3"


def click_map(at: AppTest, x: float, y: float, curve: int = CLICK_TRACE) -> None:
    """What the browser sends when a point of the map is clicked (Streamlit has no public hook)."""
    chart = at.get("plotly_chart")[0]
    selection = {"selection": {"points": [{"curve_number": curve, "point_number": 0, "point_index": 0, "x": x, "y": y}],
                               "point_indices": [0], "box": [], "lasso": []}}
    states = at._tree.get_widget_states()
    widget = states.widgets.add()
    widget.id = chart.proto.id
    widget.string_value = json.dumps(selection)
    at._run(states)
    assert not at.exception, [e.message for e in at.exception]


def test_click_on_the_map_moves_the_start():
    at = run_app({"optimizers": "adam", "steps": "20"})
    click_map(at, 1.5, -0.75)
    assert at.sidebar.number_input(key="start_x").value == 1.5
    assert at.sidebar.number_input(key="start_y").value == -0.75
    assert tuple(paths(at)["Adam"][0]) == (1.5, -0.75)
    assert at.query_params["start"] == "1.5,-0.75"


def test_click_on_another_trace_is_not_a_start():
    at = run_app({"optimizers": "adam", "steps": "20"})
    click_map(at, 0.0, 0.0, curve=CLICK_TRACE + 2)  # the minimum's star
    assert at.sidebar.number_input(key="start_x").value == -5.0


def test_url_round_trip_reproduces_the_race():
    query = {
        "surface": "himmelblau", "optimizers": "rmsprop,nadam", "start": "1.0,-1.0", "steps": "150",
        "rmsprop.lr": "0.03", "rmsprop.alpha": "0.8", "rmsprop.centered": "true", "nadam.lr": "0.2",
        "noise": "0.2", "seed": "11",
    }
    at = run_app(query)
    assert not at.warning
    assert {k: at.query_params[k] for k in query} == query
    expected = optviz.simulate("himmelblau", "rmsprop", (1.0, -1.0), 150, lr=0.03, alpha=0.8, centered=True,
                               noise=0.2, seed=11)
    np.testing.assert_allclose(paths(at)["RMSProp"], expected.path, atol=1e-6)
    # A second visitor with the URL the page wrote sees the same race.
    again = run_app(dict(at.query_params))
    for name, path in paths(at).items():
        np.testing.assert_array_equal(paths(again)[name], path)


@pytest.mark.parametrize(
    "query, mentioned",
    [
        ({"surface": "__import__('os')"}, "surface="),
        ({"steps": "-5"}, "steps="),
        ({"steps": "99999999999999999999"}, "steps="),
        ({"start": "nan,1"}, "start="),
        ({"optimizers": "sgd,bogus", "sgd.lr": "1e400"}, "sgd.lr="),
        ({"rmsprop.alpha": "1.5", "optimizers": "rmsprop"}, "rmsprop.alpha="),
        ({"adam.amsgrad": "sure"}, "adam.amsgrad="),
        ({"noise": "NaN"}, "noise="),
        ({"camera": "1,2,3", "view": "3d"}, "camera="),
        ({"%00": "\x00"}, "not a setting"),
    ],
)
def test_tampered_urls_open_with_defaults_and_a_notice(query, mentioned):
    at = run_app(query)
    assert at.warning and mentioned in at.warning[0].value
    assert len(summary(at)) >= 1  # the race still runs


def test_diverging_run_is_reported_not_raised():
    at = run_app({"optimizers": "sgd,adam", "sgd.lr": "10"})
    table = summary(at)
    sgd = table[table["optimizer"] == "SGD"].iloc[0]
    expected = optviz.simulate("quadratic", "sgd", (-5.0, -2.0), 300, lr=10.0)
    assert sgd["diverged at"] == f"step {expected.diverged_at}"
    assert f"SGD: diverged at step {expected.diverged_at}" in trace_names(at)


def test_no_optimizer_chosen_says_what_to_do():
    at = run_app()
    at.sidebar.multiselect(key="optimizers").set_value([]).run()
    assert not at.exception
    assert any("Choose optimizers" in i.value for i in at.info)


def test_3d_view_and_camera():
    at = run_app({"optimizers": "adam", "view": "3d", "camera": "90,0"})
    spec = race_spec(at)
    assert spec["data"][0]["type"] == "surface"
    eye = spec["layout"]["scene"]["camera"]["eye"]
    assert eye["y"] == pytest.approx(2.2) and abs(eye["x"]) < 1e-9
    at.sidebar.slider(key="camera_el").set_value(45.0).run()
    assert at.query_params["camera"] == "90.0,45.0"


def test_the_sliders_turn_a_mouse_view_keeping_its_zoom_and_centre():
    at = run_app({"optimizers": "adam", "view": "3d", "camera": "0,0"})
    # As the camera keeper leaves it after a drag and a zoom: seen from +x, 3 away from (1, 0, 0).
    camera = {"eye": {"x": 4.0, "y": 0.0, "z": 0.0}, "center": {"x": 1.0, "y": 0.0, "z": 0.0},
              "up": {"x": 0.0, "y": 0.0, "z": 1.0}}
    at.session_state["_camera_view"] = {"angles": (0.0, 0.0), "camera": camera}
    at.run()
    assert race_spec(at)["layout"]["scene"]["camera"] == camera  # drawn exactly as the mouse left it
    at.sidebar.slider(key="camera_az").set_value(90.0).run()
    turned = race_spec(at)["layout"]["scene"]["camera"]
    # from +y now, still 3 from the same centre: eye = (1, 3, 0)
    assert turned["eye"] == pytest.approx({"x": 1.0, "y": 3.0, "z": 0.0}, abs=1e-9)
    assert turned["center"] == camera["center"] and turned["up"] == camera["up"]
    assert at.query_params["camera"] == "90.0,0.0"


def test_summary_uses_the_view_tolerance():
    at = run_app({"optimizers": "sgd"})
    # 0.0134164... as read: rounded, and said what it is
    assert view_tolerance("quadratic") == math.hypot(12, 6) / 1000
    assert "reached minimum (distance ≤ 0.013, 1/1000 of the view)" in summary(at).columns


def test_page_settings_equal_the_module_round_trip():
    """The URL the page writes is exactly what optviz.race.settings produces for the same race."""
    at = run_app({"optimizers": "rprop", "rprop.eta_plus": "1.5"})
    assert dict(at.query_params) == to_query(from_query({"optimizers": "rprop", "rprop.eta_plus": "1.5"}))


def test_optimizers_page_lists_every_registry_entry():
    at = AppTest.from_file("../app.py", default_timeout=TIMEOUT).run()
    at.switch_page("views/optimizers.py").run()
    assert not at.exception
    text = " ".join(m.value for m in at.markdown)
    for opt in optviz.OPTIMIZERS.values():
        assert opt.name in text
    for surf in optviz.SURFACES.values():
        assert surf.name in text


def test_custom_formula_races_and_a_bad_one_keeps_the_last_good_surface():
    at = run_app({"optimizers": "sgd,adam", "steps": "100"})
    at.sidebar.selectbox(key="surface").set_value("custom").run()
    at.sidebar.slider(key="steps").set_value(100).run()  # a new surface brings its own steps
    at.sidebar.text_input(key="formula").set_value("(x - 1)^2 + 3*(y + 1)^2").run()
    assert not at.sidebar.error
    # The race runs on the typed surface: SGD's path is the closed form of gradient descent on it.
    lr = float(at.query_params["sgd.lr"])
    start = tuple(float(v) for v in at.query_params["start"].split(","))
    t = np.arange(101)
    expected_x = 1 + (start[0] - 1) * (1 - 2 * lr) ** t
    expected_y = -1 + (start[1] + 1) * (1 - 6 * lr) ** t
    np.testing.assert_allclose(paths(at)["SGD"], np.column_stack([expected_x, expected_y]), atol=1e-6)  # drawn to 6 decimals
    assert at.query_params["f"] == "(x - 1)^2 + 3*(y + 1)^2" and at.query_params["surface"] == "custom"
    good = paths(at)

    at.sidebar.text_input(key="formula").set_value("x**2 + os.system(1)").run()
    assert not at.exception
    assert "attribute access" in at.sidebar.error[0].value and "column" in at.sidebar.error[0].value
    for name, path in paths(at).items():  # the previous surface still races
        np.testing.assert_array_equal(path, good[name])
    assert at.query_params["f"] == "(x - 1)^2 + 3*(y + 1)^2"  # the link keeps the formula that works


def test_custom_formula_from_a_link_and_a_hostile_one():
    at = run_app({"surface": "custom", "f": "x^2 + 10*sin(y)", "bounds": "-3,3,-3,3", "optimizers": "adam"})
    assert not at.warning and at.sidebar.text_input(key="formula").value == "x^2 + 10*sin(y)"
    assert at.sidebar.number_input(key="x_min").value == -3.0
    hostile = run_app({"surface": "custom", "f": "__import__('os').system('touch /tmp/optviz_pwned')"})
    assert "Ignored the formula" in hostile.warning[0].value
    assert not __import__("os").path.exists("/tmp/optviz_pwned")
    assert hostile.query_params["surface"] == "quadratic"


def test_link_values_off_the_slider_grids_are_kept_exactly():
    query = {"optimizers": "rmsprop", "noise": "0.15", "seed": "4", "rmsprop.lr": "0.0123", "rmsprop.alpha": "0.12345"}
    at = run_app(query)
    assert not at.warning
    assert {k: at.query_params[k] for k in query} == query
    assert at.sidebar.select_slider(key="noise").value == 0.15


def test_without_a_browser_image_export_explains_and_the_rest_still_works(monkeypatch, tmp_path):
    import streamlit as st

    monkeypatch.setenv("BROWSER_PATH", str(tmp_path / "no-such-browser"))
    st.cache_resource.clear()  # the page checks for a browser once per process
    try:
        at = run_app({"optimizers": "adam"})
        labels = [b.label for b in at.get("download_button")]
        assert "PNG" not in labels and "SVG" not in labels and "PDF" not in labels
        assert {"GIF", "MP4", "Interactive HTML", "NumPy script", "PyTorch script"} <= set(labels)
        assert any("apt-get install chromium" in i.value for i in at.info)
    finally:
        st.cache_resource.clear()


def test_every_export_button_is_offered_with_a_browser():
    at = run_app({"optimizers": "adam"})
    labels = [b.label for b in at.get("download_button")]
    assert labels == ["PNG", "SVG", "PDF", "GIF", "MP4", "Interactive HTML", "CSV (every step, with state)",
                      "JSON (settings + paths)", "NumPy script", "PyTorch script"]


def test_custom_formula_in_3d():
    at = run_app({"surface": "custom", "f": "x^2 + 10*sin(y)", "bounds": "-3,3,-3,3", "optimizers": "adam",
                  "view": "3d"})
    spec = race_spec(at)
    # the surface; the minima and the start; Adam's path and its head
    assert [d["type"] for d in spec["data"]] == ["surface", "scatter3d", "scatter3d", "scatter3d", "scatter3d"]
    surface = spec["data"][0]
    assert len(decode(surface["x"])) == 80 and decode(surface["x"])[0] == -3.0


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"surface": "himmelblau", "optimizers": "rmsprop,nadam", "start": "1.0,-1.0", "steps": "150",
         "rmsprop.lr": "0.03", "rmsprop.centered": "true", "noise": "0.2", "seed": "11"},
        {"optimizers": "sgd,adam", "lr": "0.05", "speed": "2.0"},
        {"optimizers": "rmsprop", "noise": "0.15", "seed": "4", "rmsprop.lr": "0.0123", "rmsprop.alpha": "0.12345"},
        {"surface": "custom", "f": "x^2 + 10*sin(y)", "bounds": "-3,3,-3,3", "optimizers": "adam"},
        {"steps": "-5", "rmsprop.alpha": "1.5"},  # tampered: defaults and a notice
    ],
    ids=["default", "link", "shared-lr", "off-grid", "custom", "tampered"],
)
def test_a_first_visit_draws_its_map_once_before_the_sidebar(query):
    # The first run draws the link's race before the sidebar, then checks it against what the
    # sidebar reads back; a disagreement would rerun the page (and be recorded).
    at = run_app(query)
    assert "_early_map_missed" not in at.session_state
    assert len(at.get("plotly_chart")) == 3  # the map, the loss and the distance charts: nothing drawn twice
    from optviz.race.run import run_race
    from optviz.race.settings import complete

    runs = {t.optimizer: t for t in run_race(complete(from_query(query)))[0]}
    for oid, t in runs.items():
        name = optviz.OPTIMIZERS[oid].name
        drawn = next(p for label, p in paths(at).items() if label == name or label.startswith(f"{name}: "))
        np.testing.assert_allclose(drawn, t.path, atol=1e-6)


def test_a_first_visit_runs_its_race_once_even_with_notices(monkeypatch):
    # The early map and the map after the sidebar share one cached run: a link's notices are
    # not part of the race (they once made a second cache key, and a second run).
    from optviz.race import run as race

    calls = []
    real = race.run_race

    def counting(settings):
        calls.append(settings)
        return real(settings)

    monkeypatch.setattr(race, "run_race", counting)
    at = run_app({"optimizers": "sgd,adam", "steps": "-5"})
    assert at.warning and "steps=" in at.warning[0].value
    assert len([s for s in calls if s.optimizers == ("sgd", "adam")]) == 1


def test_a_links_text_is_shown_as_typed_not_as_markdown():
    # A notice quotes what the link held: __import__ once showed as a bold "import".
    at = run_app({"surface": "custom", "f": "__import__(1)*$x$"})
    notice = at.warning[0].value
    assert r"\_\_import\_\_(1)\*\$x\$" in notice


FIRST_PAGE_MODULES = """
import sys
from streamlit.testing.v1 import AppTest
at = AppTest.from_file("app.py", default_timeout=300)
at.run()
assert not at.exception, at.exception
print(sorted(m for m in ("sympy", "optviz.engine.simulate") if m in sys.modules))
"""


def test_a_first_page_does_not_load_sympy():
    # SymPy (for typed formulas) took 0.3 s of a first page's server time, before its map.
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", FIRST_PAGE_MODULES], cwd=root, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "['optviz.engine.simulate']"  # the page ran its race, without SymPy


def test_decay_sliders_stop_at_the_values_people_use_and_links_keep_them_exact():
    at = open_panel(run_app({"optimizers": "rmsprop,adam"}), "rmsprop")
    alpha = at.sidebar.select_slider(key="rmsprop.alpha")
    assert {"0.9", "0.99", "0.999", "0.9999"} <= set(alpha.options)  # as shown
    alpha.set_value(0.99).run()
    assert at.query_params["rmsprop.alpha"] == "0.99"  # torch's default, exactly (it was 0.9049095 and the like)
    expected = optviz.simulate("quadratic", "rmsprop", (-5.0, -2.0), 300, lr=suggested_lr("quadratic", "rmsprop"),
                               alpha=0.99)
    np.testing.assert_allclose(paths(at)["RMSProp"], expected.path, atol=1e-6)
    open_panel(at, "adam").sidebar.select_slider(key="adam.beta2").set_value(0.9999).run()
    assert at.query_params["adam.beta2"] == "0.9999"
    # A link's value between the stops is kept exactly, as a stop of its own.
    linked = open_panel(run_app({"optimizers": "rmsprop", "rmsprop.alpha": "0.9049095"}), "rmsprop")
    assert linked.sidebar.select_slider(key="rmsprop.alpha").value == 0.9049095


def test_a_shared_rate_shows_in_every_optimizers_greyed_slider_and_their_own_comes_back():
    at = open_panel(run_app({"optimizers": "sgd,adam", "sgd.lr": "0.02"}), "sgd")
    at.sidebar.toggle(key="shared_lr_on").set_value(True).run()
    at.sidebar.select_slider(key="shared_lr").set_value(0.05).run()
    greyed = at.sidebar.select_slider(key="sgd.lr")
    assert greyed.disabled and greyed.value == 0.05  # it showed SGD's own 0.02 before
    at.sidebar.toggle(key="shared_lr_on").set_value(False).run()
    own = at.sidebar.select_slider(key="sgd.lr")
    assert not own.disabled and own.value == 0.02 and at.query_params["sgd.lr"] == "0.02"


def test_axes_share_one_scale_unless_switched_off():
    at = run_app({"optimizers": "adam"})
    assert race_spec(at)["layout"]["yaxis"]["scaleanchor"] == "x" and "axes" not in at.query_params
    at.sidebar.toggle(key="equal_axes").set_value(False).run()
    assert "scaleanchor" not in race_spec(at)["layout"]["yaxis"] and at.query_params["axes"] == "free"
    assert "scaleanchor" not in race_spec(run_app({"optimizers": "adam", "axes": "free"}))["layout"]["yaxis"]


def test_a_pill_in_the_colour_key_singles_out_its_optimizer():
    at = run_app({"optimizers": "sgd,rmsprop,adam"})
    key = at.get("button_group")[0]
    assert list(key.options) == ["SGD", "RMSProp", "Adam"] and key.value is None
    key.set_value("rmsprop").run()
    faded = {d["name"]: d.get("opacity") for d in race_spec(at)["data"] if d.get("mode") == "lines"}
    assert faded["RMSProp"] is None and faded["SGD"] < 0.3 and faded["Adam"] < 0.3
    assert at.query_params["focus"] == "rmsprop"
    # The link opens the race focused the same way; clicking the pill again shows all.
    linked = run_app({"optimizers": "sgd,rmsprop,adam", "focus": "rmsprop"})
    assert [d.get("opacity") for d in race_spec(linked)["data"] if d.get("name") == "SGD"] == [faded["SGD"]]
    at.get("button_group")[0].set_value(None).run()
    assert "focus" not in at.query_params
    assert all(d.get("opacity") is None for d in race_spec(at)["data"] if d.get("mode") == "lines")


def test_a_formula_syntax_error_says_where_and_what():
    at = run_app({"optimizers": "adam"})
    at.sidebar.selectbox(key="surface").set_value("custom").run()
    at.sidebar.text_input(key="formula").set_value("x**").run()
    (message,) = [e.value for e in at.sidebar.error]
    assert "(column 2)" in message and "needs a value after it" in message and "grammar" not in message


def test_the_reference_page_gives_torchs_defaults_and_why_each_start():
    at = AppTest.from_file("../app.py", default_timeout=TIMEOUT).run()
    at.switch_page("views/optimizers.py").run()
    assert not at.exception
    tables = [t.value for t in at.dataframe]
    rmsprop = next(t for t in tables if "alpha" in list(t["name"]) and "centered" in list(t["name"]))
    row = rmsprop[rmsprop["name"] == "alpha"].iloc[0]
    assert row["default here"] == "0.9" and row["torch.optim's default"] == "0.99"
    text = " ".join(m.value for m in at.markdown)
    for surface in optviz.SURFACES.values():
        assert surface.why_start in text


def test_looking_inside_draws_state_and_arrows_beneath_the_map():
    at = run_app({"optimizers": "sgd,rmsprop", "steps": "40"})
    at.selectbox(key="inside").set_value("rmsprop").run()
    spec = race_spec(at)
    assert at.query_params["inside"] == "rmsprop"
    beneath = [d for d in spec["data"] if d.get("yaxis") in ("y2", "y3") and d.get("name")]
    assert {d["name"] for d in beneath} >= {"square_avg (x)", "square_avg (y)", "step size (x)", "step size (y)"}
    run = optviz.simulate("quadratic", "rmsprop", (-5.0, -2.0), 40, lr=suggested_lr("quadratic", "rmsprop"))
    size = next(d for d in beneath if d["name"] == "step size (y)")
    np.testing.assert_allclose(decode(size["y"]), run.state["effective_lr"][1:, 1], rtol=1e-12)
    # The arrows at a middle frame: from RMSProp's point at that step, the step taken and -lr g.
    frame = spec["frames"][len(spec["frames"]) // 2]
    step = int(frame["name"])
    taken, plain = frame["data"][-4], frame["data"][-3]
    np.testing.assert_allclose(np.column_stack([taken["x"], taken["y"]]), run.path[step:step + 2], atol=1e-6)
    lr = run.hyperparameters["lr"]
    g = np.array([0.2 * run.path[step, 0], 4.0 * run.path[step, 1]])  # the bowl's gradient, by hand
    np.testing.assert_allclose([plain["x"][1], plain["y"][1]], run.path[step] - lr * g, atol=1e-6)
    # Dropping the optimizer looked at closes the panel instead of failing.
    at.sidebar.multiselect(key="optimizers").set_value(["sgd"]).run()
    assert not at.exception and "inside" not in at.query_params
