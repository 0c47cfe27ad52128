"""Data surfaces: a model with two parameters (w, b) trained on samples, its mean loss as the surface.

A :class:`DataSet` is generated from a seed or read from a CSV with columns ``x,y``;
:func:`data_surface` turns it into a :class:`~optviz.engine.surfaces.Surface` whose value and
gradient are the full-batch loss (the compiled kernels read the samples from a block of
float64, see ``surfaces.data_loss``), so the map, the batch runs and every export treat it like
any other surface. :func:`batch_schedule` draws the mini-batches: each epoch a new permutation
from the seed, cut into batches of ``batch_size`` (the last one of an epoch may be smaller).
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
import numbers
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .surfaces import DATA_INDEX, Minimum, Surface, batch_loss

MIN_SAMPLES, MAX_SAMPLES = 10, 10_000  # generated data
MAX_UPLOAD_ROWS = 10_000
MAX_UPLOAD_BYTES = 1_000_000
MAX_SAMPLE_STEPS = 20_000_000
"""The most sample indices a mini-batch schedule may hold (steps x batch size): 80 MB."""


@dataclass(frozen=True)
class Model:
    """A model with exactly two parameters, w (the map's x axis) and b (its y axis)."""

    id: str
    name: str
    code: int  # the model's number in a data block (surfaces.sample_terms)
    latex: str
    classification: bool  # labels 0/1
    spread: str  # what the generator's spread controls
    spread_default: float
    spread_range: tuple[float, float]
    torch_model: str  # how the exported PyTorch script builds it
    torch_loss: str


MODELS: dict[str, Model] = {
    m.id: m
    for m in (
        Model(
            "logistic_regression", "Logistic regression", 1,
            r"L(w, b) = \frac1n \sum_i \big[\log(1 + e^{z_i}) - y_i z_i\big],\quad z_i = w x_i + b",
            True, "class overlap", 1.0, (0.05, 5.0),
            "torch.nn.Linear(1, 1)", "torch.nn.BCEWithLogitsLoss()",
        ),
        Model(
            "linear_regression", "Linear regression", 0,
            r"L(w, b) = \frac1n \sum_i (w x_i + b - y_i)^2",
            False, "noise", 1.0, (0.0, 10.0),
            "torch.nn.Linear(1, 1)", "torch.nn.MSELoss()",
        ),
    )
}
"""The data surfaces' models, by id: each id is a surface choice beside the registry's."""


class DataError(ValueError):
    """Data that cannot be used, and where: the message names the line and column."""


@dataclass(frozen=True, eq=False)
class DataSet:
    """Samples (x_i, y_i) for a model. Two data sets are equal when ``key`` (how they were made,
    or a hash of the uploaded text) is."""

    model: str
    x: np.ndarray
    y: np.ndarray
    key: str
    description: str

    @property
    def samples(self) -> int:
        return int(self.x.shape[0])

    def __eq__(self, other) -> bool:
        return isinstance(other, DataSet) and (self.model, self.key) == (other.model, other.key)

    def __hash__(self) -> int:
        return hash((self.model, self.key))


def get_model(model: str) -> Model:
    if model not in MODELS:
        raise ValueError(f"model={model!r} is not known; choose one of: {', '.join(MODELS)}")
    return MODELS[model]


def _whole(name: str, value, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not low <= value <= high:
        raise ValueError(f"{name}={value!r} is not valid: expected a whole number from {low:,} to {high:,}")
    return int(value)


def generate(model: str, samples: int = 200, seed: int = 0, spread: float | None = None, outliers: float = 0.0) -> DataSet:
    """Samples drawn from ``seed``.

    Logistic regression: labels 0 or 1 with equal chance, x around -1 (label 0) or +1 (label 1)
    with standard deviation ``spread`` (the class overlap). Linear regression: x uniform in
    [-2, 2], y = 2 x + 1 plus Gaussian noise of std ``spread``. ``outliers`` (a fraction, 0 to
    0.5): that share of the samples gets a flipped label, or y moved by 10 up or down.
    """
    m = get_model(model)
    n = _whole("samples", samples, MIN_SAMPLES, MAX_SAMPLES)
    seed = _whole("data seed", seed, 0, 2**31 - 1)
    spread = m.spread_default if spread is None else spread
    lo, hi = m.spread_range
    if isinstance(spread, bool) or not isinstance(spread, numbers.Real) or not lo <= spread <= hi:
        raise ValueError(f"{m.spread}={spread!r} is out of range: expected a number from {lo:g} to {hi:g}")
    if isinstance(outliers, bool) or not isinstance(outliers, numbers.Real) or not 0 <= outliers <= 0.5:
        raise ValueError(f"outliers={outliers!r} is out of range: expected a fraction from 0 to 0.5")
    rng = np.random.default_rng(seed)
    odd = rng.permutation(n)[: round(outliers * n)]
    if m.classification:
        y = (rng.random(n) < 0.5).astype(np.float64)
        x = (2.0 * y - 1.0) + spread * rng.standard_normal(n)
        y[odd] = 1.0 - y[odd]
    else:
        x = rng.uniform(-2.0, 2.0, n)
        y = 2.0 * x + 1.0 + spread * rng.standard_normal(n)
        y[odd] += 10.0 * rng.choice((-1.0, 1.0), odd.shape[0])
    key = f"generated n={n} seed={seed} spread={float(spread)!r} outliers={float(outliers)!r}"
    what = f"{n:,} samples drawn from seed {seed}, {m.spread} {spread:g}" + (f", {outliers:.0%} outliers" if outliers else "")
    return DataSet(m.id, x, y, key, what)


def read_csv(text: str, model: str) -> DataSet:
    """Samples from CSV text with a header ``x,y`` and one sample per line.

    Raises:
        DataError: naming the line (1 is the header) and column of the first fault: wrong
            columns, a value that is not a finite number, a label other than 0 or 1 for a
            classifier, no rows, or too many.
    """
    m = get_model(model)
    if len(text.encode("utf-8", "replace")) > MAX_UPLOAD_BYTES:
        raise DataError(f"the file is too large: at most {MAX_UPLOAD_BYTES // 1000:,} kB")
    rows = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    try:
        header = next(rows)
    except (StopIteration, csv.Error):
        raise DataError("the file is empty: expected a header line x,y and one sample per line") from None
    if [h.strip().lower() for h in header] != ["x", "y"]:
        raise DataError(f"line 1: expected the header x,y, found {','.join(header)[:60]!r}")
    xs, ys = [], []
    try:
        for row in rows:
            line = rows.line_num
            if not any(cell.strip() for cell in row):
                continue  # a blank line
            if len(row) != 2:
                raise DataError(f"line {line}: expected 2 columns (x,y), found {len(row)}")
            values = []
            for column, cell in zip("xy", row, strict=True):
                try:
                    value = float(cell)
                except ValueError:
                    raise DataError(f"line {line}, column {column}: {cell.strip()[:40]!r} is not a number") from None
                if not math.isfinite(value):
                    raise DataError(f"line {line}, column {column}: {cell.strip()!r} is not a finite number")
                if column == "x" and abs(value) > 1e6:
                    raise DataError(f"line {line}, column x: {value:g} is out of range (at most 1e6 in size)")
                values.append(value)
            if m.classification and values[1] not in (0.0, 1.0):
                raise DataError(f"line {line}, column y: {row[1].strip()!r} is not a label: expected 0 or 1")
            if len(xs) == MAX_UPLOAD_ROWS:
                raise DataError(f"line {line}: too many samples, at most {MAX_UPLOAD_ROWS:,}")
            xs.append(values[0])
            ys.append(values[1])
    except csv.Error as err:
        raise DataError(f"line {rows.line_num}: not CSV ({err})") from None
    if len(xs) < 2:
        raise DataError("the file holds fewer than 2 samples: expected a header x,y and one sample per line")
    digest = hashlib.sha256(np.array([xs, ys]).tobytes()).hexdigest()[:16]
    return DataSet(m.id, np.array(xs), np.array(ys), f"uploaded sha256={digest}", f"{len(xs)} uploaded samples")


def subsample(data: DataSet, most: int) -> DataSet:
    """Every k-th sample, at most ``most`` of them (the same data set when it is small enough)."""
    if data.samples <= most:
        return data
    keep = np.linspace(0, data.samples - 1, most).round().astype(int)
    return DataSet(data.model, data.x[keep], data.y[keep], f"{data.key} every-kth={most}", f"{most} of {data.description}")


def _minimum(model: Model, x: np.ndarray, y: np.ndarray) -> tuple[float, float] | None:
    """Where the full-batch loss is lowest: least squares in closed form, or Newton's method on
    the logistic loss (None when it has no minimum: separable classes send |w| to infinity)."""
    if not model.classification:
        design = np.stack([x, np.ones_like(x)], axis=1)
        (w, b), *_ = np.linalg.lstsq(design, y, rcond=None)
        return float(w), float(b)
    w = b = 0.0
    for _ in range(100):
        z = w * x + b
        s = 0.5 * (1.0 + np.tanh(0.5 * z))  # sigmoid, without overflow
        d = s * (1.0 - s)
        gw, gb = np.mean((s - y) * x), np.mean(s - y)
        hww, hwb, hbb = np.mean(d * x * x), np.mean(d * x), np.mean(d)
        det = hww * hbb - hwb * hwb
        if not det > 1e-300:
            return None
        dw, db = (hbb * gw - hwb * gb) / det, (hww * gb - hwb * gw) / det
        w, b = w - dw, b - db
        if not (abs(w) < 1e3 and abs(b) < 1e3):
            return None
        if abs(dw) + abs(db) < 1e-13 * (1.0 + abs(w) + abs(b)):
            return w, b
    return None


@lru_cache(maxsize=64)
def data_surface(data: DataSet) -> Surface:
    """The surface of ``data``'s model: f(w, b) = the mean loss over every sample."""
    model = get_model(data.model)
    block = np.ascontiguousarray(np.concatenate([[float(model.code), float(data.samples)], data.x, data.y]))
    at = _minimum(model, data.x, data.y)
    if at is None:
        centre, minima = (0.0, 0.0), ()
        note = "The classes are separable: the loss keeps falling as |w| grows, so there is no minimum to reach."
    else:
        centre = at
        probe = Surface(id=model.id, name=model.name, latex="", source="", bounds=((0, 1), (0, 1)), start=(0, 0),
                        index=DATA_INDEX, address=block.ctypes.data, compiled=block)
        minima = (Minimum(at[0], at[1], probe.value_and_grad(*at)[0]),)
        note = "The minimum is found numerically (Newton's method), to about 1e-12." if model.classification else ""
    half = max(4.0, 0.5 * max(abs(centre[0]), abs(centre[1])))
    bounds = ((centre[0] - half, centre[0] + half), (centre[1] - half, centre[1] + half))
    start = (centre[0] - 0.75 * half, centre[1] + 0.6 * half)
    return Surface(
        id=model.id, name=f"{model.name} ({data.samples:,} samples)", latex=model.latex,
        source=f"{data.description}; w on the x axis, b on the y axis", bounds=bounds, start=start, minima=minima,
        note=note, approximate_minima=model.classification, index=DATA_INDEX, address=block.ctypes.data,
        compiled=block, data=data, lr_scale=1.0,
        why_start=("Away from the minimum in both weights: the full-batch contour is the loss the mini-batch "
                   "steps aim at, and the noise of each batch shows in the paths."),
    )


@dataclass(frozen=True, eq=False)
class Batches:
    """Which samples each step's gradient uses: step t (1 to steps) takes
    ``indices[offsets[t - 1]:offsets[t]]``, sorted. ``full``: every step takes every sample."""

    samples: int
    batch_size: int
    steps: int
    seed: int
    indices: np.ndarray | None  # int64; None when full
    offsets: np.ndarray | None

    @property
    def full(self) -> bool:
        return self.indices is None

    @property
    def per_epoch(self) -> int:
        """Steps per epoch (a pass over every sample)."""
        return -(-self.samples // self.batch_size)

    def __len__(self) -> int:
        return self.steps

    def __getitem__(self, t: int) -> np.ndarray:
        if not 1 <= t <= self.steps:
            raise IndexError(f"step {t} is not in 1..{self.steps}")
        if self.full:
            return np.arange(self.samples)
        return self.indices[self.offsets[t - 1]:self.offsets[t]]

    def to_json(self) -> list[list[int]] | str:
        """Every step's sample indices (JSON's ``batches``), or "all" for full batches."""
        return "all" if self.full else [self[t].tolist() for t in range(1, self.steps + 1)]


def batch_schedule(samples: int, batch_size: int, steps: int, seed: int) -> Batches:
    """Mini-batches for ``steps`` steps: each epoch a permutation of the samples drawn from
    ``seed`` (numpy's default_rng, one permutation after another), cut into batches of
    ``batch_size``, the last one of an epoch smaller when it does not divide the samples;
    each batch sorted. A batch size of ``samples`` or more is the full batch, every step.
    """
    if batch_size >= samples:
        return Batches(samples, samples, steps, seed, None, None)
    if steps * batch_size > MAX_SAMPLE_STEPS:
        raise ValueError(f"steps x batch size = {steps * batch_size:,} is too many: at most {MAX_SAMPLE_STEPS:,}")
    rng = np.random.default_rng(seed)
    per_epoch = -(-samples // batch_size)
    epochs = -(-steps // per_epoch)
    sizes = np.full(per_epoch, batch_size, dtype=np.int64)
    sizes[-1] = samples - batch_size * (per_epoch - 1)
    chunks = []
    for _ in range(epochs):
        perm = rng.permutation(samples)
        full = batch_size * (per_epoch - 1)
        chunks.append(np.sort(perm[:full].reshape(per_epoch - 1, batch_size), axis=1).ravel())
        chunks.append(np.sort(perm[full:]))
    offsets = np.concatenate([[0], np.cumsum(np.tile(sizes, epochs))])[: steps + 1]
    indices = np.concatenate(chunks)[: offsets[-1]]
    return Batches(samples, batch_size, steps, seed, np.ascontiguousarray(indices, dtype=np.int64), offsets.astype(np.int64))


def batch_gradient(surface: Surface, w: float, b: float, indices: np.ndarray) -> tuple[float, float]:
    """The mean gradient over the samples ``indices`` at (w, b), as a mini-batch step computes it."""
    indices = np.ascontiguousarray(indices, dtype=np.int64)
    _, gw, gb = batch_loss(surface.address, float(w), float(b), indices, 0, indices.shape[0])
    return gw, gb
