"""Every export format, decoded and checked against the race it came from.

Images run for real: Chromium is installed by the test setup (dev.sh), so nothing skips.
"""

from __future__ import annotations

import ast
import csv
import io
import json
import math
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import replace

import imageio_ffmpeg
import numpy as np
import plotly.offline
import pytest
import streamlit  # noqa: F401 - sets plotly's default template, as in the app: exports must not inherit it
from PIL import Image

import optviz
from optviz.engine.presets import view_tolerance
from optviz.engine.simulate import gaussian
from optviz.out import export as ex
from optviz.out.animation import render_frames
from optviz.out.codegen import numpy_script, pytorch_script
from optviz.race.run import run_race
from optviz.race.settings import from_query, surface_of, to_query
from optviz.render.figures import COLORS, frame_steps


def hex_rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def colours_in(image: Image.Image) -> set[tuple[int, int, int]]:
    """Every RGB colour in the picture."""
    rgb = np.asarray(image.convert("RGB")).reshape(-1, 3).astype(np.uint32)
    packed = np.unique(rgb[:, 0] << 16 | rgb[:, 1] << 8 | rgb[:, 2])
    return {(int(p >> 16), int(p >> 8 & 255), int(p & 255)) for p in packed}


@pytest.fixture(scope="module")
def race():
    settings = from_query({})
    runs, errors = run_race(settings)
    assert not errors
    return settings, runs


@pytest.fixture(scope="module")
def rosenbrock_race():
    settings = from_query({"surface": "rosenbrock", "optimizers": "sgd,rmsprop,adam", "steps": "120", "sgd.lr": "1"})
    runs, _ = run_race(settings)
    return settings, runs


# --- The shared race runner -----------------------------------------------------------------


def test_run_race_is_simulate_with_the_race_settings(race):
    settings, runs = race
    assert [t.optimizer for t in runs] == list(settings.optimizers)
    for t in runs:
        alone = optviz.simulate(
            settings.surface,
            t.optimizer,
            settings.start_point,
            settings.steps,
            tol=view_tolerance(settings.surface),
            **settings.params_of(t.optimizer),
        )
        np.testing.assert_array_equal(t.path, alone.path)


def test_run_race_reports_a_run_that_cannot_start():
    settings = from_query({"optimizers": "sgd,rprop"})
    params = dict(settings.hyperparameters)
    rprop = {**dict(params["rprop"]), "step_size_min": 1.0, "step_size_max": 0.5}
    broken = replace(settings, hyperparameters=(("rprop", tuple(rprop.items())), ("sgd", params["sgd"])))
    runs, errors = run_race(broken)
    assert [t.optimizer for t in runs] == ["sgd"]
    assert "step_size_min" in errors["rprop"]


# --- Static images --------------------------------------------------------------------------


def test_image_export_is_available_here():
    available, message = ex.image_export_available()
    assert available, message


def test_png_has_the_scaled_size_a_white_page_and_every_path_colour(race):
    settings, runs = race
    png = ex.export(settings, "png", runs, scale=2)
    image = Image.open(io.BytesIO(png)).convert("RGB")
    assert image.size == (ex.IMAGE_SIZE[0] * 2, ex.IMAGE_SIZE[1] * 2)
    assert image.getpixel((4, 4)) == (255, 255, 255)  # plotly_white, not the dark template streamlit sets
    colours = colours_in(image)
    for t in runs:
        assert hex_rgb(COLORS[t.optimizer]) in colours, t.optimizer


def test_png_at_a_chosen_size_and_scale(race):
    settings, runs = race
    fig = ex.race_figure_for_export(settings, runs, width=640, height=480)
    image = Image.open(io.BytesIO(ex.to_png(fig, scale=1.5)))
    assert image.size == (960, 720)


def test_svg_parses_and_names_every_optimizer_and_the_surface(race):
    settings, runs = race
    svg = ex.export(settings, "svg", runs).decode()
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    text = " ".join(root.itertext())
    for t in runs:
        assert optviz.OPTIMIZERS[t.optimizer].name in text
    assert optviz.SURFACES[settings.surface].name in text
    assert "step" not in text.split()  # the static image has no play controls or slider


