"""The "Why RMSProp" page: its numbers against independent derivations, every control, its link."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import optviz
from optviz.engine.conventions import CONVENTION, CONVENTIONS
from optviz.race.why import (
    WhySettings,
    batches_text,
    bowl_runs,
    convention_runs,
    largest_gap,
    read_batches,
    why_from_query,
    why_to_query,
)

TIMEOUT = 120


def open_page(query: dict | None = None) -> AppTest:
    at = AppTest.from_file("../app.py", default_timeout=TIMEOUT).run()
    at.query_params.clear()  # as a browser opening /why-rmsprop with its own link
    at.query_params.update(query or {})
    at.switch_page("views/why_rmsprop.py").run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def chart(at: AppTest, key: str) -> dict:
    return json.loads(next(c for c in at.get("plotly_chart") if c.proto.id.endswith(key) or key in c.proto.id).proto.spec)


def lines(spec: dict) -> dict[str, np.ndarray]:
    return {d["name"]: np.asarray(d["y"], dtype=float) for d in spec["data"] if "name" in d and isinstance(d["y"], list)}


def test_dive_into_deep_learnings_example_ends_where_the_book_prints():
    # d2l sec. 12.8: eta 0.4, gamma 0.9, eps 1e-6 inside the root, from (-5, -2): "x1: -0.010599, x2: 0.000000"
    rmsprop = bowl_runs(WhySettings())[1]
    assert len(rmsprop.path) == 21
    assert f"{rmsprop.final[0]:f}" == "-0.010599" and f"{rmsprop.final[1]:f}" == "0.000000"
    # and step by step, the book's own loop written out here
    x1, x2, s1, s2 = -5.0, -2.0, 0.0, 0.0
    for _ in range(20):
        g1, g2 = 0.2 * x1, 4 * x2
        s1, s2 = 0.9 * s1 + 0.1 * g1**2, 0.9 * s2 + 0.1 * g2**2
        x1, x2 = x1 - 0.4 / math.sqrt(s1 + 1e-6) * g1, x2 - 0.4 / math.sqrt(s2 + 1e-6) * g2
    np.testing.assert_allclose(rmsprop.final, (x1, x2), rtol=1e-12, atol=1e-15)


def tf1_apply_rmsprop(lr, gradients, start, rho=0.9, momentum=0.0, epsilon=1e-10):
    """TensorFlow 1's ApplyRMSProp kernel (training_ops.cc) on one weight, ms starting at ones."""
    var, ms, mom, out = start, 1.0, 0.0, [start]
    for g in gradients:
        ms += (g * g - ms) * (1 - rho)
        mom = mom * momentum + (g * lr) / math.sqrt(ms + epsilon)
        var -= mom
        out.append(var)
    return np.array(out)


def keras_rmsprop(lr, gradients, start, rho=0.9, epsilon=1e-7, momentum=0.0):
    """Keras 3's update_step (keras/src/optimizers/rmsprop.py), velocity starting at zeros."""
    var, velocity, m, out = start, 0.0, 0.0, [start]
    for g in gradients:
        velocity = rho * velocity + (1 - rho) * g * g
        increment = lr * g / math.sqrt(velocity + epsilon)
        if momentum > 0:
            m = momentum * m + increment
            var -= m
        else:
            var -= increment
        out.append(var)
    return np.array(out)


@pytest.mark.parametrize("momentum", [0.0, 0.7])
def test_the_tf1_and_keras_presets_follow_those_libraries(momentum):
    gradients = np.random.default_rng(1).normal(size=80)
    for cid, reference in (("tf1", tf1_apply_rmsprop), ("keras", keras_rmsprop)):
        values = CONVENTION[cid].values
        ours = optviz.replay("rmsprop", gradients, 0.3, lr=0.01, momentum=momentum, **values)
        # lr enters before the momentum buffer there, after it here: the same points to rounding
        np.testing.assert_allclose(ours, reference(0.01, gradients, 0.3, momentum=momentum), rtol=1e-11, atol=1e-14)


def test_every_preset_cites_its_source_and_races():
    runs = convention_runs(WhySettings())
    assert len(runs) == len(CONVENTIONS) == 6
    assert all(c.source and ("lines" in c.source or "line" in c.source) for c in CONVENTIONS)
    assert all(r.diverged_at is None for r in runs)


