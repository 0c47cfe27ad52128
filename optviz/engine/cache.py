"""numba's on-disk cache of the compiled kernels: is it fresh, and compiling into it elsewhere.

A fresh install compiles the kernels once (seconds); later processes load them from the cache.
The server asks these before a first page, and compiles what is missing in helper processes
so that no page's thread holds the GIL through a compile.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from .replay import _replay
from .simulate import _integrate, _integrate_batch, evaluate_grid

FIRST_PAGE_KERNELS = (_integrate, evaluate_grid)
"""The kernels a first page needs: the simulation and the contour grid."""
LATER_KERNELS = (_integrate_batch, _replay)
"""Kernels no first Playground page needs: the batch (typed formulas, sweeps) and replay (Why RMSProp)."""
WARMED_KERNELS = (*FIRST_PAGE_KERNELS, *LATER_KERNELS)
"""The kernels :func:`warm_up` loads or compiles: the first page's two, and the batch kernel."""


def first_page_cached() -> bool:
    """Whether numba's cache holds fresh entries for the kernels a first page needs (else
    they compile), read from numba's index files without loading the kernels."""
    return all(_cached(kernel) is not False for kernel in FIRST_PAGE_KERNELS)


def cached_kernel_index_files() -> list[str]:
    """Paths of numba's cache index files for :data:`WARMED_KERNELS` if every one of them
    holds a fresh entry (numba's own test: its version, and the source file's stamp); else
    an empty list."""
    if not all(_cached(kernel) for kernel in WARMED_KERNELS):
        return []
    return [kernel._cache._cache_file._index_path for kernel in WARMED_KERNELS]


def _cached(kernel) -> bool | None:
    """Whether numba's on-disk cache has a fresh entry for ``kernel``; None if numba's
    internals moved (then nothing is compiled elsewhere, and numba compiles on first use)."""
    try:
        return bool(kernel._cache._cache_file._load_index())
    except AttributeError:
        return None
    except Exception:  # an unreadable index: numba itself would compile again
        return False


def compile_elsewhere(kernel, call: str, nice: int = 0) -> subprocess.Popen | None:
    """Start a process that compiles ``kernel`` (or a tuple of kernels) into numba's on-disk
    cache by running ``optviz.<call>`` (at CPU priority ``nice``: 0 as this process, up to 19,
    lowest); None if the cache already has a fresh entry for each (or numba's internals moved)."""
    kernels = kernel if isinstance(kernel, tuple) else (kernel,)
    if all(_cached(k) is not False for k in kernels):
        return None
    package_parent = str(Path(__file__).resolve().parents[2])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [package_parent, os.environ.get("PYTHONPATH")]))}
    script = _HELPER_WATCH.format(parent=os.getpid()) + (f"os.nice({nice}); " if nice else "") + f"import optviz; {call}"
    return subprocess.Popen([sys.executable, "-c", script], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


_HELPER_WATCH = (
    "import os, threading, time\n"
    "def _watch():\n"
    "    while os.getppid() == {parent}:\n"
    "        time.sleep(0.5)\n"
    "    os._exit(1)\n"
    "threading.Thread(target=_watch, daemon=True).start()\n"
)
"""A compile helper's first lines: it ends itself once the process that started it is gone.

Otherwise a server stopped (or restarted) mid-compile leaves its helper compiling to the
end, and a second server started meanwhile, finding no cache entry yet, starts another.
numba's compile calls into LLVM through ctypes, which lets the watching thread run."""
