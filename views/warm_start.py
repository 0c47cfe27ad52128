"""Whether a starting server needs to warm optviz up, answered without importing it.

``serve.py`` used to import optviz and load its compiled kernels in a thread as soon as the
server started. With the kernels already in numba's cache that work is about 0.6 s of Python,
and it ran while the first visitor's browser was fetching Streamlit's front end from the same
process: every one of those requests waited for the GIL. A page that loads the kernels itself
does it while the browser evaluates plotly.js, where nobody waits for it. Interleaved first
views (6 each, medians): warming at start 3.27 s, the page doing it 2.67 s; a separate process
importing optviz at start, even niced, still cost 0.3 to 0.45 s of that gain (two shared cores).

So the server's warm-up thread, once its work is done and the batch kernel is compiled,
records what it found here; a later server start reads that record (a small file, plus hashes
and stats, a few milliseconds) and warms up at start only if something changed: optviz's
sources, numba or llvmlite, the Python, or a cache index file gone. A wrong "yes" costs
speed only (the page compiles what is missing, under its spinner), never a wrong result.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import sys
import tempfile
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "optviz"


def stamp_path(package: Path = PACKAGE, cache_dir: str | None = None) -> Path:
    """Where the record for this checkout, numba cache folder (``NUMBA_CACHE_DIR`` unless
    given) and Python is kept."""
    cache_dir = os.environ.get("NUMBA_CACHE_DIR", "") if cache_dir is None else cache_dir
    key = "\0".join([str(package), cache_dir, sys.executable])
    return Path(tempfile.gettempdir()) / f"optviz-kernels-{hashlib.sha256(key.encode()).hexdigest()[:16]}.json"


def fingerprint(index_files: list[str], package: Path = PACKAGE) -> str | None:
    """A hash of everything a cached kernel depends on; None if an index file is missing."""
    if not index_files or not all(os.path.isfile(f) for f in index_files):
        return None
    h = hashlib.sha256(sys.version.encode())
    for source in sorted(package.glob("*.py")):
        h.update(source.name.encode() + b"\0" + source.read_bytes())
    for module in ("numba", "llvmlite"):
        spec = importlib.util.find_spec(module)  # finds, does not import
        origin = Path(spec.origin) if spec and spec.origin else None
        h.update(f"{origin}:{origin.stat().st_mtime_ns if origin else ''}".encode())
    for f in index_files:
        h.update(f.encode())
    return h.hexdigest()


def record(index_files: list[str], package: Path = PACKAGE) -> bool:
    """Note that ``index_files`` hold this checkout's kernels; False if there was nothing to note."""
    found = fingerprint(index_files, package)
    if found is None:
        return False
    path = stamp_path(package)
    partial = path.with_suffix(f".{os.getpid()}.tmp")
    partial.write_text(json.dumps({"index_files": index_files, "fingerprint": found}))
    partial.replace(path)  # whole or not at all, for a server starting meanwhile
    return True


def kernels_cached(package: Path = PACKAGE, cache_dir: str | None = None) -> bool:
    """Whether the record says the kernels are cached for exactly what is installed now."""
    try:
        saved = json.loads(stamp_path(package, cache_dir).read_text())
        return fingerprint(list(saved["index_files"]), package) == saved["fingerprint"]
    except (OSError, ValueError, KeyError, TypeError):
        return False