def test_the_largest_gap_is_the_largest_distance_at_one_step():
    runs = convention_runs(WhySettings())
    gap, step, i, j = largest_gap(runs)
    brute = max((np.hypot(*(a.path[k] - b.path[k])), k, x, y) for x, a in enumerate(runs) for y, b in enumerate(runs)
                if x < y for k in range(min(len(a.path), len(b.path))))
    assert (gap, step, i, j) == pytest.approx(brute)
    assert {CONVENTIONS[i].id, CONVENTIONS[j].id} == {"pytorch", "tf1"}  # v starting at 1 damps TF1's first steps


def test_batches_read_and_write_as_text():
    assert read_batches("9x0.1, -0.9") == (0.1,) * 9 + (-0.9,)
    assert read_batches("3*1, -3") == (1.0, 1.0, 1.0, -3.0)
    assert batches_text((0.1,) * 9 + (-0.9,)) == "9x0.1, -0.9"
    for bad in ("", "abc", "0.1, nan", "200x1", "1,,2"):
        with pytest.raises(ValueError):
            read_batches(bad)


def test_the_link_round_trip_and_a_tampered_link():
    s = WhySettings(batches=(0.5, -0.5), cycles=200, shuffled=True, seed=4, decay=0.99, lr=0.003, bowl_lr=0.1,
                    bowl_steps=50, conv_surface="rosenbrock", conv_lr=0.002, conv_steps=400)
    assert why_from_query(why_to_query(s)) == s
    bad = why_from_query({"g": "x", "cycles": "0", "decay": "1.5", "order": "random", "nope": "1"})
    assert bad == WhySettings() and len(bad.notices) == 5


def test_every_control_changes_what_it_should():
    at = open_page()
    drift_before = lines(chart(at, "why_drift"))["RMSProp"]
    weights_before = lines(chart(at, "why_weights"))
    at.text_input(key="why_batches").set_value("5x0.2, -1").run()
    assert at.query_params["g"] == "5x0.2, -1.0"
    assert len(lines(chart(at, "why_weights"))["SGD"]) == 6 * 50 + 1
    at.slider(key="why_cycles").set_value(20).run()
    assert len(lines(chart(at, "why_weights"))["SGD"]) == 6 * 20 + 1 and at.query_params["cycles"] == "20"
    at.get("button_group")[0].set_value(True).run()  # shuffled
    at.number_input(key="why_seed").set_value(3).run()
    assert at.query_params["order"] == "shuffled" and at.query_params["seed"] == "3"
    at.select_slider(key="why_lr").set_value(0.02).run()
    assert at.query_params["lr"] == "0.02"
    at.select_slider(key="why_decay").set_value(0.99).run()
    assert at.query_params["decay"] == "0.99"
    assert not np.array_equal(lines(chart(at, "why_drift"))["RMSProp"], drift_before)
    assert not np.array_equal(lines(chart(at, "why_weights"))["SGD"], weights_before["SGD"])
    at.select_slider(key="why_bowl_lr").set_value(0.1).run()
    at.slider(key="why_bowl_steps").set_value(40).run()
    assert at.query_params["bowl_lr"] == "0.1" and at.query_params["bowl_steps"] == "40"
    at.selectbox(key="why_conv_surface").set_value("himmelblau").run()
    at.select_slider(key="why_conv_lr").set_value(0.01).run()
    at.slider(key="why_conv_steps").set_value(300).run()
    assert (at.query_params["conv_surface"], at.query_params["conv_lr"], at.query_params["conv_steps"]) == (
        "himmelblau", "0.01", "300")
    assert not at.exception


def test_bad_gradients_are_named_at_their_box_and_the_charts_stay():
    at = open_page()
    before = lines(chart(at, "why_weights"))["SGD"]
    at.text_input(key="why_batches").set_value("0.1, banana").run()
    assert any("cannot be used" in e.value and "banana" in e.value for e in at.error)
    np.testing.assert_array_equal(lines(chart(at, "why_weights"))["SGD"], before)


def test_a_link_opens_the_page_as_it_was():
    at = open_page({"g": "4x0.25, -1", "cycles": "30", "decay": "0.95"})
    assert at.text_input(key="why_batches").value == "4x0.25, -1.0"
    assert at.select_slider(key="why_decay").value == 0.95
    assert len(lines(chart(at, "why_weights"))["RMSProp"]) == 5 * 30 + 1
