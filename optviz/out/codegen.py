"""Standalone scripts that reproduce one optimizer's path: NumPy (exact) and PyTorch (torch.optim).

Each script is short, readable Python that users can carry into their own work: the surface's
f and gradient written out, the start, the hyperparameters and the steps, the update rule,
and a final ``print`` of the last point at full float64 precision. Both keep every point in a
list named ``path``.

The NumPy script repeats optviz's arithmetic operation by operation (which is torch's: the
two branches of ``lerp``, where eps is added), so it reproduces the path to the last bit.
Two details of the compiled kernels are copied on purpose: numba expands ``x**3`` and
``x**4`` into products and turns ``v ** 0.5`` into a square root, so the scripts write those
the same way (Python's ``**`` calls the C library's ``pow``, which can differ in the last bit).

The PyTorch script uses ``torch.optim`` and autograd, so it agrees with optviz to rounding:
autograd's gradient is summed in a different order from the hand-derived one.

Each surface's registry entry (``numpy_code``, ``formula``) and each optimizer's
(``numpy_update``, ``torch``) supply the parts; the tests iterate over both registries.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

from ..engine.optimizers import get_optimizer, resolve_hyperparameters
from ..race.settings import RaceSettings, surface_of


@dataclass(frozen=True)
class SurfaceCode:
    """One surface in script form: the formula in plain text, a NumPy-script body over floats
    ``x, y`` that returns ``f, gx, gy`` (math module only), and a torch body returning f
    (autograd does the rest)."""

    formula: str
    numpy: str
    torch: str




_GAUSSIAN = '''\
MASK64 = (1 << 64) - 1


def splitmix64(z):
    """SplitMix64 (Steele, Lea & Flood, 2014) on 64-bit unsigned integers."""
    z = (z + 0x9E3779B97F4A7C15) & MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return z ^ (z >> 31)


def gaussian(seed, counter):
    """optviz's gradient noise: a standard normal draw for (seed, counter), by Box-Muller."""
    key = splitmix64(seed ^ splitmix64(counter))
    bits_a = splitmix64(key)
    bits_b = splitmix64(key ^ 0x5851F42D4C957F2D)
    u1 = ((bits_a >> 11) + 1) * (1.0 / 9007199254740992.0)  # (0, 1]
    u2 = (bits_b >> 11) * (1.0 / 9007199254740992.0)  # [0, 1)
    return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)
'''

_LERP = '''\
def lerp(a, b, w):
    """torch.lerp: a + w (b - a), computed from the nearer end as torch does."""
    return a + w * (b - a) if w < 0.5 else b - (b - a) * (1.0 - w)
'''


def _body(code: str, indent: str = "    ") -> str:
    return textwrap.indent(textwrap.dedent(code).strip("\n"), indent)


def _code_of(settings: RaceSettings, torch: bool = False) -> SurfaceCode:
    """The race's surface in script form: a built-in's NumPy body from its registry entry,
    a typed formula's printed from its exact SymPy expression; f for torch (``torch``) is
    printed from the formula either way."""
    surf = surface_of(settings)
    if surf.is_data:
        return SurfaceCode(f"the mean {'binary cross-entropy' if surf.data.model == 'logistic_regression' else 'squared error'}"
                           f" of {surf.name.lower()} over its samples, w as x and b as y", "", "")
    if surf.is_custom:
        return _custom_code(surf)
    return SurfaceCode(f"f(x, y) = {surf.formula}", surf.numpy_code, _torch_f(surf.formula) if torch else "")


def _torch_f(formula: str) -> str:
    """``return f`` in torch operations, printed from the typed formula's SymPy expression."""
    from sympy.printing.pycode import pycode

    from ..engine.formula import RealAbs, parse

    expr = parse(formula).replace(RealAbs, __import__("sympy").Abs)
    return "return " + pycode(expr, fully_qualified_modules=True).replace("math.", "torch.")


def _custom_code(surface) -> SurfaceCode:
    """A typed formula's f and exact gradient as Python (math module) and f as torch code.

    Printed by SymPy's code printer from the parsed expression tree (whitelisted names only:
    x, y, numbers, math functions), with shared subexpressions named once. The arithmetic
    order differs from optviz's compiled code, so the path agrees to rounding, not to the bit.
    """
    import sympy as sp
    from sympy.printing.pycode import pycode

    from ..engine.formula import RealAbs

    compiled = surface.compiled
    plain = [e.replace(RealAbs, sp.Abs) for e in (compiled.expr, *compiled.grad)]
    replacements, (f, gx, gy) = sp.cse(plain, optimizations=None)
    lines = [f"{symbol} = {pycode(value, fully_qualified_modules=True)}" for symbol, value in replacements]
    lines.append(f"return {pycode(f)}, {pycode(gx)}, {pycode(gy)}")
    torch_f = pycode(plain[0], fully_qualified_modules=True).replace("math.", "torch.")
    return SurfaceCode(f"f(x, y) = {surface.formula}", "\n".join(lines), f"return {torch_f}")


def _header(settings: RaceSettings, optimizer_id: str, library: str, filename: str) -> tuple[str, dict]:
    surf = surface_of(settings)
    opt = get_optimizer(optimizer_id)
    values = resolve_hyperparameters(opt, settings.params_of(opt.id))
    h = {p.name: (bool(v) if p.is_bool else float(v)) for p, v in zip(opt.hyperparameters, values, strict=True)}
    x0, y0 = (float(v) for v in settings.start_point)
    formula = _code_of(settings).formula
    constants = [f"START = ({x0!r}, {y0!r})", f"STEPS = {settings.step_count}"]
    if settings.noise:
        constants += [
            f"NOISE = {float(settings.noise)!r}  # std of the Gaussian noise added to each gradient component",
            f"SEED = {settings.seed}",
        ]
    hyper = "\n".join(f"{name} = {value!r}" for name, value in h.items())
    doc = f'''\
