"""The figure builders: what they draw, checked against the trajectories drawn."""

from __future__ import annotations

import base64
import io
import math

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import pytest
from PIL import Image

import optviz
from optviz.race.settings import from_query
from optviz.render.figures import (
    CLICK_TRACE,
    COLORS,
    FRAME_POINT_BUDGET,
    LOG_FLOOR,
    MIN_FRAMES,
    camera_angles,
    distance_figure,
    frame_steps,
    loss_figure,
    race_figure,
    scene_camera,
    summary_markdown,
    summary_rows,
    surface_3d_figure,
    turned_camera,
)
from optviz.render.raster import contour_bands, contour_rgb


def default_race():
    settings = from_query({})
    runs = [optviz.simulate(settings.surface, o, settings.start_point, settings.steps, **settings.params_of(o))
            for o in settings.optimizers]
    return settings, runs


def test_race_figure_validates_in_full_including_raw_frames():
    """The raw frames skip plotly's validation when built; a full validation here must pass."""
    settings, runs = default_race()
    fig = race_figure(settings.surface, runs)
    go.Figure(fig.to_dict())  # raises on any invalid property anywhere, frames included


@pytest.mark.parametrize("surface_id", ["rosenbrock", "saddle"])
def test_every_figure_validates_in_full(surface_id):
    # The builders skip plotly's per-property validation for speed; this is where it happens.
    runs = [optviz.simulate(surface_id, o, steps=120, lr=optviz.OPTIMIZERS[o].demo_lr * 0.1) for o in ("rmsprop", "adam", "sgd")]
    runs.append(optviz.simulate(surface_id, "sgd", steps=120, lr=1e6))  # diverges
    for fig in (race_figure(surface_id, runs), loss_figure(surface_id, runs), distance_figure(surface_id, runs),
                surface_3d_figure(surface_id, runs)):
        checked = go.Figure(fig.to_dict())  # raises on any invalid property
        assert len(checked.data) == len(fig.to_dict()["data"])


def test_huge_finite_coordinates_stay_finite_in_the_figure():
    # Ackley's loss stays finite however far out a point is (its terms are bounded), so SGD with
    # lr = 1e305 walks to |x| ~ 1e305 without diverging. Rounding to 6 decimals scales by 1e6
    # first: it must not turn those points into inf.
    run = optviz.simulate("ackley", "sgd", start=(0.5, 0.5), steps=5, lr=1e305)
    assert run.diverged_at is None and np.abs(run.path[-1]).min() > 1e304
    fig = race_figure("ackley", [run]).to_dict()
    path = fig["data"][4]
    ys = path["y"]
    if isinstance(ys, dict):  # plotly's base64 typed array
        ys = np.frombuffer(base64.b64decode(ys["bdata"]), dtype=ys["dtype"])
    assert np.isfinite(ys).all()
    np.testing.assert_array_equal(ys[-1], run.path[-1, 1])
    assert all(np.isfinite(f["data"][4]["y"]).all() for f in fig["frames"])  # the path's entry in each frame


def test_default_race_figure_stays_under_two_megabytes():
    settings, runs = default_race()
    size = len(pio.to_json(race_figure(settings.surface, runs)))
    assert size < 2_000_000, f"{size / 1e6:.2f} MB"


def test_paths_heads_and_frames_follow_the_trajectories():
    runs = [
        optviz.simulate("rosenbrock", "adam", (-1.0, 2.0), 250, lr=0.05),
        optviz.simulate("rosenbrock", "sgd", (-1.0, 2.0), 40, lr=0.0005),
    ]
    figure = race_figure("rosenbrock", runs, max_frames=50)
    paths = [d for d in figure.data if d.legendgroup and d.mode == "lines"]
    assert [p.name for p in paths] == ["Adam", "SGD"]
    for trace, run in zip(paths, runs, strict=True):
        np.testing.assert_allclose(trace.x, run.path[:, 0], atol=1e-6)
        np.testing.assert_allclose(trace.y, run.path[:, 1], atol=1e-6)
        assert trace.line.color == COLORS[run.optimizer]
    fig = figure.to_dict()
    frames = fig["frames"]
    assert len(frames) == 50
    assert frames[0]["name"] == "0" and frames[-1]["name"] == "250"
    # Every frame lists every trace; the click grid and the markers get an empty update (see
    # test_frames_leave_the_static_traces_as_they_are), the paths and heads their points.
    assert all(f["traces"] == list(range(len(fig["data"]))) for f in frames)
    assert frames[0]["data"][CLICK_TRACE] == {"type": "scatter"}
    # At the last frame Adam's head is at its last point, SGD's stays at its own end (step 40).
    last = frames[-1]["data"]
    assert last[5]["x"] == [round(runs[0].path[-1, 0], 6)]
    assert last[7]["x"] == [round(runs[1].path[-1, 0], 6)]
    # The slider has one step per frame and is labelled by the step number.
    assert [s["label"] for s in fig["layout"]["sliders"][0]["steps"]] == [f["name"] for f in frames]


