"""Every registry entry reaches every place derived from it: the compiled dispatch chains,
the initial state, the palette, the script templates and torch.optim's keywords.

numba needs its dispatch written out as if/elif chains over the registry's indices; these
tests fail when an entry is missing from a chain or lands on another's kernel.
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest
import torch

from optviz import OPTIMIZERS, SURFACES
from optviz.engine.lanes import LANES
from optviz.engine.optimizers import DEFAULT_OPTIMIZERS, STATE_WIDTH, init_state, update, update_lanes
from optviz.engine.surfaces import CUSTOM_INDEX, evaluate, evaluate_lanes
from optviz.render.figures import COLORS

RNG = np.random.default_rng(7)


def test_indices_are_the_registries_order():
    assert [o.index for o in OPTIMIZERS.values()] == list(range(len(OPTIMIZERS)))
    assert [s.index for s in SURFACES.values()] == list(range(len(SURFACES)))
    assert len(SURFACES) == CUSTOM_INDEX


def random_columns(opt, columns: int) -> tuple[np.ndarray, np.ndarray]:
    """Hyperparameters (defaults, lr nudged) and a random state, one column each."""
    h = np.array([float(p.default) for p in opt.hyperparameters])
    h[0] *= 1.3
    H = np.repeat(h[:, None], columns, axis=1)
    S = RNG.uniform(0.1, 2.0, size=(STATE_WIDTH, columns))
    return H, S


@pytest.mark.parametrize("oid", list(OPTIMIZERS))
def test_the_update_dispatch_reaches_this_optimizers_kernel(oid):
    opt = OPTIMIZERS[oid]
    H, S = random_columns(opt, 2)
    for t in (1.0, 2.0, 7.0):
        x, g = RNG.normal(size=2)
        by_kernel, by_dispatch = S.copy(), S.copy()
        expected = opt.kernel(H, by_kernel, 0, x, g, t)
        assert update(opt.index, H, by_dispatch, 0, x, g, t) == expected
        np.testing.assert_array_equal(by_dispatch, by_kernel)


@pytest.mark.parametrize("oid", list(OPTIMIZERS))
def test_the_lane_dispatch_reaches_this_optimizers_kernel(oid):
    opt = OPTIMIZERS[oid]
    H, S = random_columns(opt, 2 * LANES)
    P, G = RNG.normal(size=2 * LANES), RNG.normal(size=2 * LANES)
    expected_S, expected_P = S.copy(), P.copy()
    for i in range(2 * LANES):
        expected_P[i] = opt.kernel(H, expected_S, i, P[i], G[i], 3.0)
    before = np.empty(2 * LANES)
    update_lanes(opt.index, H, S, P, G, 3.0, before)
    np.testing.assert_array_equal(P, expected_P)
    np.testing.assert_array_equal(S, expected_S)


@pytest.mark.parametrize("oid", list(OPTIMIZERS))
def test_the_initial_state_is_the_registrys(oid):
    opt = OPTIMIZERS[oid]
    H, S = random_columns(opt, 1)
    init_state(opt.index, H, S, 0)
    for slot in range(STATE_WIDTH):
        name = opt.state[slot] if slot < len(opt.state) else None
        start = opt.initial_state.get(name, 0.0)
        expected = H[opt.names.index(start), 0] if isinstance(start, str) else start
        assert S[slot, 0] == expected, (name, S[slot, 0], expected)


@pytest.mark.parametrize("sid", list(SURFACES))
def test_the_surface_dispatch_reaches_this_surfaces_kernel(sid):
    surface = SURFACES[sid]
    P = RNG.uniform(-2, 2, size=2 * LANES)
    F, G = np.empty(LANES), np.empty(2 * LANES)
    evaluate_lanes(surface.index, 0, P, F, G)
    for i in range(LANES):
        expected = surface.kernel(P[i], P[LANES + i])
        assert evaluate(surface.index, 0, P[i], P[LANES + i]) == expected
        assert (F[i], G[i], G[LANES + i]) == expected


def test_every_optimizer_has_its_own_colour():
    assert set(COLORS) == set(OPTIMIZERS)
    assert len(set(COLORS.values())) == len(OPTIMIZERS)
    assert all(c.startswith("#") and len(c) == 7 for c in COLORS.values())


def test_the_default_race_is_the_classic_field():
    assert DEFAULT_OPTIMIZERS == ("sgd", "momentum", "nesterov", "adagrad", "adadelta", "rmsprop", "adam")


@pytest.mark.parametrize("oid", list(OPTIMIZERS))
def test_every_optimizer_has_script_parts_and_torch_takes_its_keywords(oid):
    opt = OPTIMIZERS[oid]
    code = opt.numpy_update(opt.defaults)
    assert code.step and any("p_new" in line for line in code.step)
    torch_class = getattr(torch.optim, opt.torch.cls)
    accepted = inspect.signature(torch_class).parameters
    for keyword in opt.torch.keywords(opt.defaults):
        assert keyword in accepted, (opt.torch.cls, keyword)
    torch_class([torch.zeros(2, requires_grad=True)], **opt.torch.keywords(opt.defaults))  # builds


@pytest.mark.parametrize("sid", list(SURFACES))
def test_every_surface_has_its_script_body_and_typed_formula(sid):
    surface = SURFACES[sid]
    assert surface.numpy_code.strip().splitlines()[-1].strip().startswith("return ")
    assert surface.formula and surface.why_start