"""{opt.name} on the {surf.name} surface: the path optviz draws, in {library}.

Run it with {library} installed:  python {filename}
It prints the final point at full float64 precision; `path` holds every point.

Surface:  {formula}
          ({surf.source})
Optimizer: {opt.reference}
"""
'''
    return doc, {"constants": "\n".join(constants), "hyper": hyper, "h": h}


def script_filename(settings: RaceSettings, optimizer_id: str, library: str) -> str:
    """A file name for a script: ``rmsprop_rosenbrock_numpy.py``."""
    return f"{get_optimizer(optimizer_id).id}_{settings.surface}_{library}.py"


def numpy_script(settings: RaceSettings, optimizer_id: str) -> str:
    """A standalone NumPy script that reproduces this optimizer's path in the race to the last bit.

    Raises:
        ValueError: for an unknown optimizer, or a surface with no script template.
    """
    doc, parts = _header(settings, optimizer_id, "NumPy", script_filename(settings, optimizer_id, "numpy"))
    update = get_optimizer(optimizer_id).numpy_update(parts["h"])
    step = "\n".join(update.step)
    helpers = [_LERP] if "lerp(" in step else []
    if settings.noise:
        helpers.append(_GAUSSIAN)
        step = "g = g + NOISE * np.array([gaussian(SEED, 2 * t), gaussian(SEED, 2 * t + 1)])\n" + step
    init = "\n".join(update.init)
    if surface_of(settings).is_data:
        return _numpy_data_script(settings, doc, parts, step, init, helpers)
    code = _code_of(settings)
    return f'''{doc}
import math

import numpy as np

np.seterr(over="ignore", invalid="ignore")  # a diverging run overflows to inf; the loop stops there
TWO_PI = 2.0 * math.pi

{parts["constants"]}

# Hyperparameters, by torch.optim's names
{parts["hyper"]}


def f_and_grad(x, y):
    """f(x, y) and its exact gradient (df/dx, df/dy), for floats x and y."""
{_body(code.numpy)}


{(chr(10) * 2).join(helpers)}
p = np.array(START, dtype=np.float64)
{init}
f, gx, gy = f_and_grad(*p.tolist())
g = np.array([gx, gy])
path = [tuple(p.tolist())]
for t in range(1, STEPS + 1):
{_body(step)}
    try:
        f, gx, gy = f_and_grad(*p_new.tolist())
    except (OverflowError, ValueError):  # math.exp or math.cos of a huge or infinite value
        f = math.inf
    if not (np.isfinite(p_new).all() and math.isfinite(f)):
        print(f"diverged at step {{t}}; the last finite point is")
        break
    p, g = p_new, np.array([gx, gy])
    path.append(tuple(p.tolist()))