def test_pdf_is_a_pdf(race):
    settings, runs = race
    pdf = ex.export(settings, "pdf", runs)
    assert pdf.startswith(b"%PDF-")
    assert pdf.rstrip().endswith(b"%%EOF")


def test_exported_figure_is_light_and_titled_with_the_settings(race):
    settings, runs = race
    fig = ex.race_figure_for_export(settings, runs)
    assert fig.layout.template.layout.paper_bgcolor == "white"
    assert optviz.SURFACES[settings.surface].name in fig.layout.title.text
    assert f"{settings.steps} steps" in fig.layout.title.text
    subtitle = fig.layout.title.subtitle.text
    for t in runs:
        assert f"{optviz.OPTIMIZERS[t.optimizer].name} lr={t.hyperparameters['lr']:g}" in subtitle
    assert not fig.layout.updatemenus and not fig.layout.sliders and not fig.frames
    assert fig.data[0].visible is False  # the page's click grid


def test_no_browser_says_how_to_enable_image_export(monkeypatch, tmp_path):
    monkeypatch.setenv("BROWSER_PATH", str(tmp_path / "no-such-browser"))
    available, message = ex.image_export_available()
    assert not available
    assert "apt-get install chromium" in message and "BROWSER_PATH" in message
    with pytest.raises(ex.ImageExportError, match="apt-get install chromium"):
        ex._ImageServer().render({"data": [], "layout": {}}, "png", 100, 100, 1.0)


def test_a_browser_that_will_not_start_fails_fast_instead_of_hanging(monkeypatch):
    monkeypatch.setenv("BROWSER_PATH", "/bin/false")  # exists, exits at once
    with pytest.raises(ex.ImageExportError, match="did not start"):
        ex._ImageServer().render({"data": [], "layout": {}}, "png", 100, 100, 1.0)


def test_bad_scale_is_a_value_error(race):
    settings, runs = race
    with pytest.raises(ValueError, match="scale"):
        ex.to_png(ex.race_figure_for_export(settings, runs), scale=0)


# --- Animations -----------------------------------------------------------------------------


def test_gif_has_one_frame_per_shown_step_at_the_chosen_size(race):
    settings, runs = race
    gif = Image.open(io.BytesIO(ex.export(settings, "gif", runs)))
    expected = len(frame_steps(settings.steps, 100))
    assert gif.n_frames == expected == 100
    assert gif.size == (800, 600)
    gif.seek(gif.n_frames - 1)
    colours = colours_in(gif)
    for t in runs:
        assert hex_rgb(COLORS[t.optimizer]) in colours, t.optimizer


def test_gif_paths_grow_frame_by_frame(race):
    """The first frame shows only the heads at the start; later ones draw more of each path."""
    settings, runs = race
    animation = render_frames(settings, runs)
    top = runs[-1].optimizer  # drawn last, so nothing covers it
    ink = animation.palette.tolist().index(list(hex_rgb(COLORS[top])))
    counts = [int(np.count_nonzero(frame == ink)) for frame in animation.frames]
    assert counts[0] < counts[10] < counts[-1]
    assert list(animation.steps) == list(frame_steps(settings.steps, 100))


def test_animation_draws_a_path_that_leaves_the_view(rosenbrock_race):
    settings, runs = rosenbrock_race
    sgd = next(t for t in runs if t.optimizer == "sgd")
    assert sgd.diverged_at is not None and np.abs(sgd.path).max() > 1e6  # far outside the view
    animation = render_frames(settings, runs, width=400, height=300)
    assert animation.size == (400, 300) and len(animation.frames) == 100


def test_mp4_decodes_to_the_frames_at_the_size(race, tmp_path):
    settings, runs = race
    path = tmp_path / "race.mp4"
    path.write_bytes(ex.export(settings, "mp4", runs, width=640, height=480))
    frames, seconds = imageio_ffmpeg.count_frames_and_secs(str(path))
    assert frames == 100
    assert seconds == pytest.approx(100 * 0.06, abs=0.1)  # 60 ms a frame at speed 1
    reader = imageio_ffmpeg.read_frames(str(path))
    meta = next(reader)
    assert tuple(meta["size"]) == (640, 480)
    assert "h264" in meta["codec"]
    decoded = [np.frombuffer(f, dtype=np.uint8).reshape(480, 640, 3) for f in reader]
    expected = render_frames(settings, runs, width=640, height=480)
    difference = np.abs(decoded[-1].astype(int) - expected.rgb(len(expected.frames) - 1).astype(int))
    assert difference.mean() < 4  # lossy, but the same picture


