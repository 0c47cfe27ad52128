"""Maps: hyperparameter sweeps and basins of attraction, cell by cell against single runs."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import optviz
from optviz.engine.data import data_surface, generate
from optviz.engine.maps import MAX_SIDE, basins, sweep
from optviz.engine.presets import view_tolerance
from optviz.out.maps import map_csv, map_json
from optviz.race.maps import cell_race, run_basins, run_sweep
from optviz.race.run import run_race
from optviz.race.settings import RaceSettings, complete, surface_of

ROOT = Path(__file__).resolve().parents[1]


def same_as_simulate(result, surface, cells, start_of, params_of, **options) -> None:
    for i, j in cells:
        t = optviz.simulate(surface, result.optimizer, start_of(i, j), result.steps, tol=view_tolerance(surface),
                            **options, **params_of(i, j))
        np.testing.assert_array_equal(result.final[i, j], t.path[-1])
        assert result.final_loss[i, j] == t.loss[-1]
        assert result.diverged_at[i, j] == (-1 if t.diverged_at is None else t.diverged_at)
        assert result.reached_at[i, j] == (-1 if t.reached_at is None else t.reached_at)
        assert result.reached_minimum[i, j] == (-1 if t.reached_minimum is None else t.reached_minimum)


def random_cells(result, count=12, seed=0):
    rng = np.random.default_rng(seed)
    return list(zip(rng.integers(0, len(result.ys), count), rng.integers(0, len(result.xs), count), strict=True))


@pytest.mark.parametrize("surface, optimizer, x, y", [
    ("rosenbrock", "rmsprop", ("lr", np.geomspace(1e-4, 1, 23)), ("alpha", np.linspace(0.5, 0.999, 17))),
    ("himmelblau", "adam", ("lr", np.geomspace(1e-3, 1, 19)), ("eps", np.geomspace(1e-10, 1e-2, 11))),
    ("beale", "momentum", ("momentum", np.linspace(0, 0.99, 15)), ("lr", np.geomspace(1e-5, 1e-2, 13))),
])
def test_random_sweep_cells_equal_single_runs(surface, optimizer, x, y):
    result = sweep(surface, optimizer, None, 300, x=x, y=y)
    assert result.final.shape == (len(y[1]), len(x[1]), 2)
    start = optviz.get_surface(surface).start
    same_as_simulate(result, surface, random_cells(result), lambda i, j: start,
                     lambda i, j: {x[0]: x[1][j], y[0]: y[1][i]})


def test_random_basin_cells_equal_single_runs_with_noise_and_mini_batches():
    result = basins("six_hump_camel", "nesterov", np.linspace(-2, 2, 31), np.linspace(-1.2, 1.2, 21), 400, noise=0.5,
                    seed=9, lr=0.01)
    same_as_simulate(result, "six_hump_camel", random_cells(result), lambda i, j: (result.xs[j], result.ys[i]),
                     lambda i, j: {"lr": 0.01}, noise=0.5, seed=9)
    data = data_surface(generate("logistic_regression", 60, 1))
    mini = basins(data, "rmsprop", np.linspace(-2, 5, 9), np.linspace(-3, 3, 7), 120, batch_size=8, seed=4, lr=0.05)
    same_as_simulate(mini, data, random_cells(mini, 8), lambda i, j: (mini.xs[j], mini.ys[i]),
                     lambda i, j: {"lr": 0.05}, batch_size=8, seed=4)


def test_every_start_on_the_bowl_reaches_its_one_minimum():
    result = basins("quadratic", "sgd", np.linspace(-6, 6, 40), np.linspace(-3, 3, 20), 1000, lr=0.2)
    assert (result.reached_minimum == 0).all() and (result.diverged_at == -1).all()
    # closed form: x shrinks by 1 - 0.2 * 0.2 = 0.96 a step; from |x| = 6 it is within tol after
    # about log(tol / 6) / log(0.96) steps, and no start takes longer
    tol = view_tolerance("quadratic")
    assert result.reached_at.max() <= int(np.ceil(np.log(tol / 6) / np.log(0.96))) + 1


def test_on_a_double_well_the_sign_of_the_start_decides():
    surface = optviz.custom_surface("(x^2 - 1)^2 + y^2", bounds=((-2, 2), (-2, 2)))
    result = basins(surface, "sgd", np.linspace(-1.9, 1.9, 20), np.linspace(-1.9, 1.9, 10), 2000, lr=0.01)
    minima_x = np.array([m.x for m in surface.minima])
    assert sorted(np.round(minima_x, 6)) == [-1.0, 1.0]
    reached_x = minima_x[result.reached_minimum]
    assert (result.reached_minimum >= 0).all()
    assert (np.sign(reached_x) == np.sign(result.xs)[None, :]).all()


def test_sgd_diverges_on_the_bowl_where_the_closed_form_says():
    # On f = 0.1 x^2 + 2 y^2 each SGD step multiplies y by 1 - 4 lr, so |y_t| = |1 - 4 lr|^t from
    # y_0 = 1, and f overflows (diverged) once 2 y^2 exceeds the largest float64: at
    # t = log(sqrt(max / 2)) / log|1 - 4 lr|. Below lr 0.5 it never does; just above, not within 2,000 steps.
    lrs = np.array([0.05, 0.2, 0.45, 0.49, 0.51, 0.6, 0.9])
    result = sweep("quadratic", "sgd", (1.0, 1.0), 2000, x=("lr", lrs), y=("weight_decay", [0.0, 0.0]))
    limit = np.log(np.sqrt(np.finfo(float).max / 2))
    for j, lr in enumerate(lrs):
        growth = abs(1 - 4 * lr)
        expected = int(np.ceil(limit / np.log(growth))) if growth > 1 else None
        got = result.diverged_at[0, j]
        if expected is None or expected > 2000:
            assert got == -1, (lr, got)
        else:
            assert abs(got - expected) <= 1, (lr, got, expected)
    np.testing.assert_array_equal(result.diverged_at[0], result.diverged_at[1])


@pytest.mark.parametrize("bad, message", [
    (dict(x=("amsgrad", [0.0, 1.0])), "true or false"),
    (dict(x=("lr", [0.1]), y=("lr", [0.2])), "two different"),
    (dict(x=("lr", [0.1]), lr=0.3), "cannot also be fixed"),
    (dict(x=("lr", np.ones(MAX_SIDE + 1))), "1 to 400"),
    (dict(x=("lr", [np.nan])), "finite"),
    (dict(x=("nope", [1.0])), "no hyperparameter 'nope'"),
    (dict(steps=2001), "steps=2001"),
])
def test_bad_sweeps_are_refused_by_name(bad, message):
    args = dict(x=("lr", [0.1, 0.2]), y=("eps", [1e-8]), steps=10) | bad
    with pytest.raises(ValueError, match=message):
        sweep("quadratic", "adam", None, **args)


def test_a_cell_opens_as_a_race_that_ends_where_the_cell_did():
    race = complete(RaceSettings(surface="himmelblau"))
    result = run_sweep(race, "adam", ("lr", list(np.geomspace(1e-3, 1, 7))), ("eps", [1e-8, 1e-4]), 200)
    cell = cell_race(race, result, 1, 4)
    (run,), _ = run_race(cell)
    np.testing.assert_array_equal(run.path[-1], result.final[1, 4])
    assert cell.optimizers == ("adam",) and cell.params_of("adam")["eps"] == 1e-4
    basin = run_basins(race, "momentum", 12, 150)
    start_cell = cell_race(race, basin, 7, 2)
    assert start_cell.start == (basin.xs[2], basin.ys[7])
    (run,), _ = run_race(start_cell)
    np.testing.assert_array_equal(run.path[-1], basin.final[7, 2])


def test_csv_and_json_hold_every_cell():
    result = sweep("booth", "rprop", None, 100, x=("lr", [0.01, 0.1, 1.0]), y=("eta_plus", [1.1, 1.2]))
    rows = list(csv.DictReader(io.StringIO(map_csv(result))))
    assert len(rows) == 6
    row = rows[4]  # row 1, column 1
    assert (int(row["row"]), int(row["column"]), float(row["lr"]), float(row["eta_plus"])) == (1, 1, 0.1, 1.2)
    assert float(row["final_loss"]) == result.final_loss[1, 1] and int(row["reached_at"]) == result.reached_at[1, 1]
    document = json.loads(map_json(result))
    assert document["kind"] == "sweep" and document["x"]["values"] == [0.01, 0.1, 1.0]
    assert document["final_x"][1][1] == result.final[1, 1, 0]


def test_the_cli_writes_the_same_sweep_as_the_package(tmp_path):
    out = tmp_path / "sweep.csv"
    done = subprocess.run(
        [sys.executable, "-m", "optviz", "sweep", "--surface", "rosenbrock", "--optimizer", "rmsprop", "--steps", "100",
         "--x", "lr:1e-4:1:9", "--y", "alpha:0.5:0.99:5", "--output", str(out)],
        capture_output=True, text=True, cwd="/", env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=300)
    assert done.returncode == 0, done.stderr
    race = complete(RaceSettings(surface="rosenbrock", steps=100))
    expected = run_sweep(race, "rmsprop", ("lr", np.geomspace(1e-4, 1, 9)), ("alpha", np.linspace(0.5, 0.99, 5)), 100)
    assert out.read_text() == map_csv(expected)
    done = subprocess.run(
        [sys.executable, "-m", "optviz", "basins", "--surface", "himmelblau", "--optimizer", "adam", "--cells", "300",
         "--steps", "2001", "--output", str(tmp_path / "b.png")],
        capture_output=True, text=True, cwd="/", env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=300)
    assert done.returncode == 2 and "at most 2000 steps" in done.stderr


def test_the_maps_page_draws_both_maps_and_takes_a_formula():
    at = AppTest.from_file("../app.py", default_timeout=120).run()
    at.switch_page("views/maps.py").run()
    assert not at.exception, [e.message for e in at.exception]
    at.run()  # the same map again, from the cache (a cached map once failed to replay its progress bar)
    assert not at.exception, [e.message for e in at.exception]
    assert json.loads(at.get("plotly_chart")[0].proto.spec)["layout"]["meta"]["kind"] == "sweep"
    at.selectbox(key="maps_opt").set_value("adam").run()
    at.select_slider(key="maps_side").set_value(20).run()
    at.radio(key="maps_colour").set_value("steps to the minimum").run()
    assert not at.exception
    names = [d.get("name") for d in json.loads(at.get("plotly_chart")[0].proto.spec)["data"]]
    assert "never reached" in names and "diverged" in names
    at.segmented_control(key="maps_mode").set_value("Basins of attraction").run()
    at.select_slider(key="maps_basin_side").set_value(20).run()
    assert not at.exception and len(at.get("plotly_chart")) == 4
    at.selectbox(key="maps_surface").set_value("custom").run()
    at.text_input(key="maps_formula").set_value("import os").run()
    assert not at.exception and any("cannot be used" in e.value for e in at.error)
    at.text_input(key="maps_formula").set_value("(x^2 - 1)^2 + y^2").run()
    assert not at.exception and not at.error
    at.selectbox(key="maps_surface").set_value("linear_regression").run()
    assert not at.exception


def test_a_data_surface_maps_with_its_full_batch_loss():
    race = complete(RaceSettings(surface="linear_regression", batch_size=10_000))
    surface = surface_of(race)
    result = run_basins(race, "sgd", 10, 300, lr=0.1)
    assert (result.reached_minimum == 0).all()  # least squares: one minimum, reached from everywhere
    assert surface.minima[0].x == pytest.approx(np.polyfit(surface.data.x, surface.data.y, 1)[0])