print(repr(float(p[0])), repr(float(p[1])))
'''.replace("\n\n\n\n", "\n\n\n")


def pytorch_script(settings: RaceSettings, optimizer_id: str) -> str:
    """A standalone PyTorch script: the same race step with torch.optim and autograd, float64.

    It agrees with optviz to rounding (autograd sums the gradient in its own order). RMSProp
    with ``eps_in_sqrt`` has no torch.optim counterpart; the script then carries a small
    optimizer class that writes that step out.

    Raises:
        ValueError: for an unknown optimizer, or a surface with no script template.
    """
    opt = get_optimizer(optimizer_id)
    doc, parts = _header(settings, opt.id, "PyTorch", script_filename(settings, opt.id, "pytorch"))
    h = parts["h"]
    keywords = ", ".join(f"{k}={v!r}" for k, v in opt.torch.keywords(h).items())
    helpers = []
    substitute = opt.torch.unavailable(h) if opt.torch.unavailable else None
    if substitute is None:
        call = f"torch.optim.{opt.torch.cls}([p], {keywords})"
    else:  # no torch.optim counterpart for these values: the script carries the class
        name, source = substitute
        helpers.append(source)
        call = f"{name}([p], {', '.join(f'{k}={v!r}' for k, v in h.items())})"  # optviz's names, every one
    noise = ""
    if settings.noise:
        helpers.append(_GAUSSIAN)
        noise = "\n    p.grad += NOISE * torch.tensor([gaussian(SEED, 2 * t), gaussian(SEED, 2 * t + 1)])"
    hyper = "\n".join(f"#   {line}" for line in parts["hyper"].splitlines())
    if surface_of(settings).is_data:
        return _torch_data_script(settings, doc, hyper, helpers, call, noise)
    code = _code_of(settings, torch=True)
    return f'''{doc}
import math

import torch

torch.set_default_dtype(torch.float64)
TWO_PI = 2.0 * math.pi

{parts["constants"]}
# Hyperparameters, as optviz names them (passed to torch.optim below):
{hyper}


def f(x, y):
    """The surface, in torch operations: autograd supplies the gradient."""
{_body(code.torch)}


{(chr(10) * 2).join(helpers)}
p = torch.tensor(START, requires_grad=True)
optimizer = {call}
path = [tuple(p.tolist())]
for t in range(1, STEPS + 1):
    optimizer.zero_grad()
    f(p[0], p[1]).backward(){noise}
    previous = p.detach().clone()
    optimizer.step()
    with torch.no_grad():
        if not (torch.isfinite(p).all() and torch.isfinite(f(p[0], p[1]))):
            print(f"diverged at step {{t}}; the last finite point is")
            p.copy_(previous)
            break
    path.append(tuple(p.tolist()))

x, y = p.tolist()
print(repr(x), repr(y))
'''.replace("\n\n\n\n", "\n\n\n")


# --- Data surfaces: the samples and the batch order travel in the script ---------------------

_NUMPY_TERMS = {
    "linear_regression": """\
r = w * xi + b - yi
loss, a, c = r * r, 2.0 * r * xi, 2.0 * r""",
    "logistic_regression": """\
z = w * xi + b
if z >= 0.0:  # softplus(z) - y z and sigmoid(z), written so that no exp overflows
    e = math.exp(-z)
    s = 1.0 / (1.0 + e)
    loss = z - yi * z + math.log1p(e)
else:
    e = math.exp(z)
    s = e / (1.0 + e)
    loss = math.log1p(e) - yi * z
d = s - yi
loss, a, c = loss, d * xi, d""",
}


def _data_constants(settings: RaceSettings) -> str:
    """The samples and each step's batch (None: every step uses every sample), as Python literals."""
    from ..engine.data import batch_schedule
    from ..race.settings import batch_size_of

    surf = surface_of(settings)
    batches = batch_schedule(surf.data.samples, batch_size_of(settings), settings.step_count, settings.seed)
    order = "None  # the full batch: every step uses every sample" if batches.full else repr(batches.to_json())
    return (f"# {surf.data.description}: x, then y (a label 0/1 for logistic regression)\n"
            f"X = {surf.data.x.tolist()!r}\nY = {surf.data.y.tolist()!r}\n"
            f"# Each step's samples: epochs of {batches.per_epoch} steps, each a permutation of the samples drawn "
            f"from seed {settings.seed}, cut into batches of {batches.batch_size} and sorted\n"
            f"BATCHES = {order}")


def _numpy_data_script(settings: RaceSettings, doc: str, parts: dict, step: str, init: str, helpers: list[str]) -> str:
    terms = _body(_NUMPY_TERMS[surface_of(settings).data.model], "        ")
    return f'''{doc}