def test_mp4_with_odd_size_rounds_down_to_even(race, tmp_path):
    settings, runs = race
    path = tmp_path / "odd.mp4"
    path.write_bytes(ex.export(settings, "mp4", runs, width=641, height=481, max_frames=10))
    meta = next(imageio_ffmpeg.read_frames(str(path)))
    assert tuple(meta["size"]) == (640, 480)


def test_animation_size_is_checked(race):
    settings, runs = race
    with pytest.raises(ValueError, match="width"):
        render_frames(settings, runs, width=10)


# --- HTML -----------------------------------------------------------------------------------


def test_html_is_self_contained_with_the_data_and_the_player(race):
    settings, runs = race
    html = ex.export(settings, "html", runs).decode()
    assert html.lower().startswith("<!doctype html>") and html.rstrip().endswith("</html>")
    bundle = plotly.offline.get_plotlyjs()
    assert bundle in html  # plotly.js itself is inside...
    page = html.replace(bundle, "")
    assert "<script" in page and not re.search(r"<script[^>]*\bsrc=", page)  # ...and nothing is fetched
    assert "Plotly.newPlot" in html and "addFrames" in html
    assert html.count('"traces":[') == 100  # one per animation frame
    for t in runs:
        assert f'"name":"{optviz.OPTIMIZERS[t.optimizer].name}"' in html
    assert "Play" in html and "Replay" in html


# --- Data -----------------------------------------------------------------------------------


def test_csv_has_a_row_per_optimizer_per_step_with_exact_values(race):
    settings, runs = race
    rows = list(csv.DictReader(io.StringIO(ex.export(settings, "csv", runs).decode())))
    assert len(rows) == sum(len(t.path) for t in runs)
    for t in runs:
        mine = [r for r in rows if r["optimizer"] == t.optimizer]
        assert [int(r["step"]) for r in mine] == list(range(len(t.path)))
        np.testing.assert_array_equal([float(r["x"]) for r in mine], t.path[:, 0])
        np.testing.assert_array_equal([float(r["y"]) for r in mine], t.path[:, 1])
        np.testing.assert_array_equal([float(r["loss"]) for r in mine], t.loss)
        for slot, values in t.state.items():
            for k, axis in enumerate("xy"):
                column = [float(r[f"{slot}_{axis}"]) for r in mine]
                np.testing.assert_array_equal(column, values[:, k])  # NaN at step 0 compares equal
    every_slot = {s for o in settings.optimizers for s in optviz.OPTIMIZERS[o].state}
    sgd_rows = [r for r in rows if r["optimizer"] == "sgd"]
    assert every_slot and all(r[f"{s}_x"] == "" for s in every_slot for r in sgd_rows)  # SGD keeps no state


def test_json_holds_the_settings_and_every_trajectory(race):
    settings, runs = race
    document = json.loads(ex.export(settings, "json", runs))
    assert document["optviz"] == 1
    assert document["settings"] == to_query(settings)
    assert [d["optimizer"] for d in document["trajectories"]] == list(settings.optimizers)
    for stored, t in zip(document["trajectories"], runs, strict=True):
        np.testing.assert_array_equal(np.array(stored["path"]), t.path)
        np.testing.assert_array_equal(np.array(stored["loss"]), t.loss)
        assert stored["hyperparameters"] == t.hyperparameters
        for slot, values in t.state.items():
            np.testing.assert_array_equal(np.array(stored["state"][slot], dtype=float), values)  # null -> nan