def test_frame_steps_is_bounded_and_keeps_both_ends():
    assert frame_steps(10, 100).tolist() == list(range(11))
    steps = frame_steps(5000, 120)
    assert len(steps) <= 120 and steps[0] == 0 and steps[-1] == 5000
    assert np.all(np.diff(steps) > 0)


def test_a_single_point_race_has_no_animation_controls():
    run = optviz.simulate("quadratic", "sgd", (0.0, 0.0), 1)  # start at the minimum: 2 points
    fig = race_figure("quadratic", [run], max_frames=1).to_dict()
    assert not fig.get("frames") and "sliders" not in fig["layout"]


def test_diverged_run_says_so_in_legend_marker_and_summary():
    run = optviz.simulate("quadratic", "sgd", (1.0, 1.0), 500, lr=10.0)
    assert run.diverged_at is not None
    fig = race_figure("quadratic", [run])
    path, head = fig.data[-2], fig.data[-1]
    assert path.name == f"SGD: diverged at step {run.diverged_at}"
    assert head.marker.symbol == "x"
    np.testing.assert_allclose([head.x[0], head.y[0]], run.path[-1], atol=1e-6)
    (row,) = summary_rows("quadratic", [run])
    assert row["diverged at"] == f"step {run.diverged_at}"


def test_loss_chart_plots_gap_to_the_minimum_on_a_log_axis():
    run = optviz.simulate("six_hump_camel", "adam", (-1.5, -1.0), 200, lr=0.05)
    fig = loss_figure("six_hump_camel", [run])
    assert fig.layout.yaxis.type == "log"
    expected = np.maximum(run.loss - (-1.0316284534898774), LOG_FLOOR)
    np.testing.assert_allclose(fig.data[0].y, expected, rtol=1e-12)


def test_loss_chart_is_linear_where_no_minimum_is_known():
    run = optviz.simulate("saddle", "sgd", (-1.0, 0.1), 50, lr=0.01)
    fig = loss_figure("saddle", [run])
    assert fig.layout.yaxis.type == "linear"
    np.testing.assert_allclose(fig.data[0].y, run.path[:, 0] ** 2 - run.path[:, 1] ** 2, rtol=1e-12)


def test_distance_chart_measures_to_the_nearest_of_several_minima():
    run = optviz.simulate("himmelblau", "sgd", (0.0, 0.0), 100, lr=0.01)
    fig = distance_figure("himmelblau", [run])
    minima = np.array([(m.x, m.y) for m in optviz.SURFACES["himmelblau"].minima])
    by_hand = [min(np.hypot(*(p - m)) for m in minima) for p in run.path]
    np.testing.assert_allclose(fig.data[0].y, np.maximum(by_hand, LOG_FLOOR), rtol=1e-12)


def test_summary_reports_arrival_or_never():
    reached = optviz.simulate("quadratic", "sgd", (1.0, 1.0), 200, lr=0.2, tol=1e-3)
    never = optviz.simulate("quadratic", "sgd", (1.0, 1.0), 5, lr=0.01, tol=1e-3)
    rows = summary_rows("quadratic", [reached, never])
    # x_t = 0.96^t, y_t = 0.2^t: |y| drops first; x_t <= 1e-3 / ~1 needs t >= log(1e-3)/log(0.96) = 169.2
    assert rows[0]["reached minimum (distance ≤ 0.001)"] == "step 170"
    assert rows[1]["reached minimum (distance ≤ 0.001)"] == "never"


def test_3d_figure_sets_camera_from_azimuth_and_elevation():
    run = optviz.simulate("quadratic", "rmsprop", (-5.0, -2.0), 50, lr=0.1)
    fig = surface_3d_figure("quadratic", [run], camera=(90.0, 0.0))
    eye = fig.layout.scene.camera.eye
    assert abs(eye.x) < 1e-12 and eye.y == pytest.approx(2.2) and abs(eye.z) < 1e-12
    (path,) = [d for d in fig.data if d.type == "scatter3d" and d.mode == "lines"]
    assert path.line.color == COLORS["rmsprop"]


