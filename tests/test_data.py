"""Data surfaces: two-weight models trained on samples, with true mini-batches."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from test_playground_app import run_app

import optviz
from optviz.engine.data import (
    MAX_SAMPLE_STEPS,
    DataError,
    batch_gradient,
    batch_schedule,
    data_surface,
    generate,
    read_csv,
)
from optviz.engine.optimizers import get_optimizer, resolve_hyperparameters
from optviz.engine.simulate import STATE_WIDTH, _integrate, _integrate_minibatch, grid_values, minima_array
from optviz.out.codegen import numpy_script, pytorch_script
from optviz.out.export import from_json, to_json
from optviz.race.run import run_race
from optviz.race.settings import RaceSettings, complete, from_query, surface_of, to_query

ROOT = Path(__file__).resolve().parents[1]
LOGISTIC = data_surface(generate("logistic_regression", 200, 0))
LINEAR = data_surface(generate("linear_regression", 200, 0, outliers=0.05))


def numpy_loss(surface, w: float, b: float, rows=slice(None)) -> tuple[float, float, float]:
    """The mean loss and gradient written with NumPy arrays (log-add-exp for the cross-entropy)."""
    x, y = surface.data.x[rows], surface.data.y[rows]
    z = w * x + b
    if surface.id == "logistic_regression":
        p = 1.0 / (1.0 + np.exp(-z))
        return float(np.mean(np.logaddexp(0.0, z) - y * z)), float(np.mean((p - y) * x)), float(np.mean(p - y))
    r = z - y
    return float(np.mean(r * r)), float(np.mean(2 * r * x)), float(np.mean(2 * r))


@pytest.mark.parametrize("surface", [LOGISTIC, LINEAR], ids=["logistic", "linear"])
def test_loss_and_gradient_against_numpy_and_central_differences(surface):
    rng = np.random.default_rng(1)
    for w, b in rng.uniform(-6, 6, (20, 2)):
        f, gw, gb = surface.value_and_grad(w, b)
        expected = numpy_loss(surface, w, b)
        np.testing.assert_allclose((f, gw, gb), expected, rtol=1e-12, atol=1e-14)
        h = 1e-6
        dw = (surface.value_and_grad(w + h, b)[0] - surface.value_and_grad(w - h, b)[0]) / (2 * h)
        db = (surface.value_and_grad(w, b + h)[0] - surface.value_and_grad(w, b - h)[0]) / (2 * h)
        np.testing.assert_allclose((gw, gb), (dw, db), rtol=1e-6, atol=1e-8)


def test_a_huge_logit_does_not_overflow():
    f, gw, gb = LOGISTIC.value_and_grad(1e6, 0.0)
    assert np.isfinite([f, gw, gb]).all() and f > 1e4  # the misclassified samples cost |z| each


def test_the_minimum_is_least_squares_or_a_zero_gradient():
    (m,) = LINEAR.minima
    w, b = np.polyfit(LINEAR.data.x, LINEAR.data.y, 1)
    assert (m.x, m.y) == pytest.approx((w, b), abs=1e-10)
    (m,) = LOGISTIC.minima
    _, gw, gb = LOGISTIC.value_and_grad(m.x, m.y)
    assert abs(gw) < 1e-12 and abs(gb) < 1e-12
    assert LOGISTIC.approximate_minima


def test_separable_classes_have_no_minimum():
    surface = data_surface(generate("logistic_regression", 100, 0, spread=0.05))
    assert surface.minima == () and "separable" in surface.note
    t = optviz.simulate(surface, "adam", steps=300, lr=0.1)
    assert t.loss[-1] < t.loss[0] and t.diverged_at is None


def test_the_batches_of_each_epoch_partition_the_samples():
    b = batch_schedule(103, 10, 60, seed=4)
    assert b.per_epoch == 11
    for epoch in range(60 // 11):
        steps = range(epoch * 11 + 1, epoch * 11 + 12)
        sizes = [len(b[t]) for t in steps]
        assert sizes == [10] * 10 + [3]  # the last batch of an epoch holds the 3 left over
        together = np.concatenate([b[t] for t in steps])
        assert sorted(together.tolist()) == list(range(103))
        assert all(np.all(np.diff(b[t]) > 0) for t in steps)  # each batch sorted
    first, second = [b[t].tolist() for t in range(1, 12)], [b[t].tolist() for t in range(12, 23)]
    assert first != second  # a new permutation each epoch
    again = batch_schedule(103, 10, 60, seed=4)
    np.testing.assert_array_equal(again.indices, b.indices)
    assert not np.array_equal(batch_schedule(103, 10, 60, seed=5).indices, b.indices)


def test_a_schedule_too_large_is_refused():
    with pytest.raises(ValueError, match="too many"):
        batch_schedule(10_000, 5_000, MAX_SAMPLE_STEPS // 5_000 + 1, 0)


def test_batch_size_equal_to_the_samples_is_the_full_batch_path_bit_for_bit():
    full = optviz.simulate(LOGISTIC, "rmsprop", steps=200, lr=0.02)
    every = optviz.simulate(LOGISTIC, "rmsprop", steps=200, lr=0.02, batch_size=200)
    np.testing.assert_array_equal(full.path, every.path)
    assert every.batches.full and every.batches.batch_size == 200
    # the mini-batch loop itself, fed every sample in order each step, takes the same steps
    opt = get_optimizer("rmsprop")
    h = resolve_hyperparameters(opt, {"lr": 0.02})
    outputs = []
    for kernel, extra in ((_integrate, ()), (_integrate_minibatch, None)):
        path, loss, states = np.empty((201, 2)), np.empty(201), np.empty((201, 2, STATE_WIDTH))
        x0, y0 = LOGISTIC.start
        common = (opt.index, h, x0, y0, 200, 0.0, 0, minima_array(LOGISTIC), 1e-3)
        if extra is None:
            indices, offsets = np.tile(np.arange(200), 200), np.arange(201) * 200
            kernel(LOGISTIC.address, *common, indices, offsets, path, loss, states)
        else:
            kernel(LOGISTIC.index, LOGISTIC.address, *common, path, loss, states)
        outputs.append(path)
    np.testing.assert_array_equal(outputs[0], outputs[1])


def test_mini_batch_sgd_and_momentum_against_a_numpy_loop():
    lr, momentum = 0.3, 0.9
    t = optviz.simulate(LINEAR, "momentum", steps=150, lr=lr, momentum=momentum, batch_size=16, seed=3)
    assert len(t.batches) == 150 and [len(t.batches[k]) for k in range(13, 14)] == [8]  # 200 = 12 x 16 + 8
    p, buf = np.array(t.start), None
    for k in range(1, 151):
        g = np.array(numpy_loss(LINEAR, *p, rows=t.batches[k])[1:])
        buf = g if buf is None else momentum * buf + g  # torch: the buffer starts at the first gradient
        p = p - lr * buf
        np.testing.assert_allclose(t.path[k], p, rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(t.loss[-1], numpy_loss(LINEAR, *t.path[-1])[0], rtol=1e-13)  # the full-batch loss


def test_batch_gradient_is_the_numpy_mean_over_the_batch():
    rows = np.array([3, 17, 150])
    np.testing.assert_allclose(batch_gradient(LOGISTIC, 0.7, -0.2, rows), numpy_loss(LOGISTIC, 0.7, -0.2, rows)[1:],
                               rtol=1e-13)


def test_batch_size_off_a_data_surface_or_out_of_range_is_refused():
    with pytest.raises(ValueError, match="applies only to a data surface"):
        optviz.simulate("quadratic", "sgd", steps=3, batch_size=4)
    for bad in (0, 201, 2.5, True):
        with pytest.raises(ValueError, match="batch_size"):
            optviz.simulate(LOGISTIC, "sgd", steps=3, batch_size=bad)


def test_the_picture_of_a_data_surface_is_within_a_ten_thousandth_of_the_exact_loss():
    surface = data_surface(generate("logistic_regression", 5000, 2))
    (x_lo, x_hi), (y_lo, y_hi) = surface.bounds
    xs, ys = np.linspace(x_lo, x_hi, 300), np.linspace(y_hi, y_lo, 200)
    picture = grid_values(surface, xs, ys)
    rows, cols = np.arange(0, 200, 23), np.arange(0, 300, 37)
    exact = np.array([[surface.value_and_grad(xs[j], ys[i])[0] for j in cols] for i in rows])
    np.testing.assert_allclose(picture[np.ix_(rows, cols)], exact, rtol=1e-4)


BAD_CSV = {
    "": "empty",
    "a,b\n1,2\n": "line 1: expected the header x,y",
    "x,y\n1,2,3\n": "line 2: expected 2 columns",
    "x,y\n1,0\nfoo,1\n": "line 3, column x: 'foo' is not a number",
    "x,y\n1,0\n2,nan\n": "line 3, column y: 'nan' is not a finite number",
    "x,y\n1,0\n2,inf\n": "line 3, column y: 'inf' is not a finite number",
    "x,y\n1,0\n2,0.5\n": "line 3, column y: '0.5' is not a label",
    "x,y\n1,1\n": "fewer than 2 samples",
    "x,y\n": "fewer than 2 samples",
    "x,y\n" + "1,0\n" * 10_001: "line 10002: too many samples",
    "x,y\n" + "1e7,0\n": "line 2, column x: 1e+07 is out of range",
    "x,y\n" + "1.000000000,0\n" * 100_000: "too large",
}


@pytest.mark.parametrize("text", list(BAD_CSV), ids=[m[:30] for m in BAD_CSV.values()])
def test_every_bad_csv_gets_its_message(text):
    with pytest.raises(DataError) as caught:
        read_csv(text, "logistic_regression")
    assert BAD_CSV[text] in str(caught.value)


def test_a_good_csv_reads_and_regression_takes_any_y():
    data = read_csv("x,y\n0,1.5\n1,-2\n\n2,3\n", "linear_regression")
    np.testing.assert_array_equal(data.x, [0, 1, 2])
    np.testing.assert_array_equal(data.y, [1.5, -2, 3])
    assert data == read_csv("X, Y\n0,1.5\n1,-2\n2,3", "linear_regression")  # the same samples, the same data
    surface = data_surface(data)
    assert surface.data.samples == 3 and surface.minima


def test_a_link_carries_the_data_settings_and_refuses_bad_ones():
    settings = complete(RaceSettings(surface="linear_regression", samples=500, data_seed=7, spread=2.0, outliers=0.1,
                                     batch_size=25, seed=3))
    query = to_query(settings)
    assert {k: query[k] for k in ("samples", "data_seed", "spread", "outliers", "batch", "seed")} == {
        "samples": "500", "data_seed": "7", "spread": "2.0", "outliers": "0.1", "batch": "25", "seed": "3"}
    assert from_query(query) == settings
    bad = from_query({"surface": "logistic_regression", "samples": "5", "spread": "9", "batch": "0", "outliers": "x"})
    assert len(bad.notices) == 4 and bad.samples == 200 and bad.batch_size == 10
    assert any("spread='9'" in n and "class overlap from 0.05 to 5" in n for n in bad.notices)


def test_the_json_export_carries_batches_and_uploaded_samples():
    data = read_csv("x,y\n" + "\n".join(f"{x},{int(x > 0.3)}" for x in np.linspace(-2, 2, 40)) + "\n0.2,1\n0.5,0\n",
                    "logistic_regression")
    settings = complete(RaceSettings(surface="logistic_regression", data=data, batch_size=8, steps=30,
                                     optimizers=("sgd", "rmsprop")))
    runs, _ = run_race(settings)
    document = json.loads(to_json(settings, runs))
    stored = document["trajectories"][1]
    assert stored["batch_size"] == 8 and len(stored["batches"]) == 30
    assert stored["batches"][0] == runs[1].batches[1].tolist()
    assert document["settings"]["data"] == "uploaded" and len(document["data"]["x"]) == 42
    restored, notices = from_json(to_json(settings, runs))
    assert notices == () and restored.data == data and run_race(restored)[0][1].final == runs[1].final
    linked = from_query(document["settings"])  # a link cannot carry the samples: it says so
    assert linked.data is None and any("uploaded samples" in n for n in linked.notices)


def _run_script(tmp_path, name: str, text: str) -> tuple[float, float]:
    path = tmp_path / name
    path.write_text(text)
    done = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": ""})
    assert done.returncode == 0, done.stderr[-2000:]
    x, y = map(float, done.stdout.split()[-2:])
    return x, y


@pytest.mark.parametrize("optimizer", ["sgd", "nesterov", "rmsprop", "rprop", "adam", "adadelta"])
def test_exported_scripts_reproduce_the_mini_batch_path(tmp_path, optimizer):
    settings = complete(RaceSettings(surface="logistic_regression", samples=150, batch_size=10, steps=200,
                                     optimizers=(optimizer,), seed=2))
    (run,), _ = run_race(settings)
    assert _run_script(tmp_path, "n.py", numpy_script(settings, optimizer)) == run.final  # to the last bit
    np.testing.assert_allclose(_run_script(tmp_path, "t.py", pytorch_script(settings, optimizer)), run.final,
                               rtol=0, atol=1e-9)


def test_the_pytorch_script_builds_the_model_in_torch():
    settings = complete(RaceSettings(surface="linear_regression", samples=20, batch_size=5, steps=5,
                                     optimizers=("adam",)))
    script = pytorch_script(settings, "adam")
    assert "torch.nn.Linear(1, 1)" in script and "torch.nn.MSELoss()" in script and "BATCHES = [[" in script


def test_the_cli_trains_logistic_regression_on_mini_batches():
    done = subprocess.run(
        [sys.executable, "-m", "optviz", "run", "--json", "--surface", "logistic_regression", "--samples", "200",
         "--data-seed", "0", "--batch-size", "10", "--optimizers", "rmsprop", "--steps", "50"],
        capture_output=True, text=True, cwd="/", env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=300)
    assert done.returncode == 0, done.stderr
    (stored,) = json.loads(done.stdout)["trajectories"]
    settings = complete(RaceSettings(surface="logistic_regression", optimizers=("rmsprop",), steps=50))
    expected = optviz.simulate(surface_of(settings), "rmsprop", settings.start_point, 50, batch_size=10,
                               tol=stored["tolerance"], **settings.params_of("rmsprop"))
    np.testing.assert_array_equal(np.array(stored["path"]), expected.path)
    assert len(stored["batches"]) == 50 and all(len(b) == 10 for b in stored["batches"])


def test_the_playground_trains_a_model_on_mini_batches():
    at = run_app({"surface": "logistic_regression", "samples": "1000", "batch": "32", "inside": "rmsprop"})
    assert any("mean over 32 of the 1,000 samples" in c.value and "8 left over" in c.value for c in at.caption)
    from test_playground_app import race_spec

    names = [d.get("name") for d in race_spec(at)["data"]]
    assert "mini-batch gradient step (-lr g_batch)" in names and "RMSProp's model" in names
    assert not at.error
