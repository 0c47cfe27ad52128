"""Whether a starting server needs to warm optviz up, answered without importing it.

Loading optviz's cached kernels at server start runs while the first visitor's browser
fetches Streamlit's front end from the same process, and every one of those requests waits
for the GIL; a page that loads them itself does it while the browser evaluates plotly.js,
where nobody waits (the README's Playground section has the measurements).

So the server's warm-up thread, once its work is done and the batch kernel is compiled,
records here what numba's cache was built from: a hash of optviz's sources, where numba and
llvmlite are installed and when, the Python, and each index file's path, size and time of
writing. A later start reads that record (about a millisecond) and warms up at start only
if it no longer holds: a source edited, a package upgraded, an index file rewritten or gone. A wrong "cached" costs speed only (the
page compiles what is missing, under its spinner), never a wrong result.

The record lives in the user's cache folder (``$XDG_CACHE_HOME/optviz``, else
``~/.cache/optviz``), one file per checkout, numba cache folder and Python.
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


def record_folder() -> Path:
    """The user's cache folder for optviz; the temporary folder if there is no home."""
    try:
        return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "optviz"
    except RuntimeError:  # no HOME and a user id without a passwd entry, as in some containers
        return Path(tempfile.gettempdir()) / f"optviz-{os.getuid()}"


def stamp_path(package: Path = PACKAGE, cache_dir: str | None = None) -> Path:
    """Where the record for this checkout, numba cache folder (``NUMBA_CACHE_DIR`` unless
    given) and Python is kept."""
    cache_dir = os.environ.get("NUMBA_CACHE_DIR", "") if cache_dir is None else cache_dir
    key = "\0".join([str(package), cache_dir, sys.executable])
    return record_folder() / f"kernels-{hashlib.sha256(key.encode()).hexdigest()[:16]}.json"


def sources_digest(package: Path = PACKAGE) -> str:
    """A hash of what compiled kernels depend on: optviz's sources, numba, llvmlite, the Python."""
    h = hashlib.sha256(sys.version.encode())
    for source in sorted(package.glob("*.py")):
        h.update(source.name.encode() + b"\0" + source.read_bytes())
    for module in ("numba", "llvmlite"):
        spec = importlib.util.find_spec(module)  # finds, does not import
        origin = Path(spec.origin) if spec and spec.origin else None
        h.update(f"{origin}:{origin.stat().st_mtime_ns if origin else ''}".encode())
    return h.hexdigest()


def fingerprint(index_files: list[str], package: Path = PACKAGE, digest: str | None = None) -> str | None:
    """The record's hash: the sources' digest and the index files (each one's path, size and
    time of writing: numba rewrites an index whenever it compiles into it); None if one is
    missing."""
    if not index_files:
        return None
    h = hashlib.sha256((digest or sources_digest(package)).encode())
    for f in index_files:
        try:
            stat = os.stat(f)
        except OSError:
            return None
        h.update(f"\0{f}\0{stat.st_size}\0{stat.st_mtime_ns}".encode())
    return h.hexdigest()


def record(index_files: list[str], digest: str, package: Path = PACKAGE) -> bool:
    """Note that ``index_files`` hold kernels compiled from the sources whose
    :func:`sources_digest` was ``digest`` (taken before the warm-up began). False, and
    nothing noted, if there are no such files or the sources changed meanwhile."""
    if sources_digest(package) != digest:
        return False  # edited while compiling: the cache may hold the old text's kernels
    found = fingerprint(index_files, package, digest)
    if found is None:
        return False
    path = stamp_path(package)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, partial = tempfile.mkstemp(dir=path.parent, prefix=path.stem, suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as out:
            json.dump({"index_files": index_files, "fingerprint": found}, out)
        os.replace(partial, path)  # whole or not at all, for a server starting meanwhile
    except BaseException:
        os.unlink(partial)
        raise
    return True


def kernels_cached(package: Path = PACKAGE, cache_dir: str | None = None) -> bool:
    """Whether the record says the kernels are cached for exactly what is installed now."""
    try:
        saved = json.loads(stamp_path(package, cache_dir).read_text())
        return fingerprint(list(saved["index_files"]), package) == saved["fingerprint"]
    except Exception:  # no record, or not one written here: warm up, as without it
        return False
