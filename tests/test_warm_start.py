"""serve.py's start: warm optviz up only when its kernels are not known to be cached (views.warm_start)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from serving import serving

import optviz
from optviz import race
from views import warm_start


@pytest.fixture
def package(tmp_path):
    """A stand-in package folder and two index files; its record is removed afterwards."""
    pkg = tmp_path / "optviz"
    pkg.mkdir()
    (pkg / "simulate.py").write_text("x = 1\n")
    (pkg / "surfaces.py").write_text("y = 2\n")
    indexes = [tmp_path / "a.nbi", tmp_path / "b.nbi"]
    for f in indexes:
        f.write_bytes(b"index")
    yield pkg, [str(f) for f in indexes]
    warm_start.stamp_path(pkg).unlink(missing_ok=True)


def test_nothing_recorded_means_warm_up(package):
    pkg, _ = package
    assert not warm_start.stamp_path(pkg).exists()
    assert warm_start.kernels_cached(pkg) is False


def test_a_record_is_found_and_goes_stale_when_an_index_file_goes(package):
    pkg, indexes = package
    assert warm_start.record(indexes, pkg) is True
    assert warm_start.kernels_cached(pkg) is True
    Path(indexes[1]).unlink()  # say, the numba cache folder was cleared
    assert warm_start.kernels_cached(pkg) is False


def test_an_edited_source_means_warm_up_and_its_old_text_is_cached_again(package):
    pkg, indexes = package
    warm_start.record(indexes, pkg)
    source = pkg / "surfaces.py"
    source.write_text("y = 3\n")
    assert warm_start.kernels_cached(pkg) is False
    source.write_text("y = 2\n")  # back as recorded: numba's cache (keyed by the text) is valid again
    assert warm_start.kernels_cached(pkg) is True
    (pkg / "new.py").write_text("")
    assert warm_start.kernels_cached(pkg) is False


def test_a_broken_record_means_warm_up(package):
    pkg, indexes = package
    path = warm_start.stamp_path(pkg)
    wrong = json.dumps({"index_files": indexes, "fingerprint": "0" * 64})
    for text in ("", "{not json", '{"index_files": 3, "fingerprint": "x"}', '{"fingerprint": "x"}', "[]", wrong):
        path.write_text(text)
        assert warm_start.kernels_cached(pkg) is False, text


def test_nothing_is_recorded_without_every_index_file(package):
    pkg, indexes = package
    assert warm_start.record([], pkg) is False
    assert warm_start.record([*indexes, indexes[0] + ".gone"], pkg) is False
    assert not warm_start.stamp_path(pkg).exists()


def test_each_checkout_has_its_own_record(package, tmp_path):
    pkg, _ = package
    assert warm_start.stamp_path(pkg) != warm_start.stamp_path(tmp_path / "elsewhere" / "optviz")
    assert warm_start.stamp_path(pkg) == warm_start.stamp_path(pkg)


def test_the_real_kernels_index_files_are_named():
    race.warm_up()
    optviz.simulate_batch("quadratic", "sgd", [[0.0, 0.0]], 2)
    files = race.kernel_index_files()
    assert len(files) == 3 and all(Path(f).is_file() and f.endswith(".nbi") for f in files)
    assert warm_start.fingerprint(files) is not None


def _numba_loaded(pid: int) -> bool:
    """Whether process ``pid`` has numba's compiled helper library mapped (it imported numba)."""
    return "_helperlib" in Path(f"/proc/{pid}/maps").read_text()


def test_a_server_with_its_kernels_cached_starts_without_loading_numba(tmp_path):
    race.warm_up()
    optviz.simulate_batch("quadratic", "sgd", [[0.0, 0.0]], 2)  # every kernel cached, as after a first start
    assert warm_start.record(race.kernel_index_files())
    with open(tmp_path / "server.log", "w") as log, serving(log) as (_url, proc):
        time.sleep(2)  # a warm-up thread would have imported numba well within this
        assert not _numba_loaded(proc.pid)


def test_a_server_without_a_record_warms_up_at_start_and_records(tmp_path):
    race.warm_up()
    optviz.simulate_batch("quadratic", "sgd", [[0.0, 0.0]], 2)
    warm_start.stamp_path().unlink(missing_ok=True)
    with open(tmp_path / "server.log", "w") as log, serving(log) as (_url, proc):
        deadline = time.monotonic() + 60
        while not warm_start.stamp_path().exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _numba_loaded(proc.pid)
    assert warm_start.kernels_cached()
