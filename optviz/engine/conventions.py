"""RMSProp as each library writes it: named presets of optviz's RMSProp, with their sources.

Each preset sets what the library's RMSProp does by default: the decay, eps and where eps
sits, the running average's starting value. The learning rate is left to the caller (the
libraries' defaults differ, 1e-3 to 1e-2, which would hide everything else).

How momentum enters differs too, and no preset needs a switch for it: PyTorch accumulates
g / d and multiplies the buffer by lr (b <- mu b + g/d; x <- x - lr b), while TensorFlow 1,
Keras 3 and Optax accumulate lr g / d (m <- mu m + lr g/d; x <- x - m). With a constant
learning rate these are the same sequence of points (m = lr b), up to rounding; they part
only when lr changes during training, which optviz does not do.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Convention:
    """One library's RMSProp: optviz's hyperparameters that reproduce it, and where it says so."""

    id: str
    name: str
    values: dict[str, float | bool]  # optviz's rmsprop hyperparameters (lr aside)
    momentum_form: str
    source: str  # repository, file and lines
    colour: str
    notes: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def eps_placement(self) -> str:
        return "inside the root: sqrt(v + eps)" if self.values["eps_in_sqrt"] else "outside: sqrt(v) + eps"


LR_AFTER = "b <- mu b + g/d; x <- x - lr b (lr after the buffer)"
LR_BEFORE = "m <- mu m + lr g/d; x <- x - m (lr before the buffer)"

CONVENTIONS: tuple[Convention, ...] = (
    Convention(
        "lecture", "Lecture 6e (Hinton)",
        {"alpha": 0.9, "eps": 0.0, "eps_in_sqrt": False, "initial_square_avg": 0.0},
        "none in the lecture",
        "Hinton, Srivastava & Swersky, Neural Networks for Machine Learning, lecture 6e (2012): "
        "MeanSquare(w, t) = 0.9 MeanSquare(w, t-1) + 0.1 (dE/dw)^2, the gradient divided by its root. "
        "Read from secondary copies of the slides (e.g. hmchen47/DataScience, ML/MLNN-Hinton/06-MiniBatch.md, "
        "lines 515-561); no eps appears there.",
        "#6b6b6b",
        notes="No eps: a gradient of exactly 0 before any other divides 0 by 0.",
    ),
    Convention(
        "pytorch", "PyTorch",
        {"alpha": 0.99, "eps": 1e-8, "eps_in_sqrt": False, "initial_square_avg": 0.0},
        LR_AFTER,
        "pytorch/pytorch v2.11.0, torch/optim/rmsprop.py: defaults lines 34-36 (alpha 0.99, eps 1e-8), "
        "square_avg starts at zeros line 123, avg = sqrt(square_avg) + eps lines 325-330, momentum lines 336-337",
        "#d62728",
    ),
    Convention(
        "keras", "Keras 3",
        {"alpha": 0.9, "eps": 1e-7, "eps_in_sqrt": True, "initial_square_avg": 0.0},
        LR_BEFORE,
        "keras-team/keras (HEAD 3422977), keras/src/optimizers/rmsprop.py: defaults lines 55-58 (rho 0.9, "
        "epsilon 1e-7), velocity starts at zeros line 97, lr g / sqrt(velocity + epsilon) lines 143-146, "
        "momentum lines 150-152",
        "#1f77b4",
    ),
    Convention(
        "tf1", "TensorFlow 1 (ApplyRMSProp)",
        {"alpha": 0.9, "eps": 1e-10, "eps_in_sqrt": True, "initial_square_avg": 1.0},
        LR_BEFORE,
        "tensorflow/tensorflow, tensorflow/core/kernels/training_ops.cc (commit b7d3cf6) lines 114-128: "
        "ms += (g^2 - ms)(1 - rho); mom = mom momentum + lr g / sqrt(ms + epsilon); var -= mom; "
        "tensorflow/python/training/rmsprop.py (v2.21.0): decay 0.9, epsilon 1e-10 lines 138-140, "
        "the rms slot starts at ones lines 188-193",
        "#ff7f0e",
        notes="v starts at 1, so the first steps are damped: the first denominator is about sqrt(0.9 + 0.1 g^2).",
    ),
    Convention(
        "optax", "Optax",
        {"alpha": 0.9, "eps": 1e-8, "eps_in_sqrt": True, "initial_square_avg": 0.0},
        LR_BEFORE,
        "google-deepmind/optax (HEAD 2edbcbe), optax/_src/alias.py rmsprop: decay 0.9, eps 1e-8, "
        "initial_scale 0, eps_in_sqrt True lines 1962-1965, chain(scale_by_rms, scale_by_learning_rate, trace) "
        "lines 2057-2070; optax/_src/transform.py scale_by_rms lines 96-142",
        "#2ca02c",
        notes="eps_in_sqrt and bias_correction (default off) came with v0.2.4; eps_in_sqrt=False matches PyTorch.",
    ),
    Convention(
        "d2l", "Dive into Deep Learning",
        {"alpha": 0.9, "eps": 1e-6, "eps_in_sqrt": True, "initial_square_avg": 0.0},
        "none in the book",
        "d2l-ai/d2l-en (HEAD 23d7a5a), chapter_optimization/rmsprop.md lines 71-82: g, eps = ..., 1e-6; "
        "s = gamma s + (1 - gamma) g^2; x -= eta / sqrt(s + eps) g; eta 0.4, gamma 0.9",
        "#9467bd",
    ),
)

CONVENTION = {c.id: c for c in CONVENTIONS}