def test_contour_raster_orientation_and_levels():
    """Top-left pixel is (x_lo, y_hi); on the bowl the centre is the lowest band, corners the highest."""
    indices, palette, (low, high), meaning = contour_bands("quadratic", 61, 31, levels=10)
    assert meaning == "log10(f - min + 1)"
    f_corner = 0.1 * 36 + 2 * 9
    assert low == pytest.approx(0.0, abs=1e-12) and high == pytest.approx(np.log10(f_corner + 1.0))
    assert indices[15, 30] == 0  # the centre pixel is (0, 0): the minimum's band
    assert indices[0, 0] in (9, 10)  # a corner: the top band or a line
    rgb = contour_rgb("quadratic", 61, 31, levels=10)
    assert rgb.shape == (31, 61, 3) and rgb.dtype == np.uint8
    assert tuple(rgb[15, 30]) == tuple(palette[0])


def test_click_grid_covers_the_view_and_is_invisible():
    settings, runs = default_race()  # the view is [-6, 6] x [-3, 3]
    grid = race_figure(settings.surface, runs, click_nodes=10).data[CLICK_TRACE]
    assert grid.marker.color == "rgba(0,0,0,0)" and grid.hoverinfo != "skip"  # "skip" would not click
    # At most 10 nodes per axis on a 1-2-2.5-5 step: x needs step 2 (13 nodes at step 1), y step 1
    # (13 at 0.5): 7 x 7 round numbers, the view's corners included.
    assert sorted(set(np.round(grid.x, 9))) == [-6.0, -4.0, -2.0, 0.0, 2.0, 4.0, 6.0]
    assert sorted(set(np.round(grid.y, 9))) == [-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0]
    assert len(grid.x) == 49


@pytest.mark.parametrize("lo, hi", [(-512.0, 512.0), (0.3, 0.7), (-1.5, 2.5), (-4.5, 4.5), (-2.0, 2.0)])
def test_click_nodes_are_the_roundest_grid_that_fits(lo, hi):
    from optviz.render.figures import _round_nodes

    nodes = _round_nodes(lo, hi, 25)
    step = nodes[1] - nodes[0]
    mantissa = step / 10.0 ** np.floor(np.log10(step))
    assert any(np.isclose(mantissa, m) for m in (1.0, 2.0, 2.5, 5.0))
    assert len(nodes) <= 25 and lo - 1e-9 <= nodes[0] and nodes[-1] <= hi + 1e-9
    np.testing.assert_allclose(np.diff(nodes), step)
    np.testing.assert_allclose(nodes / step, np.round(nodes / step), atol=1e-9)  # multiples of the step
    assert nodes[0] - step < lo - 1e-9 and nodes[-1] + step > hi + 1e-9  # no room for one more
    smaller = {1.0: 0.5, 2.0: 1.0, 2.5: 2.0, 5.0: 2.5}[min((1.0, 2.0, 2.5, 5.0), key=lambda m: abs(m - mantissa))]
    finer = smaller * 10.0 ** np.floor(np.log10(step))
    assert np.floor(hi / finer + 1e-9) - np.ceil(lo / finer - 1e-9) + 1 > 25  # the next finer step has too many




def test_plain_figures_serialise_what_plotly_would_and_copy_for_edits():
    import pickle

    settings, runs = default_race()
    for fig in (race_figure(settings.surface, runs), loss_figure(settings.surface, runs)):
        plain = fig.to_dict()
        ordinary = go.Figure(plain)  # built the usual way, validating every property
        expected = ordinary.to_dict()
        expected.pop("frames", None)
        got = {k: v for k, v in fig.validated().to_dict().items() if k != "frames"}
        assert pio.to_json(got) == pio.to_json(expected)
        if "frames" in plain:
            assert fig.validated().to_dict()["frames"] == plain["frames"]
        copy = pickle.loads(pickle.dumps(fig))
        assert type(copy) is type(fig) and pio.to_json(copy.to_dict()) == pio.to_json(plain)
    edited = race_figure(settings.surface, runs).validated()
    edited.update_layout(title=dict(text="edited"))
    assert edited.to_dict()["layout"]["title"]["text"] == "edited" and edited.to_dict()["frames"]