@pytest.mark.parametrize(
    "query",
    [
        {},
        {
            "surface": "rosenbrock",
            "optimizers": "rmsprop,adam,rprop",
            "noise": "0.3",
            "seed": "12",
            "rmsprop.alpha": "0.95",
            "rmsprop.centered": "true",
            "adam.amsgrad": "true",
            "speed": "2",
            "steps": "77",
        },
        {"surface": "himmelblau", "lr": "0.01", "start": "1.25,-3.5", "view": "3d", "camera": "30.0,45.0"},
        {"surface": "custom", "f": "x^2 + 3*sin(y)", "bounds": "-3.0,3.0,-2.0,2.0", "optimizers": "adam"},
    ],
    ids=["default", "noisy-rosenbrock", "shared-lr-3d", "custom-formula"],
)
def test_json_round_trip_restores_the_same_race(query):
    settings = from_query(query)
    assert not settings.notices
    runs, _ = run_race(settings)
    restored, notices = ex.from_json(ex.to_json(settings, runs))
    assert notices == ()
    assert restored == settings
    again, _ = run_race(restored)
    for a, b in zip(runs, again, strict=True):
        np.testing.assert_array_equal(a.path, b.path)


def test_tampered_json_falls_back_with_notices(race):
    settings, runs = race
    document = json.loads(ex.to_json(settings, runs))
    document["settings"]["steps"] = "many"
    document["settings"]["noise"] = 5
    restored, notices = ex.from_json(json.dumps(document))
    assert restored.steps == 300 and restored.noise == 0
    assert any("steps='many'" in n for n in notices) and any("noise=5" in n for n in notices)
    assert restored.notices == notices


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("not json", "does not parse"),
        ("[1, 2]", '"optviz"'),
        ('{"optviz": 2, "settings": {}}', "version 2"),
        ('{"optviz": 1, "settings": [1]}', "settings"),
    ],
)
def test_json_that_is_not_an_optviz_file_is_a_value_error(text, match):
    with pytest.raises(ValueError, match=match):
        ex.from_json(text)


def test_every_format_is_bytes_with_a_file_name(race, rosenbrock_race):
    settings, runs = rosenbrock_race
    for fmt, spec in ex.FORMATS.items():
        if spec.needs_browser:
            continue  # drawn above; each costs a browser render
        data = ex.export(settings, fmt, runs, max_frames=5)
        assert isinstance(data, bytes) and data
        assert ex.filename(settings, fmt).endswith("." + spec.extension)
    with pytest.raises(ValueError, match="format='bmp'"):
        ex.export(settings, "bmp", runs)


# --- Scripts --------------------------------------------------------------------------------

RUNNER = (
    "import json, runpy, sys\n"
    "namespace = runpy.run_path(sys.argv[1], run_name='__main__')\n"
    "json.dump(namespace['path'], open(sys.argv[2], 'w'))\n"
)


