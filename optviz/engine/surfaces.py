"""Two-dimensional test surfaces: values, exact gradients and what is known about them.

Each surface is one ``@njit`` kernel returning ``(f, df/dx, df/dy)`` at a point, with the
formula and its hand-derived gradient in the docstring. :data:`SURFACES` is the registry
(ids, view bounds, minima, default start, LaTeX, source) that the simulation driver, the
app, the docs and the tests iterate over. The driver dispatches on ``Surface.index``
through :func:`evaluate`, so one compiled kernel serves every surface.

Most definitions follow the SFU Virtual Library of Simulation Experiments
(Surjanovic & Bingham, https://www.sfu.ca/~ssurjano/optimization.html).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
from numba import njit

from .lanes import LANES
from .pointer import call_compiled, load_double

TWO_PI = 2.0 * math.pi
DATA_INDEX = -2
"""The index of a data surface: ``evaluate`` reads its samples from the block at ``address``."""


@njit(cache=True, error_model="numpy")
def quadratic(x: float, y: float) -> tuple[float, float, float]:
    """f = 0.1 x^2 + 2 y^2;  grad = (0.2 x, 4 y)."""
    return 0.1 * x * x + 2.0 * y * y, 0.2 * x, 4.0 * y


@njit(cache=True, error_model="numpy")
def rosenbrock(x: float, y: float) -> tuple[float, float, float]:
    """f = (1 - x)^2 + 100 (y - x^2)^2;  grad = (-2(1 - x) - 400 x (y - x^2), 200 (y - x^2))."""
    r = y - x * x
    return (1.0 - x) ** 2 + 100.0 * r * r, -2.0 * (1.0 - x) - 400.0 * x * r, 200.0 * r


@njit(cache=True, error_model="numpy")
def beale(x: float, y: float) -> tuple[float, float, float]:
    """f = a^2 + b^2 + c^2 with a = 1.5 - x + xy, b = 2.25 - x + xy^2, c = 2.625 - x + xy^3;
    grad = 2a (y - 1, x) + 2b (y^2 - 1, 2xy) + 2c (y^3 - 1, 3xy^2)."""
    y2 = y * y
    y3 = y2 * y
    a = 1.5 - x + x * y
    b = 2.25 - x + x * y2
    c = 2.625 - x + x * y3
    gx = 2.0 * a * (y - 1.0) + 2.0 * b * (y2 - 1.0) + 2.0 * c * (y3 - 1.0)
    gy = 2.0 * a * x + 4.0 * b * x * y + 6.0 * c * x * y2
    return a * a + b * b + c * c, gx, gy


@njit(cache=True, error_model="numpy")
def himmelblau(x: float, y: float) -> tuple[float, float, float]:
    """f = (x^2 + y - 11)^2 + (x + y^2 - 7)^2;  grad = (4xp + 2q, 2p + 4yq) with p, q the two brackets."""
    p = x * x + y - 11.0
    q = x + y * y - 7.0
    return p * p + q * q, 4.0 * x * p + 2.0 * q, 2.0 * p + 4.0 * y * q


@njit(cache=True, error_model="numpy")
def rastrigin(x: float, y: float) -> tuple[float, float, float]:
    """f = 20 + x^2 - 10 cos(2 pi x) + y^2 - 10 cos(2 pi y);  df/dx = 2x + 20 pi sin(2 pi x)."""
    f = 20.0 + x * x - 10.0 * math.cos(TWO_PI * x) + y * y - 10.0 * math.cos(TWO_PI * y)
    gx = 2.0 * x + 10.0 * TWO_PI * math.sin(TWO_PI * x)
    gy = 2.0 * y + 10.0 * TWO_PI * math.sin(TWO_PI * y)
    return f, gx, gy


@njit(cache=True, error_model="numpy")
def ackley(x: float, y: float) -> tuple[float, float, float]:
    """f = -20 exp(-0.2 r) - exp(s) + e + 20, r = sqrt((x^2 + y^2) / 2), s = (cos 2 pi x + cos 2 pi y) / 2;
    df/dx = 2 x exp(-0.2 r) / r + pi sin(2 pi x) exp(s).

    At the origin r = 0 and the cone term has no derivative; we return its minimum-norm
    subgradient, 0, so the global minimum is a stationary point (a run started there stays).
    """
    r = math.sqrt(0.5 * (x * x + y * y))
    cone = math.exp(-0.2 * r)
    ripple = math.exp(0.5 * (math.cos(TWO_PI * x) + math.cos(TWO_PI * y)))
    f = -20.0 * cone - ripple + math.e + 20.0
    radial = 2.0 * cone / r if r > 0.0 else 0.0
    gx = radial * x + math.pi * math.sin(TWO_PI * x) * ripple
    gy = radial * y + math.pi * math.sin(TWO_PI * y) * ripple
    return f, gx, gy


@njit(cache=True, error_model="numpy")
def booth(x: float, y: float) -> tuple[float, float, float]:
    """f = (x + 2y - 7)^2 + (2x + y - 5)^2;  grad = (2p + 4q, 4p + 2q) with p, q the two brackets."""
    p = x + 2.0 * y - 7.0
    q = 2.0 * x + y - 5.0
    return p * p + q * q, 2.0 * p + 4.0 * q, 4.0 * p + 2.0 * q


@njit(cache=True, error_model="numpy")
def matyas(x: float, y: float) -> tuple[float, float, float]:
    """f = 0.26 (x^2 + y^2) - 0.48 xy;  grad = (0.52 x - 0.48 y, 0.52 y - 0.48 x)."""
    return 0.26 * (x * x + y * y) - 0.48 * x * y, 0.52 * x - 0.48 * y, 0.52 * y - 0.48 * x


@njit(cache=True, error_model="numpy")
def three_hump_camel(x: float, y: float) -> tuple[float, float, float]:
    """f = 2x^2 - 1.05x^4 + x^6/6 + xy + y^2;  grad = (4x - 4.2x^3 + x^5 + y, x + 2y)."""
    x2 = x * x
    f = 2.0 * x2 - 1.05 * x2 * x2 + x2 * x2 * x2 / 6.0 + x * y + y * y
    return f, 4.0 * x - 4.2 * x2 * x + x2 * x2 * x + y, x + 2.0 * y


@njit(cache=True, error_model="numpy")
def six_hump_camel(x: float, y: float) -> tuple[float, float, float]:
    """f = (4 - 2.1x^2 + x^4/3) x^2 + xy + (4y^2 - 4) y^2;
    grad = (8x - 8.4x^3 + 2x^5 + y, x - 8y + 16y^3)."""
    x2 = x * x
    y2 = y * y
    f = (4.0 - 2.1 * x2 + x2 * x2 / 3.0) * x2 + x * y + (4.0 * y2 - 4.0) * y2
    gx = 8.0 * x - 8.4 * x2 * x + 2.0 * x2 * x2 * x + y
    gy = x - 8.0 * y + 16.0 * y2 * y
    return f, gx, gy


@njit(cache=True, error_model="numpy")
def goldstein_price(x: float, y: float) -> tuple[float, float, float]:
    """f = A B with A = 1 + p^2 q, p = x + y + 1, q = 19 - 14x + 3x^2 - 14y + 6xy + 3y^2,
    B = 30 + r^2 s, r = 2x - 3y, s = 18 - 32x + 12x^2 + 48y - 36xy + 27y^2;
    grad = (A_x B + A B_x, A_y B + A B_y) with A_x = A_y = 2pq + p^2 (6x + 6y - 14),
    B_x = 4rs + r^2 (24x - 36y - 32), B_y = -6rs + r^2 (54y - 36x + 48)."""
    p = x + y + 1.0
    q = 19.0 - 14.0 * x + 3.0 * x * x - 14.0 * y + 6.0 * x * y + 3.0 * y * y
    r = 2.0 * x - 3.0 * y
    s = 18.0 - 32.0 * x + 12.0 * x * x + 48.0 * y - 36.0 * x * y + 27.0 * y * y
    a = 1.0 + p * p * q
    b = 30.0 + r * r * s
    a_xy = 2.0 * p * q + p * p * (6.0 * x + 6.0 * y - 14.0)
    b_x = 4.0 * r * s + r * r * (24.0 * x - 36.0 * y - 32.0)
    b_y = -6.0 * r * s + r * r * (54.0 * y - 36.0 * x + 48.0)
    return a * b, a_xy * b + a * b_x, a_xy * b + a * b_y


@njit(cache=True, error_model="numpy")
def styblinski_tang(x: float, y: float) -> tuple[float, float, float]:
    """f = (x^4 - 16x^2 + 5x + y^4 - 16y^2 + 5y) / 2;  df/dx = 2x^3 - 16x + 2.5."""
    f = 0.5 * (x**4 - 16.0 * x * x + 5.0 * x + y**4 - 16.0 * y * y + 5.0 * y)
    return f, 2.0 * x**3 - 16.0 * x + 2.5, 2.0 * y**3 - 16.0 * y + 2.5


@njit(cache=True, error_model="numpy")
def saddle(x: float, y: float) -> tuple[float, float, float]:
    """f = x^2 - y^2;  grad = (2x, -2y). Unbounded below: no minimum."""
    return x * x - y * y, 2.0 * x, -2.0 * y


@njit(cache=True, error_model="numpy")
def monkey_saddle(x: float, y: float) -> tuple[float, float, float]:
    """f = x^3 - 3xy^2;  grad = (3x^2 - 3y^2, -6xy). Unbounded below: no minimum."""
    return x**3 - 3.0 * x * y * y, 3.0 * x * x - 3.0 * y * y, -6.0 * x * y



# --- Data surfaces: a two-parameter model's mean loss over samples (see optviz.engine.data).
# A data block is float64: [model, n, x_0 .. x_{n-1}, y_0 .. y_{n-1}]; model 0 is linear regression
# (squared error), 1 logistic regression (binary cross-entropy on the logit). Kept in this file:
# numba's cache checks only the file of the function it compiles, and evaluate inlines these.


@njit(cache=True, error_model="numpy", inline="always")
def sample_terms(model: int, xi: float, yi: float, w: float, b: float) -> tuple[float, float, float]:
    """One sample's loss and its gradient in (w, b).

    Linear: r = w x + b - y, loss r^2, gradient (2 r x, 2 r). Logistic: z = w x + b, loss
    softplus(z) - y z (= binary cross-entropy of sigmoid(z)), gradient ((s - y) x, s - y) with
    s = sigmoid(z); both written so that no exp overflows for a large |z|.
    """
    if model == 0:
        r = w * xi + b - yi
        return r * r, 2.0 * r * xi, 2.0 * r
    z = w * xi + b
    if z >= 0.0:
        e = math.exp(-z)
        s = 1.0 / (1.0 + e)
        loss = z - yi * z + math.log1p(e)
    else:
        e = math.exp(z)
        s = e / (1.0 + e)
        loss = math.log1p(e) - yi * z
    d = s - yi
    return loss, d * xi, d


@njit(cache=True, error_model="numpy")
def data_loss(address: int, w: float, b: float) -> tuple[float, float, float]:
    """The full-batch mean loss and its gradient: samples summed in their stored order."""
    model = int(load_double(address, 0))
    n = int(load_double(address, 1))
    f = gw = gb = 0.0
    for i in range(n):
        loss, a, c = sample_terms(model, load_double(address, 2 + i), load_double(address, 2 + n + i), w, b)
        f += loss
        gw += a
        gb += c
    return f / n, gw / n, gb / n


@njit(cache=True, error_model="numpy")
def batch_loss(address: int, w: float, b: float, indices: np.ndarray, lo: int, hi: int) -> tuple[float, float, float]:
    """The mean loss and gradient over samples ``indices[lo:hi]``, summed in that order (a batch
    holding every sample in order gives :func:`data_loss` bit for bit)."""
    model = int(load_double(address, 0))
    n = int(load_double(address, 1))
    f = gw = gb = 0.0
    for k in range(lo, hi):
        i = indices[k]
        loss, a, c = sample_terms(model, load_double(address, 2 + i), load_double(address, 2 + n + i), w, b)
        f += loss
        gw += a
        gb += c
    m = hi - lo
    return f / m, gw / m, gb / m


@njit(cache=True, error_model="numpy", inline="always")
def evaluate(index: int, address: int, x: float, y: float) -> tuple[float, float, float]:
    """Dispatch to the kernel with this index (its place in :data:`SURFACES`): ``(f, df/dx, df/dy)`` at ``(x, y)``.

    ``address`` is only read for a custom formula (``index == CUSTOM_INDEX``): the machine
    code compiled by :mod:`optviz.engine.formula`, called through a pointer.
    """
    if index == 0:
        return quadratic(x, y)
    if index == 1:
        return rosenbrock(x, y)
    if index == 2:
        return beale(x, y)
    if index == 3:
        return himmelblau(x, y)
    if index == 4:
        return rastrigin(x, y)
    if index == 5:
        return ackley(x, y)
    if index == 6:
        return booth(x, y)
    if index == 7:
        return matyas(x, y)
    if index == 8:
        return three_hump_camel(x, y)
    if index == 9:
        return six_hump_camel(x, y)
    if index == 10:
        return goldstein_price(x, y)
    if index == 11:
        return styblinski_tang(x, y)
    if index == 12:
        return saddle(x, y)
    if index == 13:
        return monkey_saddle(x, y)
    if index == DATA_INDEX:
        return data_loss(address, x, y)
    return call_compiled(address, x, y)


@njit(cache=True, error_model="numpy", inline="always")
def evaluate_lanes(index: int, address: int, P: np.ndarray, F: np.ndarray, G: np.ndarray) -> None:
    """:func:`evaluate` at LANES points at once: x in P[:LANES], y in P[LANES:]; f into F and
    the gradient into G, laid out as P. One loop per surface, so each vectorises where its
    maths allows."""
    if index == 0:
        for i in range(LANES):
            F[i], G[i], G[LANES + i] = quadratic(P[i], P[LANES + i])
    elif index == 1:
        for i in range(LANES):
            F[i], G[i], G[LANES + i] = rosenbrock(P[i], P[LANES + i])
    elif index == 2:
        for i in range(LANES):
            F[i], G[i], G[LANES + i] = beale(P[i], P[LANES + i])
    elif index == 3:
        for i in range(LANES):
            F[i], G[i], G[LANES + i] = himmelblau(P[i], P[LANES + i])
    elif index == 4:
        for i in range(LANES):
            F[i], G[i], G[LANES + i] = rastrigin(P[i], P[LANES + i])
    elif index == 5:
        for i in range(LANES):
            F[i], G[i], G[LANES + i] = ackley(P[i], P[LANES + i])
    elif index == 6:
        for i in range(LANES):
            F[i], G[i], G[LANES + i] = booth(P[i], P[LANES + i])
    elif index == 7:
        for i in range(LANES):
            F[i], G[i], G[LANES + i] = matyas(P[i], P[LANES + i])
    elif index == 8:
        for i in range(LANES):
            F[i], G[i], G[LANES + i] = three_hump_camel(P[i], P[LANES + i])
    elif index == 9:
        for i in range(LANES):
            F[i], G[i], G[LANES + i] = six_hump_camel(P[i], P[LANES + i])
    elif index == 10:
        for i in range(LANES):
            F[i], G[i], G[LANES + i] = goldstein_price(P[i], P[LANES + i])
    elif index == 11:
        for i in range(LANES):
            F[i], G[i], G[LANES + i] = styblinski_tang(P[i], P[LANES + i])
    elif index == 12:
        for i in range(LANES):
            F[i], G[i], G[LANES + i] = saddle(P[i], P[LANES + i])
    elif index == 13:
        for i in range(LANES):
            F[i], G[i], G[LANES + i] = monkey_saddle(P[i], P[LANES + i])
    elif index == DATA_INDEX:
        for i in range(LANES):
            F[i], G[i], G[LANES + i] = data_loss(address, P[i], P[LANES + i])
    else:
        for i in range(LANES):
            F[i], G[i], G[LANES + i] = call_compiled(address, P[i], P[LANES + i])


@dataclass(frozen=True)
class Minimum:
    """A known global minimum: the point and the value there."""

    x: float
    y: float
    value: float


@dataclass(frozen=True)
class Surface:
    """One test surface: everything the driver, the figures, the UI and the scripts derive from.

    ``numpy_code`` repeats the kernel's arithmetic operation by operation (numba writes
    ``x**3`` as products and ``v**0.5`` as a root), so a NumPy script reproduces a path to the
    last bit; it is written out once more for that reason. The PyTorch script's f comes from
    ``formula`` (autograd makes the gradient and agrees to rounding anyway).
    """

    id: str
    name: str
    latex: str
    source: str
    bounds: tuple[tuple[float, float], tuple[float, float]]
    start: tuple[float, float]
    minima: tuple[Minimum, ...] = ()
    lr_scale: float = 1.0  # a learning rate that suits this surface, relative to the quadratic bowl
    log_contours: bool = True  # contour levels on a log scale of f - min (steep valleys)
    note: str = ""
    formula: str = ""  # f in the syntax a user types (optviz.engine.formula); a custom surface's identity
    approximate_minima: bool = False  # minima found numerically, not known in closed form
    steps: int = 300  # the race's default length on this surface
    why_start: str = ""  # why the default start (and steps) make a telling race
    kernel: Callable | None = field(default=None, repr=False, compare=False, hash=False)  # None: a typed formula
    numpy_code: str = ""  # f and its gradient as a NumPy script's body, in the kernel's arithmetic order
    address: int = 0  # compiled code of a custom formula, a data surface's sample block (0 for the built-ins)
    compiled: object = field(default=None, repr=False, compare=False, hash=False)  # keeps that code or block alive
    data: object = None  # a data surface's DataSet (optviz.engine.data); compared by its key
    index: int = -1  # its place in SURFACES (the compiled dispatch); CUSTOM_INDEX for a typed formula

    @property
    def min_value(self) -> float | None:
        return min(m.value for m in self.minima) if self.minima else None

    @property
    def is_custom(self) -> bool:
        return self.index == CUSTOM_INDEX

    @property
    def is_data(self) -> bool:
        return self.index == DATA_INDEX

    def value_and_grad(self, x: float, y: float) -> tuple[float, float, float]:
        return evaluate(self.index, self.address, float(x), float(y))


SFU = "Surjanovic & Bingham, Virtual Library of Simulation Experiments, SFU (sfu.ca/~ssurjano)"

SURFACES: dict[str, Surface] = {
    s.id: replace(s, index=k)
    for k, s in enumerate((
        Surface(
            "quadratic", "Ill-conditioned bowl",
            r"f(x, y) = 0.1\,x^2 + 2\,y^2",
            "Zhang et al., Dive into Deep Learning, sec. 12.8 (RMSProp)",
            ((-6.0, 6.0), (-3.0, 3.0)), (-5.0, -2.0), (Minimum(0.0, 0.0, 0.0),),
            lr_scale=1.0,
            formula="0.1*x**2 + 2*y**2",
            why_start=(
                "Dive into Deep Learning's start for its RMSProp example: far out along the shallow x axis and off the steep y axis. Plain gradient steps must stay small for y and so crawl along x: the ill-conditioning that per-coordinate step sizes fix."
            ),
            kernel=quadratic,
            numpy_code='return 0.1 * x * x + 2.0 * y * y, 0.2 * x, 4.0 * y',
        ),
        Surface(
            "rosenbrock", "Rosenbrock",
            r"f(x, y) = (1 - x)^2 + 100\,(y - x^2)^2",
            "Rosenbrock (1960), The Computer Journal 3(3); a = 1, b = 100; " + SFU,
            ((-2.0, 2.0), (-1.0, 3.0)), (-1.5, 2.5), (Minimum(1.0, 1.0, 0.0),),
            lr_scale=0.01, steps=1000,
            formula="(1 - x)**2 + 100*(y - x**2)**2",
            why_start=(
                'High on the far side of the curved valley: every optimizer first drops into the valley, then has to follow its bend to (1, 1). 1,000 steps, since that second part is slow: the momentum methods and Adam get close, the others are still on the way.'
            ),
            kernel=rosenbrock,
            numpy_code="""
                r = y - x * x
                a = 1.0 - x
                return a * a + 100.0 * r * r, -2.0 * a - 400.0 * x * r, 200.0 * r
            """,
        ),
        Surface(
            "beale", "Beale",
            r"f(x, y) = (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2",
            SFU,
            ((-4.5, 4.5), (-4.5, 4.5)), (1.0, 1.5), (Minimum(3.0, 0.5, 0.0),),
            lr_scale=0.01,
            formula="(1.5 - x + x*y)**2 + (2.25 - x + x*y**2)**2 + (2.625 - x + x*y**3)**2",
            why_start=(
                'On the flat plateau above the narrow valley that leads to (3, 0.5): the gradient is weak there, and the race shows who leaves the plateau quickly and who bends into the valley cleanly.'
            ),
            kernel=beale,
            numpy_code="""
                y2 = y * y
                y3 = y2 * y
                a = 1.5 - x + x * y
                b = 2.25 - x + x * y2
                c = 2.625 - x + x * y3
                gx = 2.0 * a * (y - 1.0) + 2.0 * b * (y2 - 1.0) + 2.0 * c * (y3 - 1.0)
                gy = 2.0 * a * x + 4.0 * b * x * y + 6.0 * c * x * y2
                return a * a + b * b + c * c, gx, gy
            """,
        ),
        Surface(
            "himmelblau", "Himmelblau",
            r"f(x, y) = (x^2 + y - 11)^2 + (x + y^2 - 7)^2",
            "Himmelblau (1972), Applied Nonlinear Programming",
            ((-5.0, 5.0), (-5.0, 5.0)), (0.0, -3.0),
            (
                Minimum(3.0, 2.0, 0.0),
                Minimum(-2.805118086952745, 3.131312518250573, 0.0),
                Minimum(-3.779310253377747, -3.283185991286169, 0.0),
                Minimum(3.5844283403304917, -1.8481265269644034, 0.0),
            ),
            lr_scale=0.05,
            formula="(x**2 + y - 11)**2 + (x + y**2 - 7)**2",
            why_start=(
                'Below the central hill, between minima of equal depth: small differences in the first steps send the optimizers to different minima (three of the four are reached from here).'
            ),
            kernel=himmelblau,
            numpy_code="""
                p = x * x + y - 11.0
                q = x + y * y - 7.0
                return p * p + q * q, 4.0 * x * p + 2.0 * q, 2.0 * p + 4.0 * y * q
            """,
        ),
        Surface(
            "rastrigin", "Rastrigin",
            r"f(x, y) = 20 + \sum_{u \in \{x, y\}} \left(u^2 - 10\cos 2\pi u\right)",
            "Rastrigin (1974); A = 10; " + SFU,
            ((-5.12, 5.12), (-5.12, 5.12)), (4.45, 4.45), (Minimum(0.0, 0.0, 0.0),),
            lr_scale=0.05, log_contours=False,
            formula="20 + x**2 - 10*cos(2*pi*x) + y**2 - 10*cos(2*pi*y)",
            why_start=(
                'In the far corner, with rings of local minima between the start and the centre: methods whose stable rates are small stop in the first well; AdaGrad and Adam, whose stable rates are large, leap across the bowl and settle in wells near the centre.'
            ),
            kernel=rastrigin,
            numpy_code="""
                f = 20.0 + x * x - 10.0 * math.cos(TWO_PI * x) + y * y - 10.0 * math.cos(TWO_PI * y)
                gx = 2.0 * x + 10.0 * TWO_PI * math.sin(TWO_PI * x)
                gy = 2.0 * y + 10.0 * TWO_PI * math.sin(TWO_PI * y)
                return f, gx, gy
            """,
        ),
        Surface(
            "ackley", "Ackley",
            r"f(x, y) = -20\,e^{-0.2\sqrt{(x^2 + y^2)/2}} - e^{(\cos 2\pi x + \cos 2\pi y)/2} + e + 20",
            "Ackley (1987); a = 20, b = 0.2, c = 2 pi; " + SFU,
            ((-5.0, 5.0), (-5.0, 5.0)), (2.5, 3.5), (Minimum(0.0, 0.0, 0.0),),
            lr_scale=0.1, log_contours=False,
            note="Not differentiable at the origin (a cone tip); the gradient there is taken as 0.",
            formula="-20*exp(-0.2*sqrt(0.5*(x**2 + y**2))) - exp(0.5*(cos(2*pi*x) + cos(2*pi*y))) + e + 20",
            why_start=(
                'Among the ripples away from the centre: between ripples the surface is nearly flat, so the race shows who follows the weak overall slope to the centre and who stops in a ripple.'
            ),
            kernel=ackley,
            numpy_code="""
                r = math.sqrt(0.5 * (x * x + y * y))
                cone = math.exp(-0.2 * r)
                ripple = math.exp(0.5 * (math.cos(TWO_PI * x) + math.cos(TWO_PI * y)))
                f = -20.0 * cone - ripple + math.e + 20.0
                radial = 2.0 * cone / r if r > 0.0 else 0.0  # the cone's tip: take the subgradient 0
                gx = radial * x + math.pi * math.sin(TWO_PI * x) * ripple
                gy = radial * y + math.pi * math.sin(TWO_PI * y) * ripple
                return f, gx, gy
            """,
        ),
        Surface(
            "booth", "Booth",
            r"f(x, y) = (x + 2y - 7)^2 + (2x + y - 5)^2",
            SFU,
            ((-10.0, 10.0), (-10.0, 10.0)), (-8.0, -6.0), (Minimum(1.0, 3.0, 0.0),),
            lr_scale=0.1,
            formula="(x + 2*y - 7)**2 + (2*x + y - 5)**2",
            why_start=(
                'In the far corner of a plain, well-conditioned bowl: nearly every optimizer gets there, so the race is about how directly and how fast.'
            ),
            kernel=booth,
            numpy_code="""
                p = x + 2.0 * y - 7.0
                q = 2.0 * x + y - 5.0
                return p * p + q * q, 2.0 * p + 4.0 * q, 4.0 * p + 2.0 * q
            """,
        ),
        Surface(
            "matyas", "Matyas",
            r"f(x, y) = 0.26\,(x^2 + y^2) - 0.48\,xy",
            SFU,
            ((-10.0, 10.0), (-10.0, 10.0)), (-8.0, 6.0), (Minimum(0.0, 0.0, 0.0),),
            lr_scale=1.0,
            formula="0.26*(x**2 + y**2) - 0.48*x*y",
            why_start=(
                'Off the floor of a long, flat valley along the diagonal y = x: steps first fall onto the diagonal, then crawl along it, which separates the methods that build up speed from the rest.'
            ),
            kernel=matyas,
            numpy_code='return 0.26 * (x * x + y * y) - 0.48 * x * y, 0.52 * x - 0.48 * y, 0.52 * y - 0.48 * x',
        ),
        Surface(
            "three_hump_camel", "Three-hump camel",
            r"f(x, y) = 2x^2 - 1.05x^4 + x^6/6 + xy + y^2",
            SFU,
            ((-2.5, 2.5), (-2.5, 2.5)), (2.0, -2.0), (Minimum(0.0, 0.0, 0.0),),
            lr_scale=0.1,
            formula="2*x**2 - 1.05*x**4 + x**6/6 + x*y + y**2",
            why_start=(
                "Beside a side hump's local minimum at about (1.75, -0.87): optimizers that keep their speed (Nesterov, AdaGrad's large first steps) roll past it to the global minimum; the others settle in it."
            ),
            kernel=three_hump_camel,
            numpy_code="""
                x2 = x * x
                f = 2.0 * x2 - 1.05 * x2 * x2 + x2 * x2 * x2 / 6.0 + x * y + y * y
                return f, 4.0 * x - 4.2 * x2 * x + x2 * x2 * x + y, x + 2.0 * y
            """,
        ),
        Surface(
            "six_hump_camel", "Six-hump camel",
            r"f(x, y) = \left(4 - 2.1x^2 + x^4/3\right)x^2 + xy + \left(4y^2 - 4\right)y^2",
            SFU,
            ((-2.0, 2.0), (-1.2, 1.2)), (-1.5, -1.0),
            (
                Minimum(0.08984201310031807, -0.7126564030207396, -1.0316284534898774),
                Minimum(-0.08984201310031807, 0.7126564030207396, -1.0316284534898774),
            ),
            lr_scale=0.05,
            formula="(4 - 2.1*x**2 + x**4/3)*x**2 + x*y + (4*y**2 - 4)*y**2",
            why_start=(
                'Outside the left end, with a hump between the start and the two global minima: the race ends in three places, a local minimum next to the start, a deeper one reached with momentum, and a global minimum (Adam).'
            ),
            kernel=six_hump_camel,
            numpy_code="""
                x2 = x * x
                y2 = y * y
                f = (4.0 - 2.1 * x2 + x2 * x2 / 3.0) * x2 + x * y + (4.0 * y2 - 4.0) * y2
                gx = 8.0 * x - 8.4 * x2 * x + 2.0 * x2 * x2 * x + y
                gy = x - 8.0 * y + 16.0 * y2 * y
                return f, gx, gy
            """,
        ),
        Surface(
            "goldstein_price", "Goldstein-Price",
            r"f(x, y) = \left[1 + (x + y + 1)^2 (19 - 14x + 3x^2 - 14y + 6xy + 3y^2)\right]"
            r"\left[30 + (2x - 3y)^2 (18 - 32x + 12x^2 + 48y - 36xy + 27y^2)\right]",
            "Goldstein & Price (1971), Mathematics of Computation 25; " + SFU,
            ((-2.0, 2.0), (-2.0, 2.0)), (-0.6, 1.2), (Minimum(0.0, -1.0, 3.0),),
            lr_scale=1e-4,
            formula=(
                "(1 + (x + y + 1)**2*(19 - 14*x + 3*x**2 - 14*y + 6*x*y + 3*y**2))*"
                "(30 + (2*x - 3*y)**2*(18 - 32*x + 12*x**2 + 48*y - 36*x*y + 27*y**2))"
            ),
            why_start=(
                'Values here span six orders of magnitude, so no single learning rate suits every region: a rate small enough for the steep walls barely moves plain gradient descent on the floor, while momentum and RMSProp reach the minimum at (0, -1).'
            ),
            kernel=goldstein_price,
            numpy_code="""
                p = x + y + 1.0
                q = 19.0 - 14.0 * x + 3.0 * x * x - 14.0 * y + 6.0 * x * y + 3.0 * y * y
                r = 2.0 * x - 3.0 * y
                s = 18.0 - 32.0 * x + 12.0 * x * x + 48.0 * y - 36.0 * x * y + 27.0 * y * y
                a = 1.0 + p * p * q
                b = 30.0 + r * r * s
                a_xy = 2.0 * p * q + p * p * (6.0 * x + 6.0 * y - 14.0)  # da/dx = da/dy
                b_x = 4.0 * r * s + r * r * (24.0 * x - 36.0 * y - 32.0)
                b_y = -6.0 * r * s + r * r * (54.0 * y - 36.0 * x + 48.0)
                return a * b, a_xy * b + a * b_x, a_xy * b + a * b_y
            """,
        ),
        Surface(
            "styblinski_tang", "Styblinski-Tang",
            r"f(x, y) = \tfrac12 \sum_{u \in \{x, y\}} \left(u^4 - 16u^2 + 5u\right)",
            "Styblinski & Tang (1990), Neural Networks 3(4); " + SFU,
            ((-5.0, 5.0), (-5.0, 5.0)), (4.0, 4.5),
            (Minimum(-2.903534027771177, -2.903534027771177, -78.33233140754282),),
            lr_scale=0.02, log_contours=False,
            formula="0.5*(x**4 - 16*x**2 + 5*x + y**4 - 16*y**2 + 5*y)",
            why_start=(
                'In the upper-right basin, next to a local minimum at about (2.75, 2.75): Momentum and Adam carry their speed over the ridge to the global minimum; the others stop in the local one.'
            ),
            kernel=styblinski_tang,
            numpy_code="""
                x2 = x * x
                y2 = y * y
                f = 0.5 * (x2 * x2 - 16.0 * x * x + 5.0 * x + y2 * y2 - 16.0 * y * y + 5.0 * y)
                return f, 2.0 * (x2 * x) - 16.0 * x + 2.5, 2.0 * (y2 * y) - 16.0 * y + 2.5
            """,
        ),
        Surface(
            "saddle", "Saddle",
            r"f(x, y) = x^2 - y^2",
            "The standard saddle point; see Goodfellow, Bengio & Courville, Deep Learning, sec. 4.3",
            ((-2.0, 2.0), (-2.0, 2.0)), (-1.8, 0.01), (),
            lr_scale=0.1, log_contours=False,
            note="Unbounded below: there is no minimum, only the saddle at the origin to escape.",
            formula="x**2 - y**2",
            why_start=(
                "Just off the saddle's ridge (y = 0.01): the push away along y starts tiny, so the race shows how quickly each optimizer notices it and escapes."
            ),
            kernel=saddle,
            numpy_code='return x * x - y * y, 2.0 * x, -2.0 * y',
        ),
        Surface(
            "monkey_saddle", "Monkey saddle",
            r"f(x, y) = x^3 - 3xy^2",
            "The monkey saddle; e.g. Weisstein, MathWorld, 'Monkey Saddle'",
            ((-2.0, 2.0), (-2.0, 2.0)), (1.5, 0.2), (),
            lr_scale=0.05, log_contours=False,
            note="Unbounded below: there is no minimum; the degenerate saddle at the origin has zero Hessian.",
            formula="x**3 - 3*x*y**2",
            why_start=(
                'On a slope near the flat, degenerate saddle at the origin: the gradient vanishes towards the centre, and the race shows which optimizers keep moving downhill and which stall.'
            ),
            kernel=monkey_saddle,
            numpy_code='return x * x * x - 3.0 * x * y * y, 3.0 * x * x - 3.0 * y * y, -6.0 * x * y',
        ),
    ))
}

CUSTOM_INDEX = len(SURFACES)
"""The index of a typed formula: ``evaluate`` calls its compiled code at ``address``."""


MAX_BOUND = 1e6
"""The largest |x| or |y| a typed surface's view may reach."""
MIN_SPAN = 1e-6
"""The narrowest a view may be: a map, its axes and its click grid need a span they can draw."""