@pytest.mark.parametrize("lo, hi", [(0.0, 1e-323), (-1e308, 1e308), (1.0, 1.0 + 1e-15)])
def test_click_nodes_survive_degenerate_bounds(lo, hi):
    from optviz.render.figures import _round_nodes

    nodes = _round_nodes(lo, hi, 25)
    assert len(nodes) >= 2 and nodes[0] >= lo and nodes[-1] <= hi and np.isfinite(nodes).all()


def test_plain_figure_leaves_the_callers_arrays_alone():
    from optviz.render.figures import PlainFigure

    colours = np.array([1.0, 2.0, 3.0])
    trace = {"type": "scatter", "x": np.arange(3.0), "y": np.arange(3.0), "marker": {"color": colours}}
    fig = PlainFigure(data=[trace], layout={}, plain=True)
    assert trace["marker"]["color"] is colours and isinstance(trace["x"], np.ndarray)
    assert isinstance(fig.to_dict()["data"][0]["marker"]["color"], dict)  # typed array in the copy


def test_summary_markdown_rounds_numbers_and_escapes_pipes():
    table = summary_markdown([{"optimizer": "A|B", "final loss": 0.000123456789, "steps": 7}])
    assert table == "| optimizer | final loss | steps |\n|---|---|---|\n| A\\|B | 0.0001235 | 7 |"
    assert summary_markdown([]) == ""


def test_camera_angles_read_back_an_eye_worked_out_by_hand():
    # azimuth 30, elevation 45, distance 2: x = 2 cos45 cos30, y = 2 cos45 sin30, z = 2 sin45
    eye = {"x": 2 * math.sqrt(0.5) * math.sqrt(3) / 2, "y": 2 * math.sqrt(0.5) / 2, "z": 2 * math.sqrt(0.5)}
    assert camera_angles({"eye": eye}) == pytest.approx((30.0, 45.0, 2.0))
    assert camera_angles({"eye": {"x": -1.0, "y": 0.0, "z": 0.0}}) == pytest.approx((180.0, 0.0, 1.0))
    assert camera_angles({"eye": {"x": 0.0, "y": -3.0, "z": -3.0}}) == pytest.approx((-90.0, -45.0, 3 * math.sqrt(2)))
    # seen from a panned centre: the eye 1 above and 1 along -x of (2, 1, 0)
    panned = {"eye": {"x": 1.0, "y": 1.0, "z": 1.0}, "center": {"x": 2.0, "y": 1.0, "z": 0.0}}
    assert camera_angles(panned) == pytest.approx((180.0, 45.0, math.sqrt(2)))


def test_a_turned_camera_keeps_its_distance_and_centre():
    panned = {"eye": {"x": 1.0, "y": 1.0, "z": 1.0}, "center": {"x": 2.0, "y": 1.0, "z": 0.0}, "up": {"x": 0, "y": 0, "z": 1}}
    turned = turned_camera(panned, 90.0, 0.0)  # now from +y, level: centre + (0, sqrt 2, 0)
    assert turned["eye"] == pytest.approx({"x": 2.0, "y": 1.0 + math.sqrt(2), "z": 0.0}, abs=1e-12)
    assert turned["center"] == panned["center"] and turned["up"] == panned["up"]


def test_a_reported_camera_is_checked_before_it_is_drawn():
    good = {"eye": {"x": 1, "y": 2, "z": 0.5}, "center": {"x": 0, "y": 0, "z": 0}, "up": {"x": 0, "y": 0, "z": 1},
            "projection": {"type": "<script>"}}
    assert scene_camera(good) == {"eye": {"x": 1.0, "y": 2.0, "z": 0.5}, "center": {"x": 0.0, "y": 0.0, "z": 0.0},
                                  "up": {"x": 0.0, "y": 0.0, "z": 1.0}}
    assert scene_camera({"eye": {"x": "1.5", "y": 0, "z": 0}}) == {"eye": {"x": 1.5, "y": 0.0, "z": 0.0}}
    for bad in (None, "camera", 3, [], {}, {"center": {"x": 0, "y": 0, "z": 0}}, {"eye": {"x": 1, "y": 2}},
                {"eye": {"x": float("nan"), "y": 0, "z": 1}}, {"eye": {"x": float("inf"), "y": 0, "z": 1}},
                {"eye": {"x": 1e9, "y": 0, "z": 1}}, {"eye": {"x": 0, "y": 0, "z": 0}}, {"eye": {"x": "a", "y": 0, "z": 1}},
                {"eye": [1, 2, 3]}, {"eye": {"x": 1, "y": 0, "z": 1}, "up": {"x": None, "y": 0, "z": 1}},
                {"eye": {"x": 10**400, "y": 0, "z": 1}}, {"eye": {"x": 1, "y": 0, "z": 1}, "up": {"x": 0, "y": 0, "z": 0}},
                {"eye": {"x": 1, "y": 2, "z": 3}, "center": {"x": 1, "y": 2, "z": 3}}):
        assert scene_camera(bad) is None, bad