def run_script(source: str, tmp_path, name: str = "script.py") -> tuple[np.ndarray, tuple[float, float], str]:
    """Run a generated script in a fresh, isolated interpreter; its path, printed point and output."""
    script, out = tmp_path / name, tmp_path / (name + ".json")
    script.write_text(source)
    done = subprocess.run(
        [sys.executable, "-I", "-c", RUNNER, str(script), str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    last = done.stdout.strip().splitlines()[-1].split()
    return np.array(json.loads(out.read_text())), (float(last[0]), float(last[1])), done.stdout


def check_script_reproduces(settings, oid: str, tmp_path, source: str, tol: float) -> str:
    expected = optviz.simulate(
        surface_of(settings),
        oid,
        settings.start_point,
        settings.steps,
        noise=settings.noise,
        seed=settings.seed,
        **settings.params_of(oid),
    )
    path, final, output = run_script(source, tmp_path)
    assert path.shape == expected.path.shape
    np.testing.assert_allclose(path, expected.path, rtol=tol, atol=tol)
    np.testing.assert_allclose(final, expected.final, rtol=tol, atol=tol)
    return output


def imports_of(source: str) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            names.add(node.module.split(".")[0])
    return names


def test_every_surface_and_optimizer_has_a_script_template():
    assert all(s.numpy_code and s.formula for s in optviz.SURFACES.values())
    assert all(callable(o.numpy_update) and o.torch.cls for o in optviz.OPTIMIZERS.values())


@pytest.mark.parametrize("surface", list(optviz.SURFACES))
def test_script_surface_matches_the_kernel_bit_for_bit(surface):
    """The script's f and gradient, run as written, against the compiled kernel at many points."""
    source = numpy_script(from_query({"surface": surface}), "sgd")
    tree = ast.parse(source)
    function = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "f_and_grad")
    namespace = {"math": math, "np": np, "TWO_PI": 2.0 * math.pi}
    exec(compile(ast.Module(body=[function], type_ignores=[]), "<script>", "exec"), namespace)
    surf = optviz.SURFACES[surface]
    (x_lo, x_hi), (y_lo, y_hi) = surf.bounds
    rng = np.random.default_rng(7)
    for x, y in zip(rng.uniform(x_lo, x_hi, 300), rng.uniform(y_lo, y_hi, 300), strict=True):
        assert namespace["f_and_grad"](float(x), float(y)) == surf.value_and_grad(x, y)


@pytest.mark.parametrize("surface", ["quadratic", "rosenbrock"])
@pytest.mark.parametrize("oid", list(optviz.OPTIMIZERS))
def test_numpy_script_reproduces_the_path_exactly(surface, oid, tmp_path):
    settings = from_query({"surface": surface, "optimizers": oid})
    source = numpy_script(settings, oid)
    assert imports_of(source) == {"math", "numpy"}
    check_script_reproduces(settings, oid, tmp_path, source, 1e-12)


@pytest.mark.parametrize("surface", list(optviz.SURFACES))
def test_numpy_script_reproduces_rmsprop_on_every_surface(surface, tmp_path):
    settings = from_query({"surface": surface, "optimizers": "rmsprop", "steps": "200"})
    check_script_reproduces(settings, "rmsprop", tmp_path, numpy_script(settings, "rmsprop"), 1e-12)


VARIANTS = {
    "rmsprop": {
        "rmsprop.centered": "true",
        "rmsprop.momentum": "0.5",
        "rmsprop.eps_in_sqrt": "true",
        "rmsprop.weight_decay": "0.1",
    },
    "adam": {"adam.amsgrad": "true", "adam.weight_decay": "0.2"},
    "adamw": {"adamw.amsgrad": "true", "adamw.weight_decay": "0.5"},
    "nadam": {"nadam.decoupled_weight_decay": "true", "nadam.weight_decay": "0.3"},
    "radam": {"radam.decoupled_weight_decay": "true", "radam.weight_decay": "0.3"},
    "momentum": {"momentum.dampening": "0.4", "momentum.weight_decay": "0.1"},
    "adagrad": {"adagrad.lr_decay": "0.05", "adagrad.initial_accumulator_value": "0.5"},
}


@pytest.mark.parametrize("oid", list(VARIANTS))
def test_numpy_script_reproduces_non_default_options_with_noise(oid, tmp_path):
    settings = from_query({"surface": "rastrigin", "optimizers": oid, "noise": "0.7", "seed": "2024", **VARIANTS[oid]})
    assert not settings.notices
    check_script_reproduces(settings, oid, tmp_path, numpy_script(settings, oid), 1e-12)


def test_numpy_script_stops_where_optviz_diverges(tmp_path):
    settings = from_query({"surface": "rosenbrock", "optimizers": "sgd", "sgd.lr": "1"})
    output = check_script_reproduces(settings, "sgd", tmp_path, numpy_script(settings, "sgd"), 1e-12)
    assert "diverged at step 4" in output


def test_script_noise_is_optviz_noise_bit_for_bit():
    source = numpy_script(from_query({"noise": "1"}), "sgd")
    tree = ast.parse(source)
    keep = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name in ("splitmix64", "gaussian")]
    keep += [n for n in tree.body if isinstance(n, ast.Assign) and ast.unparse(n.targets[0]) == "MASK64"]
    namespace = {"math": math}
    exec(compile(ast.Module(body=keep, type_ignores=[]), "<script>", "exec"), namespace)
    rng = np.random.default_rng(3)
    seeds = [0, 1, 2**31 - 1, 2**63 - 1, *rng.integers(0, 2**31, 20).tolist()]
    counters = [0, 1, 2, 3, 2 * 5000 + 1, 2**40, *rng.integers(0, 10**6, 50).tolist()]
    for seed in seeds:
        for counter in counters:
            assert namespace["gaussian"](seed, counter) == gaussian(seed, counter), (seed, counter)


