"""optviz: watch RMSProp and its rivals move across 2D loss surfaces.

The package holds all of optviz's logic and never imports Streamlit:
surfaces (:mod:`optviz.surfaces`), optimizer update rules (:mod:`optviz.optimizers`) and the
compiled simulation driver (:mod:`optviz.simulate`).
"""

from .optimizers import OPTIMIZERS, Hyperparameter, Optimizer, get_optimizer, resolve_hyperparameters
from .simulate import MAX_STEPS, BatchResult, Trajectory, simulate, simulate_batch, surface_grid
from .surfaces import SURFACES, Minimum, Surface, get_surface

__all__ = [
    "MAX_STEPS",
    "OPTIMIZERS",
    "SURFACES",
    "BatchResult",
    "Hyperparameter",
    "Minimum",
    "Optimizer",
    "Surface",
    "Trajectory",
    "get_optimizer",
    "get_surface",
    "resolve_hyperparameters",
    "simulate",
    "simulate_batch",
    "surface_grid",
]