def test_the_3d_view_is_drawn_from_a_camera_given_exactly():
    camera = {"eye": {"x": 0.3, "y": -1.9, "z": 0.8}, "center": {"x": 0.1, "y": 0.0, "z": -0.2}}
    run = optviz.simulate("quadratic", "adam", steps=20)
    given = surface_3d_figure("quadratic", [run], camera=(10.0, 20.0), view=camera).to_dict()
    assert given["layout"]["scene"]["camera"] == camera
    angles = surface_3d_figure("quadratic", [run], camera=(90.0, 0.0)).to_dict()
    assert angles["layout"]["scene"]["camera"]["eye"] == pytest.approx({"x": 0.0, "y": 2.2, "z": 0.0}, abs=1e-12)


def frame_path(frame: dict, index: int) -> np.ndarray:
    entry = frame["data"][index]
    return np.column_stack([entry["x"], entry["y"]])


def test_each_frame_draws_the_true_path_up_to_its_step():
    # Momentum and Adam turn sharply between frames: a path drawn through the frames' steps
    # alone (as it once was) cut those corners, and "step 300" after Play differed from the still.
    settings, runs = default_race()
    fig = race_figure(settings.surface, runs).to_dict()
    assert fig["layout"]["meta"]["drawn_within"] == 0  # every point, in every frame
    first_path = 4
    for frame in fig["frames"]:
        step = int(frame["name"])
        for k, run in enumerate(runs):
            last = min(step, len(run.path) - 1)
            np.testing.assert_array_equal(frame_path(frame, first_path + 2 * k), np.round(run.path[: last + 1], 6))
            np.testing.assert_array_equal(frame_path(frame, first_path + 2 * k + 1), np.round(run.path[[last]], 6))
    # The last frame is the still picture, point for point.
    for index in range(first_path, len(fig["data"])):
        still = np.column_stack([decode_array(fig["data"][index]["x"]), decode_array(fig["data"][index]["y"])])
        np.testing.assert_array_equal(frame_path(fig["frames"][-1], index), still)


def decode_array(values) -> np.ndarray:
    if isinstance(values, dict):
        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=np.dtype(values["dtype"]))
    return np.asarray(values, dtype=float)