@pytest.mark.parametrize("surface", list(optviz.SURFACES))
@pytest.mark.parametrize("oid", list(optviz.OPTIMIZERS))
def test_pytorch_script_parses_and_uses_only_torch(surface, oid):
    settings = from_query({"surface": surface, "optimizers": oid, "noise": "0.1"})
    source = pytorch_script(settings, oid)
    assert imports_of(source) == {"math", "torch"}
    assert "torch.set_default_dtype(torch.float64)" in source


@pytest.mark.parametrize(
    ("oid", "extra"),
    [
        ("rmsprop", {}),
        ("rmsprop", VARIANTS["rmsprop"]),  # eps inside the root: the script's own optimizer class
        ("adam", {"adam.amsgrad": "true", "noise": "0.5", "seed": "9"}),
        ("rprop", {}),
        ("nadam", VARIANTS["nadam"]),
    ],
    ids=["rmsprop", "rmsprop-eps-in-sqrt", "adam-amsgrad-noise", "rprop", "nadam-decoupled"],
)
def test_pytorch_script_runs_and_matches_optviz(oid, extra, tmp_path):
    settings = from_query({"surface": "rosenbrock", "optimizers": oid, "steps": "150", **extra})
    source = pytorch_script(settings, oid)
    if extra.get("rmsprop.eps_in_sqrt"):
        assert "no option for sqrt(v + eps)" in source
    check_script_reproduces(settings, oid, tmp_path, source, 1e-10)


@pytest.mark.parametrize("oid", ["sgd", "rmsprop", "adam", "rprop"])
def test_scripts_for_a_typed_formula_reproduce_its_path(oid, tmp_path):
    """A custom surface's f and gradient are printed from its SymPy expression, in another
    arithmetic order than optviz's compiled code: the paths agree to rounding, not the bit."""
    settings = from_query({"surface": "custom", "f": "(x - 1)^2 + 3*(y + 0.5)^2 + 0.5*sin(x*y)",
                           "bounds": "-3,3,-3,3", "optimizers": oid, "steps": "60"})
    # 60 steps: RMSProp jitters chaotically around a minimum with a constant lr, and two
    # roundings of the same path part ways there within about a hundred steps
    assert settings.surface == "custom" and not settings.notices
    source = numpy_script(settings, oid)
    assert imports_of(source) <= {"math", "numpy"} and "math.sin(" in source and "math.cos(" in source
    check_script_reproduces(settings, oid, tmp_path, source, 1e-9)
    check_script_reproduces(settings, oid, tmp_path, pytorch_script(settings, oid), 1e-9)


def test_a_custom_formula_race_exports_as_pictures_and_data():
    settings = from_query({"surface": "custom", "f": "x^2 + 3*sin(y)", "bounds": "-3.0,3.0,-2.0,2.0", "steps": "60"})
    assert settings.surface == "custom" and not settings.notices
    runs, _ = run_race(settings)
    gif = Image.open(io.BytesIO(ex.to_gif(settings, runs, width=400, height=300)))
    assert (gif.n_frames, gif.size) == (61, (400, 300))
    fig = ex.race_figure_for_export(settings, runs, width=500, height=400)
    assert "x^2 + 3*sin(y)" in fig.layout.title.text
    assert Image.open(io.BytesIO(ex.to_png(fig, scale=1))).size == (500, 400)
    restored, notices = ex.from_json(ex.to_json(settings, runs))
    assert restored == settings and notices == ()


def test_the_render_page_fetches_nothing_from_the_network():
    page = ex.offline_page().generate_index()
    sources = re.findall(r'<script[^>]*\bsrc="([^"]+)"', page)
    assert sources and all(src.startswith("file:") or src.startswith("/") for src in sources), sources
    assert "mathjax" not in page.lower()


