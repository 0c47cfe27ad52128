"""optviz: watch RMSProp and its rivals move across 2D loss surfaces.

The package holds all of optviz's logic and never imports Streamlit:
surfaces (:mod:`optviz.surfaces`), optimizer update rules (:mod:`optviz.optimizers`) and the
compiled simulation driver (:mod:`optviz.simulate`).
"""

import os

# Batches equal single runs bit for bit only if the vectorised lane loops call the same libm
# as the scalar loop: Intel's SVML (numba uses it when icc_rt is installed) differs in the
# last bits. Off unless the user set the variable; tests/test_simulate.py checks it is off.
os.environ.setdefault("NUMBA_DISABLE_INTEL_SVML", "1")

from .engine.data import MODELS, DataSet, data_surface
from .engine.data import generate as generate_data
from .engine.data import read_csv as read_data_csv
from .engine.optimizers import OPTIMIZERS, Hyperparameter, Optimizer, get_optimizer, resolve_hyperparameters
from .engine.replay import Replay, replay, replay_trace
from .engine.simulate import MAX_STEPS, BatchResult, Trajectory, simulate, simulate_batch, surface_grid
from .engine.surfaces import SURFACES, Minimum, Surface, get_surface


def __getattr__(name: str):
    """``optviz.custom_surface`` is imported on first use: it brings in SymPy, which the rest never needs."""
    if name == "custom_surface":
        from .engine.custom import custom_surface

        return custom_surface
    raise AttributeError(f"module 'optviz' has no attribute {name!r}")


__all__ = [
    "MAX_STEPS",
    "MODELS",
    "OPTIMIZERS",
    "SURFACES",
    "BatchResult",
    "DataSet",
    "Hyperparameter",
    "Minimum",
    "Optimizer",
    "Replay",
    "Surface",
    "Trajectory",
    "custom_surface",
    "data_surface",
    "generate_data",
    "get_optimizer",
    "get_surface",
    "read_data_csv",
    "replay",
    "replay_trace",
    "resolve_hyperparameters",
    "simulate",
    "simulate_batch",
    "surface_grid",
]
