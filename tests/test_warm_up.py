"""The server's warm-up (server/warm_up.py, started by serve.py) and numba's cache helpers (optviz.engine.cache)."""

from __future__ import annotations

import importlib
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import optviz
from optviz.engine import cache
from optviz.race.run import run_race
from optviz.race.settings import from_query
from optviz.render.figures import placeholder_figure, race_map
from server import warm_up as warm

kernels = importlib.import_module("optviz.engine.simulate")  # the module: optviz.engine.simulate is the function
ROOT = Path(__file__).resolve().parents[1]


def fake_kernel(index_path) -> SimpleNamespace:
    """Stands in for a numba dispatcher: its cache index holds an entry if ``index_path`` exists."""
    index = Path(index_path)
    cache_file = SimpleNamespace(_index_path=str(index), _load_index=lambda: {"entry": 1} if index.exists() else {})
    return SimpleNamespace(_cache=SimpleNamespace(_cache_file=cache_file))


def test_warm_up_runs_once_and_marks_the_process_warm():
    warm.warm_up()
    assert warm.WARM.is_set()
    assert kernels._integrate.signatures  # the simulation kernel is loaded in this process
    assert cache.first_page_cached()
    optviz.simulate_batch("quadratic", "sgd", [[0.0, 0.0]], 2)  # the batch kernel too, as a first custom formula does
    optviz.replay("sgd", [1.0])  # and replay, as the Why RMSProp page does
    assert warm.warm_up(parallel=True) is None  # already warm, every kernel cached: no helper


def test_parallel_warm_up_in_a_new_process():
    # What serve.py's thread runs. The kernels are in the cache by now (this session has run
    # them), so no helper starts; a failure here (it once read a kernel off the wrong module)
    # would only have been logged by the server.
    script = "from server import warm_up as warm; warm.warm_up(parallel=True); assert warm.WARM.is_set()"
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr


def test_the_real_kernels_cache_index_is_found():
    optviz.surface_grid("quadratic", 4)
    assert cache.compile_elsewhere(kernels.evaluate_grid, "surface_grid('quadratic', 4)") is None


def test_a_cached_kernel_needs_no_helper(tmp_path):
    index = tmp_path / "kernel.nbi"
    index.write_bytes(b"")
    assert cache.compile_elsewhere(fake_kernel(index), "surface_grid('quadratic', 4)") is None


def test_a_missing_kernel_is_compiled_by_a_helper_process_that_imports_this_optviz(tmp_path):
    # The helper runs optviz.<call> in a new interpreter; here the call checks it got this
    # checkout's package, and fails (exit 1) otherwise.
    check = f"import sys; sys.exit(0 if optviz.__file__ == {optviz.__file__!r} else 1)"
    helper = cache.compile_elsewhere(fake_kernel(tmp_path / "missing.nbi"), "__name__; " + check)
    assert helper is not None and helper.wait(timeout=120) == 0


def test_numba_internals_moved_means_compile_here():
    assert cache.compile_elsewhere(SimpleNamespace(), "surface_grid('quadratic', 4)") is None


def test_placeholder_holds_the_maps_height_and_says_why():
    layout = placeholder_figure("Preparing the race...").to_dict()["layout"]
    settings = from_query({})
    map_height = race_map(settings, run_race(settings)[0]).to_dict()["layout"]["height"]  # the default race's map
    assert layout["height"] == map_height and layout["annotations"][0]["text"] == "Preparing the race..."
    assert layout["xaxis"]["visible"] is False


def test_a_helper_runs_at_the_priority_asked(tmp_path):
    helper = cache.compile_elsewhere(fake_kernel(tmp_path / "missing.nbi"),
                                     "__name__; import os, sys; sys.exit(0 if os.nice(0) >= 5 else 1)", nice=5)
    assert helper is not None and helper.wait(timeout=120) == 0


def test_a_helper_ends_when_the_process_that_started_it_is_killed(tmp_path):
    # A server stopped mid-compile must not leave its helpers running (they once piled up,
    # one per server start, each compiling for 10 to 25 s).
    parent_script = (
        "import sys, time; from types import SimpleNamespace as N; from optviz.engine import cache\n"
        f"kernel = N(_cache=N(_cache_file=N(_index_path={str(tmp_path / 'missing.nbi')!r}, _load_index=dict)))\n"
        "helper = cache.compile_elsewhere(kernel, '__name__; import time; time.sleep(120)')\n"
        "print(helper.pid, flush=True)\n"
        "time.sleep(120)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", parent_script], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    helper_pid = int(parent.stdout.readline())
    assert Path(f"/proc/{helper_pid}").exists()
    parent.kill()
    parent.wait(timeout=10)
    deadline = time.monotonic() + 15
    while _running(helper_pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _running(helper_pid), "the compile helper outlived the process that started it"


def _running(pid: int) -> bool:
    """Whether ``pid`` is a live process (not gone, not a zombie waiting to be reaped)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_the_batch_kernel_is_seen_to_even_when_a_page_warmed_the_process_first(monkeypatch):
    # serve.py's thread may find the process warmed by a first page's own call; the batch
    # kernel (which that call leaves alone) must still be compiled if it is missing.
    warm.warm_up()
    asked = []
    monkeypatch.setattr(warm, "compile_elsewhere", lambda kernel, call, nice=0: asked.append(kernel) or "helper")
    assert warm.warm_up(parallel=True) == "helper"
    assert asked == [(kernels._integrate_batch, importlib.import_module("optviz.engine.replay")._replay)]


def test_a_stale_cache_entry_is_compiled_elsewhere(tmp_path, monkeypatch):
    # numba keys a cache entry on its source file's text: after an edit the index is still
    # there, but stale, and a helper must compile (not this process, holding the GIL).
    module = tmp_path / "stale_kernel.py"
    module.write_text("from numba import njit\n@njit(cache=True)\ndef f(x):\n    return x + 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    first = importlib.import_module("stale_kernel")
    assert first.f(1) == 2
    assert cache._cached(first.f) is True
    assert cache.compile_elsewhere(first.f, "__name__") is None
    module.write_text("from numba import njit\n@njit(cache=True)\ndef f(x):\n    return x + 2\n")
    sys.modules.pop("stale_kernel")
    edited = importlib.import_module("stale_kernel")
    assert Path(edited.f._cache._cache_file._index_path).exists()  # the old index is still there
    assert cache._cached(edited.f) is False
    helper = cache.compile_elsewhere(edited.f, "__name__")
    assert helper is not None and helper.wait(timeout=120) == 0


def test_every_warmed_kernel_is_named_once_all_are_cached():
    warm.warm_up()
    optviz.simulate_batch("quadratic", "sgd", [[0.0, 0.0]], 2)
    optviz.replay("sgd", [1.0])
    files = cache.cached_kernel_index_files()
    assert len(files) == 4 and all(Path(f).is_file() and f.endswith(".nbi") for f in files)