def check_bounds(bounds) -> tuple[tuple[float, float], tuple[float, float]]:
    """((x_min, x_max), (y_min, y_max)) as floats, or a ValueError that says what is wrong."""
    try:
        (x_lo, x_hi), (y_lo, y_hi) = bounds
        values = [float(v) for v in (x_lo, x_hi, y_lo, y_hi)]
    except (TypeError, ValueError):
        raise ValueError(f"bounds={bounds!r} is not valid: expected ((x_min, x_max), (y_min, y_max))") from None
    x_lo, x_hi, y_lo, y_hi = values
    if not all(math.isfinite(v) and abs(v) <= MAX_BOUND for v in values) or not (
        x_hi - x_lo >= MIN_SPAN and y_hi - y_lo >= MIN_SPAN
    ):
        raise ValueError(
            f"bounds={bounds!r} is out of range: expected finite numbers within ±{MAX_BOUND:g}, "
            f"with x_max - x_min and y_max - y_min at least {MIN_SPAN:g}"
        )
    return (x_lo, x_hi), (y_lo, y_hi)


def get_surface(surface: str | Surface) -> Surface:
    """The registry entry for ``surface`` (an id or a Surface), or a ValueError naming the choices."""
    if isinstance(surface, Surface):
        return surface
    if not isinstance(surface, str) or surface not in SURFACES:
        raise ValueError(f"surface={surface!r} is not known; choose one of: {', '.join(SURFACES)}")
    return SURFACES[surface]


def minima_array(surface: Surface) -> np.ndarray:
    """The known minima as an (M, 2) float64 array (M may be 0)."""
    return np.array([(m.x, m.y) for m in surface.minima], dtype=np.float64).reshape(-1, 2)
