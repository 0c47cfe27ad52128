"""The fair comparison: its protocol against closed forms, its runners against each other."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from functools import partial
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from optviz.engine.study import Protocol, Study, claim_table, leaderboard, study
from optviz.out.cluster import dask_map

ROOT = Path(__file__).resolve().parents[1]


def test_sgd_on_the_bowl_picks_the_rate_its_curvature_says():
    # f = 0.1 x^2 + 2 y^2: an SGD step multiplies x by 1 - 0.2 lr and y by 1 - 4 lr, so the rate
    # that contracts fastest is the one minimising max(|1 - 0.2 lr|, |1 - 4 lr|) (2 / 4.2 off the grid)
    result = study(["quadratic"], ["sgd"], held_out_starts=8)
    grid = result.protocol.lr_grid
    contraction = np.maximum(np.abs(1 - 0.2 * grid), np.abs(1 - 4 * grid))
    assert result.entries[0].hyperparameters["lr"] == grid[np.argmin(contraction)]
    assert result.entries[0].success_rate == 1.0


def test_the_chosen_rate_is_the_argmin_of_the_kept_table():
    result = study(["himmelblau", "booth", "ackley"], ["sgd", "rmsprop", "adam", "rprop"], held_out_starts=8)
    for e in result.entries:
        table = [(row[1], np.inf if row[2] is None else row[2], k) for k, row in enumerate(e.objective)]
        assert e.hyperparameters["lr"] == e.objective[min(table)[2]][0]
        assert len(e.objective) == 25 and len(e.steps) == 8
        assert all(0 <= row[3] <= 16 for row in e.objective)


def test_held_out_numbers_follow_from_the_runs():
    e = study(["booth"], ["momentum"], held_out_starts=20).entries[0]
    steps = np.array(e.steps)
    assert e.success_rate == np.mean(steps <= e.budget)
    assert e.quartiles == tuple(np.percentile(steps, [25, 50, 75]))
    assert leaderboard(Study(Protocol(), [e]), "booth") == [e]


def test_local_localcluster_and_a_second_local_run_give_identical_json():
    kwargs = dict(held_out_starts=12, tuning_starts=6, lr_count=9)
    surfaces, optimizers = ["quadratic", "six_hump_camel", "rastrigin"], ["sgd", "rmsprop", "adam"]
    first = study(surfaces, optimizers, **kwargs).to_json()
    second = study(surfaces, optimizers, **kwargs).to_json()
    on_cluster = study(surfaces, optimizers, run_tasks=partial(dask_map, workers=2), **kwargs).to_json()
    assert first == second == on_cluster
    assert Study.from_json(first).to_json() == first


@pytest.mark.parametrize("bad, message", [
    (dict(lr_low=0.0), "0 < lr_low < lr_high"), (dict(lr_low=1.0, lr_high=0.1), "lr_low < lr_high"),
    (dict(lr_count=0), "lr_count=0"), (dict(tuning_starts=1001), "tuning_starts=1001"),
    (dict(held_out_starts=True), "held_out_starts=True"), (dict(mode="best"), "mode='best'"),
    (dict(noise=float("nan")), "noise=nan"), (dict(budget=0), "budget=0"), (dict(seeds=2.5), "seeds=2.5"),
])
def test_bad_protocol_values_are_named(bad, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        study(["quadratic"], ["sgd"], **bad)


def test_the_shipped_study_is_what_the_documented_command_writes(tmp_path):
    out = tmp_path / "study.json"
    done = subprocess.run([sys.executable, "-m", "optviz", "study", "--output", str(out)], capture_output=True,
                          text=True, cwd="/", env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=600)
    assert done.returncode == 0, done.stderr
    assert out.read_text() == (ROOT / "assets" / "study.json").read_text()
    shipped = Study.from_json(out.read_text())
    assert len(shipped.entries) == 14 * 12 and shipped.protocol == Protocol()
    assert {row["surface"] for row in claim_table(shipped)} == {e.surface for e in shipped.entries}
    defaults = Study.from_json((ROOT / "assets" / "study-defaults.json").read_text())
    assert defaults.protocol.mode == "defaults" and all(e.objective == [] for e in defaults.entries)


def test_noise_uses_every_seed():
    e = study(["booth"], ["sgd"], noise=1.0, seeds=3, held_out_starts=5, tuning_starts=4, lr_count=5).entries[0]
    assert len(e.steps) == 15  # 5 starts x 3 seeds


def test_the_compare_page_opens_on_the_shipped_study_and_runs_a_new_protocol():
    at = AppTest.from_file("../app.py", default_timeout=120).run()
    at.switch_page("views/compare.py").run()
    assert not at.exception, [e.message for e in at.exception]
    assert any("shipped study" in m.value for m in at.markdown)
    table = at.dataframe[0].value
    assert len(table) == 7 and list(table["rank"]) == list(range(1, 8))
    at.number_input(key="cmp_grid").set_value(7).run()
    assert not at.exception and any("a run just now" in m.value for m in at.markdown)
    at.selectbox(key="cmp_surface").set_value("himmelblau").run()
    at.segmented_control(key="cmp_mode").set_value("defaults").run()
    assert not at.exception
    assert "open the race" not in json.dumps(list(at.dataframe[0].value["race"]))  # links, not text
    assert at.dataframe[0].value["race"].iloc[0].startswith("./?surface=himmelblau")
