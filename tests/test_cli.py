"""``python -m optviz``: output checked against simulate, every format written, bad input refused."""

from __future__ import annotations

import ast
import csv
import io
import json
import os
import shlex
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pytest
from PIL import Image

import optviz
from optviz.engine.presets import surface_defaults, view_tolerance
from optviz.out.cli import build_parser, main
from optviz.out.export import FORMATS

ROOT = Path(__file__).resolve().parents[1]


def optviz_cli(*args: str) -> subprocess.CompletedProcess:
    """``python -m optviz ARGS`` in a new process, from outside the repository."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "optviz", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd="/",
        timeout=300,
    )


def test_run_prints_the_trajectories_simulate_gives():
    done = optviz_cli(
        *shlex.split("run --json --surface rosenbrock --optimizers rmsprop,adam --steps 60 --start -1.2,1.5"),
        *shlex.split("--set rmsprop.lr=0.01 --set rmsprop.alpha=0.95"),
    )
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    tol = view_tolerance("rosenbrock")
    expected = {
        "rmsprop": optviz.simulate("rosenbrock", "rmsprop", (-1.2, 1.5), 60, tol=tol, lr=0.01, alpha=0.95),
        "adam": optviz.simulate(
            "rosenbrock",
            "adam",
            (-1.2, 1.5),
            60,
            tol=tol,
            lr=surface_defaults("rosenbrock")["adam"]["lr"],
        ),
    }
    assert [t["optimizer"] for t in document["trajectories"]] == ["rmsprop", "adam"]
    for stored in document["trajectories"]:
        run = expected[stored["optimizer"]]
        np.testing.assert_array_equal(np.array(stored["path"]), run.path)
        np.testing.assert_array_equal(np.array(stored["loss"]), run.loss)
        assert stored["hyperparameters"] == run.hyperparameters


def test_run_prints_a_short_table_by_default():
    done = optviz_cli(*shlex.split("run --optimizers sgd,adam --set sgd.lr=10 --steps 300"))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "Ill-conditioned bowl: 2 optimizers, 300 steps" and len(lines) == 5  # title, gap, header, 2 rows
    assert lines[2].split()[:4] == ["optimizer", "final", "loss", "final"]
    sgd = optviz.simulate("quadratic", "sgd", (-5.0, -2.0), 300, lr=10.0)
    adam = optviz.simulate("quadratic", "adam", (-5.0, -2.0), 300, lr=surface_defaults("quadratic")["adam"]["lr"],
                           tol=view_tolerance("quadratic"))
    assert lines[3].startswith("SGD") and lines[3].split()[-3:] == ["diverged", "step", str(sgd.diverged_at)]
    assert lines[4].startswith("Adam") and f"{adam.final_loss:.6g}" in lines[4]
    assert len(done.stdout) < 1000  # not the 250 kB of JSON it once printed


def test_run_csv_to_a_file(tmp_path):
    out = tmp_path / "race.csv"
    assert (
        main(
            [
                *shlex.split("run --format csv --optimizers sgd,rprop --steps 25 --noise 0.2 --seed 5"),
                "--output",
                str(out),
            ]
        )
        == 0
    )
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert len(rows) == 2 * 26
    start = optviz.SURFACES["quadratic"].start
    for oid in ("sgd", "rprop"):
        run = optviz.simulate(
            "quadratic", oid, start, 25, noise=0.2, seed=5, lr=surface_defaults("quadratic")[oid]["lr"]
        )
        mine = [r for r in rows if r["optimizer"] == oid]
        np.testing.assert_array_equal([[float(r["x"]), float(r["y"])] for r in mine], run.path)


def check_file(fmt: str, path: Path) -> None:
    """Decode what the CLI wrote, enough to know it is that format and that race."""
    data = path.read_bytes()
    if fmt == "png":
        assert Image.open(path).size == (640 * 2, 480 * 2)
    elif fmt == "svg":
        assert "Adam" in " ".join(ET.fromstring(data).itertext())
    elif fmt == "pdf":
        assert data.startswith(b"%PDF-")
    elif fmt == "gif":
        image = Image.open(path)
        assert (image.n_frames, image.size) == (20, (640, 480))
    elif fmt == "mp4":
        assert imageio_ffmpeg.count_frames_and_secs(str(path))[0] == 20
        assert tuple(next(imageio_ffmpeg.read_frames(str(path)))["size"]) == (640, 480)
    elif fmt == "html":
        assert b"addFrames" in data and b'"name":"Adam"' in data
    elif fmt == "csv":
        assert len(list(csv.DictReader(io.StringIO(data.decode())))) == 2 * 41
    elif fmt == "json":
        assert json.loads(data)["settings"]["steps"] == "40"
    else:
        source = data.decode()
        ast.parse(source)
        assert ("import torch" in source) == (fmt == "pytorch") and "RMSProp" in source


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_export_writes_every_format(fmt, tmp_path):
    out = tmp_path / f"race.{FORMATS[fmt].extension}"
    race = "--surface himmelblau --optimizers rmsprop,adam --steps 40"
    sizes = "--width 640 --height 480 --frames 20 --optimizer rmsprop"
    args = ["export", "--format", fmt, "--output", str(out), *race.split(), *sizes.split()]
    assert main(args) == 0
    check_file(fmt, out)


def test_export_gif_in_a_new_process(tmp_path):
    out = tmp_path / "race.gif"
    done = optviz_cli("export", "--format", "gif", "--output", str(out), "--steps", "30")
    assert done.returncode == 0, done.stderr
    assert Image.open(out).n_frames == 31


def test_numpy_script_from_the_cli_prints_the_final_point(tmp_path):
    out = tmp_path / "rmsprop.py"
    race = "--surface beale --optimizers rmsprop --set rmsprop.lr=0.003 --steps 120"
    assert main(["export", "--format", "numpy", "--output", str(out), *race.split()]) == 0
    done = subprocess.run([sys.executable, "-I", str(out)], capture_output=True, text=True, timeout=120)
    x, y = map(float, done.stdout.split())
    run = optviz.simulate("beale", "rmsprop", optviz.SURFACES["beale"].start, 120, lr=0.003)
    assert (x, y) == run.final


def test_config_restores_a_saved_race_and_options_override_it(tmp_path):
    saved = tmp_path / "race.json"
    race = "--surface booth --optimizers adam,nadam --set adam.beta1=0.8 --noise 0.5 --seed 3"
    assert main(["export", "--format", "json", "--output", str(saved), *race.split()]) == 0
    again = tmp_path / "again.json"
    assert main(["run", "--json", "--config", str(saved), "--steps", "50", "--output", str(again)]) == 0
    settings = json.loads(again.read_text())["settings"]
    assert settings == {**json.loads(saved.read_text())["settings"], "steps": "50"}
    assert settings["adam.beta1"] == "0.8" and settings["noise"] == "0.5"


def test_help_documents_every_option():
    done = optviz_cli("export", "--help")
    assert done.returncode == 0
    options = "--surface --optimizers --start --steps --noise --seed --set --config --optimizer --format --output"
    for option in (*options.split(), *shlex.split("--scale --width --height --frames --lr --formula --bounds --speed")):
        assert option in done.stdout, option
    for fmt in FORMATS:
        assert fmt in done.stdout
    parser = build_parser()
    for sub in parser._subparsers._group_actions[0].choices.values():
        for action in sub._actions:
            assert action.help, action.option_strings  # nothing undocumented


@pytest.mark.parametrize(
    ("args", "names"),
    [
        (["--surface", "nope"], ["--surface", "nope"]),
        (["--set", "rmsprop.alpha=2"], ["--set", "rmsprop.alpha=2"]),
        (["--set", "nope"], ["--set", "nope"]),
        (["--steps", "abc"], ["--steps", "abc"]),
        (["--start", "1"], ["--start", "1"]),
        (["--optimizers", "sgd,bogus"], ["--optimizers", "bogus"]),
        (["--set", "adam.lr=0.1", "--optimizers", "sgd"], ["--set", "adam"]),
        (["--set", "rmsprop.colour=red"], ["--set", "rmsprop.colour"]),
        (["--noise", "-1"], ["--noise", "-1"]),
        (["--formula", "x^2"], ["--formula", "--surface custom"]),
        (["--surface", "custom", "--formula", "x^^2"], ["--formula", "x^^2"]),
        (["--frobnicate"], ["--frobnicate"]),
    ],
)
def test_bad_input_exits_2_with_one_line_naming_it(args, names, capsys):
    assert exit_status(["run", *args]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    for name in names:
        assert name in err


def exit_status(argv: list[str]) -> int:
    """What ``python -m optviz`` would exit with: main's return value, or argparse's exit."""
    try:
        return main(argv)
    except SystemExit as stop:
        return stop.code


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["export", "--format", "bmp", "--output", "x"], ["--format", "bmp"]),
        (["export", "--format", "png"], ["--output"]),
        (["export", "--format", "png", "--output", "x.png", "--scale", "100"], ["--scale", "100"]),
        (["export", "--format", "numpy", "--output", "x.py", "--optimizer", "lbfgs"], ["--optimizer", "lbfgs"]),
        (
            ["export", "--format", "numpy", "--output", "x.py", "--surface", "custom", "--formula", "x^2 + os"],
            ["--formula", "column 7", "'os'"],
        ),
    ],
)
def test_bad_export_options_in_a_new_process(args, words, tmp_path):
    done = optviz_cli(*[str(tmp_path / a) if a.startswith("x") and "." in a else a for a in args])
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1, done.stderr
    for word in words:
        assert word in done.stderr
    assert not list(tmp_path.iterdir())  # nothing written


@pytest.mark.parametrize("formula", ["log(x)+y^2", "sqrt(x) + y^2", "log(x)"])
def test_a_formula_with_a_restricted_domain_runs_from_the_command_line(formula):
    """Issue 12, item 1: such formulas crashed the learning-rate suggestion (a maximum over an
    empty path); from the command line they must run, not exit on an error."""
    done = optviz_cli("run", "--surface", "custom", "--formula", formula, "--optimizers", "sgd,rmsprop", "--steps", "50")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].endswith("2 optimizers, 50 steps") and lines[3].startswith("SGD") and lines[4].startswith("RMSProp")
