"""serve.py's start: warm optviz up only when its kernels are not known to be cached (server.warm_start)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from serving import serving

import optviz
from optviz.engine import cache
from server import warm_start
from server import warm_up as warm


@pytest.fixture
def package(tmp_path, monkeypatch):
    """A stand-in package folder, two index files and a record folder of their own."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    pkg = tmp_path / "optviz"
    pkg.mkdir()
    (pkg / "simulate.py").write_text("x = 1\n")
    (pkg / "surfaces.py").write_text("y = 2\n")
    indexes = [tmp_path / "a.nbi", tmp_path / "b.nbi"]
    for f in indexes:
        f.write_bytes(b"index")
    return pkg, [str(f) for f in indexes]


@pytest.fixture
def cached_kernels(tmp_path, monkeypatch) -> list[str]:
    """Every kernel serve.py warms up, in numba's cache (as after a first server start); and a
    record folder of the test's own, for this process and the servers it starts."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    warm.warm_up()
    optviz.simulate_batch("quadratic", "sgd", [[0.0, 0.0]], 2)
    optviz.replay("sgd", [1.0])
    files = cache.cached_kernel_index_files()
    assert len(files) == 4
    return files


def test_nothing_recorded_means_warm_up(package):
    pkg, _ = package
    assert not warm_start.stamp_path(pkg).exists()
    assert warm_start.kernels_cached(pkg) is False


def test_a_record_is_found_and_goes_stale_when_an_index_file_goes(package):
    pkg, indexes = package
    assert warm_start.record(indexes, warm_start.sources_digest(pkg), pkg) is True
    assert warm_start.stamp_path(pkg).parent == pkg.parent / "cache" / "optviz"  # $XDG_CACHE_HOME/optviz
    assert warm_start.kernels_cached(pkg) is True
    Path(indexes[1]).unlink()  # say, the numba cache folder was cleared
    assert warm_start.kernels_cached(pkg) is False


def test_a_rewritten_index_file_means_warm_up(package):
    # numba rewrites an index whenever it compiles into it (say, a test run on an edited
    # source): what was recorded may no longer be what is cached.
    pkg, indexes = package
    warm_start.record(indexes, warm_start.sources_digest(pkg), pkg)
    Path(indexes[0]).write_bytes(b"rewritten index")
    assert warm_start.kernels_cached(pkg) is False


def test_an_edited_source_means_warm_up_and_its_old_text_is_cached_again(package):
    pkg, indexes = package
    warm_start.record(indexes, warm_start.sources_digest(pkg), pkg)
    source = pkg / "surfaces.py"
    source.write_text("y = 3\n")
    assert warm_start.kernels_cached(pkg) is False
    source.write_text("y = 2\n")  # back as recorded: numba's cache (keyed by the text) is valid again
    assert warm_start.kernels_cached(pkg) is True
    (pkg / "new.py").write_text("")
    assert warm_start.kernels_cached(pkg) is False


def test_a_source_edited_while_compiling_is_not_recorded(package):
    pkg, indexes = package
    before = warm_start.sources_digest(pkg)
    (pkg / "simulate.py").write_text("x = 10\n")  # during the warm-up
    assert warm_start.record(indexes, before, pkg) is False
    assert warm_start.kernels_cached(pkg) is False


def test_a_broken_record_means_warm_up(package):
    pkg, indexes = package
    path = warm_start.stamp_path(pkg)
    path.parent.mkdir(parents=True)
    wrong = json.dumps({"index_files": indexes, "fingerprint": "0" * 64})
    odd = json.dumps({"index_files": [3, None], "fingerprint": "x"})
    for text in ("", "{not json", '{"index_files": 3, "fingerprint": "x"}', '{"fingerprint": "x"}', "[]", wrong, odd):
        path.write_text(text)
        assert warm_start.kernels_cached(pkg) is False, text


def test_nothing_is_recorded_without_every_index_file(package):
    pkg, indexes = package
    digest = warm_start.sources_digest(pkg)
    assert warm_start.record([], digest, pkg) is False
    assert warm_start.record([*indexes, indexes[0] + ".gone"], digest, pkg) is False
    assert not warm_start.stamp_path(pkg).exists()


def test_each_checkout_and_numba_cache_folder_has_its_own_record(package, tmp_path):
    pkg, _ = package
    paths = {warm_start.stamp_path(pkg), warm_start.stamp_path(tmp_path / "elsewhere" / "optviz"),
             warm_start.stamp_path(pkg, cache_dir=str(tmp_path / "numba"))}
    assert len(paths) == 3


def _numba_loaded(pid: int) -> bool:
    """Whether process ``pid`` has numba's compiled helper library mapped (it imported numba)."""
    return "_helperlib" in Path(f"/proc/{pid}/maps").read_text()


def test_a_server_with_its_kernels_cached_starts_without_loading_numba(tmp_path, cached_kernels):
    assert warm_start.record(cached_kernels, warm_start.sources_digest())
    log_path = tmp_path / "server.log"
    with open(log_path, "w") as log, serving(log) as (_url, proc):
        deadline = time.monotonic() + 30
        while "kernels recorded as cached" not in log_path.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert "kernels recorded as cached" in log_path.read_text()
        time.sleep(1)
        assert not _numba_loaded(proc.pid)


def test_a_server_without_a_record_warms_up_at_start_and_records(tmp_path, cached_kernels):
    assert not warm_start.stamp_path().exists()
    log_path = tmp_path / "server.log"
    with open(log_path, "w") as log, serving(log) as (_url, proc):
        deadline = time.monotonic() + 60
        while not warm_start.stamp_path().exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert "warming up at start" in log_path.read_text()
        assert _numba_loaded(proc.pid)
    assert warm_start.kernels_cached()