import math

import numpy as np

np.seterr(over="ignore", invalid="ignore")  # a diverging run overflows to inf; the loop stops there

{parts["constants"]}
{_data_constants(settings)}

# Hyperparameters, by torch.optim's names
{parts["hyper"]}


def loss_and_grad(w, b, indices):
    """The mean loss over the samples ``indices`` and its gradient in (w, b), summed in that order."""
    f = gw = gb = 0.0
    for i in indices:
        xi, yi = X[i], Y[i]
{terms}
        f += loss
        gw += a
        gb += c
    m = len(indices)
    return f / m, gw / m, gb / m


{(chr(10) * 2).join(helpers)}
EVERY = range(len(X))
p = np.array(START, dtype=np.float64)
{init}
path = [tuple(p.tolist())]
for t in range(1, STEPS + 1):
    _, gx, gy = loss_and_grad(*p.tolist(), EVERY if BATCHES is None else BATCHES[t - 1])
    g = np.array([gx, gy])
{_body(step)}
    try:
        f = loss_and_grad(*p_new.tolist(), EVERY)[0]  # the full-batch loss, as the map shows it
    except (OverflowError, ValueError):
        f = math.inf
    if not (np.isfinite(p_new).all() and math.isfinite(f)):
        print(f"diverged at step {{t}}; the last finite point is")
        break
    p = p_new
    path.append(tuple(p.tolist()))

print(repr(float(p[0])), repr(float(p[1])))
'''.replace("\n\n\n\n", "\n\n\n")


def _torch_data_script(settings: RaceSettings, doc: str, hyper: str, helpers: list[str], call: str, noise: str) -> str:
    from ..engine.data import MODELS

    model = MODELS[surface_of(settings).data.model]
    target = ""
    if noise:  # the same draws as optviz: one for w, then one for b
        noise = ("\n    model.weight.grad += NOISE * gaussian(SEED, 2 * t)"
                 "\n    model.bias.grad += NOISE * gaussian(SEED, 2 * t + 1)")
        target = f"\nNOISE = {float(settings.noise)!r}\nSEED = {settings.seed}"
    return f'''{doc}
import math

import torch

torch.set_default_dtype(torch.float64)

{_data_constants(settings).replace("X = ", "X_LIST = ").replace("Y = ", "Y_LIST = ")}
X = torch.tensor(X_LIST).reshape(-1, 1)
Y = torch.tensor(Y_LIST).reshape(-1, 1){target}
START = {tuple(float(v) for v in settings.start_point)!r}  # (w, b)
STEPS = {settings.step_count}
# Hyperparameters, as optviz names them (passed to torch.optim below):
{hyper}

model = {model.torch_model}  # y_hat = w x + b: its weight is w, its bias b
loss_of = {model.torch_loss}  # the mean over the batch
with torch.no_grad():
    model.weight.fill_(START[0])
    model.bias.fill_(START[1])
params = [model.weight, model.bias]


def full_loss():
    with torch.no_grad():
        return loss_of(model(X), Y)


{(chr(10) * 2).join(helpers)}
p = model  # the optimizer below steps w and b
optimizer = {call.replace("[p]", "params")}
path = [(model.weight.item(), model.bias.item())]
for t in range(1, STEPS + 1):
    rows = slice(None) if BATCHES is None else torch.tensor(BATCHES[t - 1])
    optimizer.zero_grad()
    loss_of(model(X[rows]), Y[rows]).backward(){noise}
    previous = [q.detach().clone() for q in params]
    optimizer.step()
    if not (all(torch.isfinite(q).all() for q in params) and torch.isfinite(full_loss())):
        print(f"diverged at step {{t}}; the last finite point is")
        with torch.no_grad():
            for q, old in zip(params, previous):
                q.copy_(old)
        break
    path.append((model.weight.item(), model.bias.item()))

print(repr(model.weight.item()), repr(model.bias.item()))
'''.replace("\n\n\n\n", "\n\n\n")