def test_gif_frames_draw_every_corner_of_the_path_up_to_their_step():
    # SGD at lr 0.45 on the bowl: y <- -0.8 y, a corner at every step. Frames once drew each
    # path through the frames' steps alone, cutting every corner between them.
    settings = from_query({"optimizers": "sgd", "sgd.lr": "0.45", "steps": "60"})
    runs, _ = ex.run_race(settings)
    animation = render_frames(settings, runs, max_frames=10)
    (x_lo, x_hi), (y_lo, y_hi) = animation.view
    plot_w, plot_h = animation.plot_size
    ink = next(i for i, c in enumerate(animation.palette.tolist()) if tuple(c) == hex_rgb(COLORS["sgd"]))
    path = runs[0].path
    for k, step in enumerate(animation.steps.tolist()):
        frame = animation.frames[k]
        for j in range(1, step):  # every corner up to this frame's step (the head covers the last)
            px = round((path[j, 0] - x_lo) / (x_hi - x_lo) * (plot_w - 1))
            py = round((y_hi - path[j, 1]) / (y_hi - y_lo) * (plot_h - 1))
            if abs(px - path_px(path[step], animation)[0]) + abs(py - path_px(path[step], animation)[1]) < 12:
                continue  # under the head's marker
            assert (frame[max(py - 1, 0):py + 2, max(px - 1, 0):px + 2] == ink).any(), (step, j)


def path_px(point, animation) -> tuple[int, int]:
    (x_lo, x_hi), (y_lo, y_hi) = animation.view
    plot_w, plot_h = animation.plot_size
    return (round((point[0] - x_lo) / (x_hi - x_lo) * (plot_w - 1)),
            round((y_hi - point[1]) / (y_hi - y_lo) * (plot_h - 1)))


def test_gif_draws_the_map_to_scale_around_the_view():
    settings = from_query({"optimizers": "sgd"})  # the bowl's 12 x 6 view, in a 600 x 600 map
    runs, _ = ex.run_race(settings)
    animation = render_frames(settings, runs, max_frames=3)
    (x_lo, x_hi), (y_lo, y_hi) = animation.view
    assert animation.plot_size == (600, 600)
    assert (x_lo, x_hi) == (-6.0, 6.0) and (y_lo, y_hi) == pytest.approx((-6.0, 6.0))  # more surface above and below
    free = render_frames(replace(settings, equal_axes=False), runs, max_frames=3)
    assert free.view == ((-6.0, 6.0), (-3.0, 3.0))  # stretched to the map, as before
    # The start's black ring, 2 below the minimum: two twelfths of the height under the
    # centre when drawn to scale, two sixths when stretched.
    for a, row in ((animation, 599 * 8 / 12), (free, 599 * 5 / 6)):
        black = next(i for i, c in enumerate(a.palette.tolist()) if tuple(c) == (0, 0, 0))
        column = 599 / 12  # x = -5 of -6..6
        ring = np.argwhere(a.frames[0][:, :600] == black)
        near = ring[(np.abs(ring[:, 1] - column) < 10) & (np.abs(ring[:, 0] - row) < 10)]
        assert len(near) > 10 and abs(near[:, 0].mean() - row) < 1.5


def test_image_exports_draw_the_map_to_scale(race):
    settings, runs = race
    figure = ex.race_figure_for_export(settings, runs)
    assert figure.layout.yaxis.scaleanchor == "x" and figure.layout.yaxis.scaleratio == 1
    assert figure.layout.showlegend is not False and figure.layout.title.text  # a file carries its own key and title
    free = ex.race_figure_for_export(replace(settings, equal_axes=False), runs)
    assert free.layout.yaxis.scaleanchor is None


@pytest.mark.parametrize("surface", list(optviz.SURFACES))
def test_every_surfaces_pytorch_script_reproduces_the_path(surface):
    # The torch f is printed from each surface's typed formula (once written out by hand a
    # second time); autograd's gradient of it must still give optviz's path to rounding.
    import contextlib

    settings = from_query({"surface": surface, "optimizers": "adam", "steps": "40"})
    namespace: dict = {}
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(pytorch_script(settings, "adam"), f"{surface}_pytorch.py", "exec"), namespace)
    expected = optviz.simulate(surface, "adam", settings.start_point, 40, **settings.params_of("adam"))
    np.testing.assert_allclose(np.array(namespace["path"]), expected.path, rtol=1e-9, atol=1e-9)