def test_a_long_race_is_drawn_within_half_a_pixel_and_within_the_budget():
    settings = from_query({"steps": "5000", "surface": "rosenbrock"})
    runs = [optviz.simulate(settings.surface, o, settings.start_point, settings.step_count, **settings.params_of(o))
            for o in settings.optimizers]
    fig = race_figure(settings.surface, runs).to_dict()
    frames = fig["frames"]
    assert len(frames) == MIN_FRAMES  # as few frames as an animation may have, then...
    # ...the paths within 2 pixels of a 1000-pixel map of Rosenbrock's 4 x 4 view at most
    tolerance = fig["layout"]["meta"]["drawn_within"]
    assert 0 < tolerance <= 2e-3 * math.hypot(4, 4)
    # AdaDelta zigzags a few pixels wide for 5,000 steps: it is drawn so, over the point budget
    points = sum(len(f["data"][i]["x"]) for f in frames for i in range(4, len(f["data"])))
    assert FRAME_POINT_BUDGET < points < 2 * FRAME_POINT_BUDGET
    for frame in frames[:: max(1, len(frames) // 6)] + frames[-1:]:
        step = int(frame["name"])
        for k, run in enumerate(runs):
            drawn = frame_path(frame, 4 + 2 * k)
            true = run.path[: min(step, len(run.path) - 1) + 1]
            # every point of the true path lies within the tolerance of a drawn point
            nearest = np.min(np.hypot(true[:, None, 0] - drawn[None, :, 0], true[:, None, 1] - drawn[None, :, 1]), axis=1)
            assert nearest.max() <= tolerance + 1e-6, (run.optimizer, step, nearest.max())
            np.testing.assert_allclose(drawn[-1], true[-1], atol=1e-6)  # the head's point ends the path


def test_the_map_draws_both_axes_to_one_scale_unless_asked_not_to():
    settings, runs = default_race()
    layout = race_figure(settings.surface, runs).to_dict()["layout"]
    assert layout["yaxis"]["scaleanchor"] == "x" and layout["yaxis"]["scaleratio"] == 1
    # The bowl's view is 12 x 6: its picture is twice as wide as it is high, as are its pixels.
    main = layout["images"][-1]
    assert (main["sizex"], main["sizey"]) == (12.0, 6.0)
    png = Image.open(io.BytesIO(base64.b64decode(main["source"].split(",", 1)[1])))
    assert png.size == (800, 400)
    # Around the view, a wider picture of the surface: a chart of another shape shows more surface, not paper.
    around = layout["images"][0]
    assert around["sizex"] >= 12 and around["sizey"] >= 6 and around["x"] <= -6 and around["y"] >= 3
    free = race_figure(settings.surface, runs, equal_axes=False).to_dict()["layout"]
    assert "scaleanchor" not in free["yaxis"] and len(free["images"]) == 1


def test_focus_fades_every_other_optimizer():
    settings, runs = default_race()
    data = race_figure(settings.surface, runs, focus="rmsprop").to_dict()["data"]
    for trace in data[4:]:
        if trace["legendgroup"] == "rmsprop":
            assert "opacity" not in trace
        else:
            assert trace["opacity"] < 0.3


def test_the_3d_view_marks_start_and_minima_and_plays_like_the_map():
    runs = [optviz.simulate("himmelblau", o, (0.0, -3.0), 120, lr=0.01) for o in ("sgd", "momentum")]
    fig = surface_3d_figure("himmelblau", runs, start=(0.0, -3.0)).to_dict()
    minima, start = fig["data"][1], fig["data"][2]
    assert len(minima["x"]) == 4 and start["x"] == [0.0] and start["y"] == [-3.0]
    # The start sits on the surface: its height is f there, lifted as the surface is.
    f0 = optviz.SURFACES["himmelblau"].value_and_grad(0.0, -3.0)[0]
    _, _, z = optviz.surface_grid("himmelblau", 80)
    assert start["z"][0] == pytest.approx(np.log10(f0 - z.min() + 1) + 1e-3)
    frames = fig["frames"]
    assert len(frames) > 1 and fig["layout"]["sliders"] and fig["layout"]["updatemenus"]
    assert fig["layout"]["sliders"][0]["steps"][0]["args"][1]["frame"]["redraw"] is True  # WebGL needs a redraw
    middle = frames[len(frames) // 2]
    step = int(middle["name"])
    path = middle["data"][0]  # the frames touch only the paths and heads
    np.testing.assert_array_equal(path["x"], np.round(runs[0].path[: step + 1, 0], 6))
    assert middle["traces"][0] == 3 and "scene" not in middle.get("layout", {})  # the camera is left alone


def test_the_3d_floor_is_drawn_to_scale():
    run = optviz.simulate("quadratic", "sgd", steps=5, lr=0.1)
    scene = surface_3d_figure("quadratic", [run]).to_dict()["layout"]["scene"]
    assert scene["aspectratio"]["x"] == 1.0 and scene["aspectratio"]["y"] == 0.5  # the bowl's 12 x 6 view
    free = surface_3d_figure("quadratic", [run], equal_axes=False).to_dict()["layout"]["scene"]
    assert free["aspectratio"]["x"] == free["aspectratio"]["y"] == 1


def test_a_race_stopped_at_step_0_draws_without_error():
    # f is undefined at the start: every run is a single point that diverged at step 0.
    surface = optviz.custom_surface("log(x) + y^2")
    runs = [optviz.simulate(surface, o, (-2.0, 1.0), 50) for o in ("sgd", "adam")]
    assert all(r.diverged_at == 0 and len(r.path) == 1 for r in runs)
    for fig in (race_figure(surface, runs), surface_3d_figure(surface, runs), loss_figure(surface, runs),
                distance_figure(surface, runs)):
        go.Figure(fig.to_dict())
    assert [row["diverged at"] for row in summary_rows(surface, runs)] == ["step 0", "step 0"]
