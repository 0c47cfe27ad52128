"""The server's warm-up (optviz.race.warm_up, started by serve.py) and its compile helper."""

from __future__ import annotations

import importlib
import inspect
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import optviz
from optviz import race
from optviz.figures import placeholder_figure, race_figure

kernels = importlib.import_module("optviz.simulate")  # the module: optviz.simulate is the function
ROOT = Path(__file__).resolve().parents[1]


def fake_kernel(index_path) -> SimpleNamespace:
    """Stands in for a numba dispatcher: only the cache index path is read."""
    return SimpleNamespace(_cache=SimpleNamespace(_cache_file=SimpleNamespace(_index_path=str(index_path))))


def test_warm_up_runs_once_and_marks_the_process_warm():
    race.warm_up()
    assert race.WARM.is_set()
    assert kernels._integrate.signatures  # the simulation kernel is loaded in this process
    race.warm_up(parallel=True)  # already warm: returns without starting any helper


def test_parallel_warm_up_in_a_new_process():
    # What serve.py's thread runs. The kernels are in the cache by now (this session has run
    # them), so no helper starts; a failure here (it once read a kernel off the wrong module)
    # would only have been logged by the server.
    script = "from optviz import race; race.warm_up(parallel=True); assert race.WARM.is_set()"
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr


def test_the_real_kernels_cache_index_is_found():
    optviz.surface_grid("quadratic", 4)
    assert race._compile_elsewhere(kernels.evaluate_grid, "surface_grid('quadratic', 4)") is None


def test_a_cached_kernel_needs_no_helper(tmp_path):
    index = tmp_path / "kernel.nbi"
    index.write_bytes(b"")
    assert race._compile_elsewhere(fake_kernel(index), "surface_grid('quadratic', 4)") is None


def test_a_missing_kernel_is_compiled_by_a_helper_process_that_imports_this_optviz(tmp_path):
    # The helper runs optviz.<call> in a new interpreter; here the call checks it got this
    # checkout's package, and fails (exit 1) otherwise.
    check = f"import sys; sys.exit(0 if optviz.__file__ == {race.__file__.replace('race.py', '__init__.py')!r} else 1)"
    helper = race._compile_elsewhere(fake_kernel(tmp_path / "missing.nbi"), "__name__; " + check)
    assert helper is not None and helper.wait(timeout=120) == 0


def test_numba_internals_moved_means_compile_here():
    assert race._compile_elsewhere(SimpleNamespace(), "surface_grid('quadratic', 4)") is None


def test_placeholder_holds_the_maps_height_and_says_why():
    layout = placeholder_figure("Preparing the race...").to_dict()["layout"]
    map_height = inspect.signature(race_figure).parameters["height"].default
    assert layout["height"] == map_height and layout["annotations"][0]["text"] == "Preparing the race..."
    assert layout["xaxis"]["visible"] is False


def test_a_helper_runs_at_the_priority_asked(tmp_path):
    helper = race._compile_elsewhere(fake_kernel(tmp_path / "missing.nbi"),
                                     "__name__; import os, sys; sys.exit(0 if os.nice(0) >= 5 else 1)", nice=5)
    assert helper is not None and helper.wait(timeout=120) == 0
