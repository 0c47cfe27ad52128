"""optviz.replay: one weight fed explicit gradients, against torch.optim and by hand."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from test_optimizers import TORCH_SPEC, TORCH_TABLE, _torch_kwargs

from optviz import OPTIMIZERS, replay, replay_trace

HINTON = [0.1] * 9 + [-0.9]  # lecture 6e: +0.1 on nine mini-batches, -0.9 on the tenth


def torch_replay(optimizer_id: str, hp: dict, gradients, start: float) -> np.ndarray:
    """The same weight in torch.optim, float64: p.grad set to each gradient in turn."""
    cls, kwargs = _torch_kwargs(optimizer_id, hp)
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)  # the state torch creates (NAdam's mu_product) in float64 too
    try:
        p = torch.tensor([start], dtype=torch.float64, requires_grad=True)
        opt = cls([p], **kwargs)
        out = [start]
        for g in gradients:
            p.grad = torch.tensor([g], dtype=torch.float64)
            opt.step()
            out.append(float(p.detach()[0]))
    finally:
        torch.set_default_dtype(previous)
    return np.array(out)


def torch_values(optimizer_id: str, overrides: dict) -> dict:
    hp = OPTIMIZERS[optimizer_id].defaults | {"lr": 0.01} | overrides
    hp.pop("eps_in_sqrt", None)  # no torch counterpart (the TF/Keras form)
    hp.pop("initial_square_avg", None)  # nor this (TF1 starts v at 1)
    return hp


@pytest.mark.parametrize("row", TORCH_TABLE, ids=[f"{o}-{'-'.join(map(str, s.values()))}" for o, s in TORCH_TABLE])
def test_replay_of_hintons_sequence_matches_torch(row):
    optimizer_id, overrides = row
    hp = torch_values(optimizer_id, overrides)
    gradients = HINTON * 20
    np.testing.assert_allclose(replay(optimizer_id, gradients, 0.0, **hp), torch_replay(optimizer_id, hp, gradients, 0.0),
                               rtol=1e-10, atol=1e-14)


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(list(TORCH_SPEC)),
    st.lists(st.floats(-5, 5, allow_nan=False, allow_infinity=False), min_size=1, max_size=60),
    st.floats(-3, 3),
)
def test_replay_of_random_sequences_matches_torch(optimizer_id, gradients, start):
    hp = torch_values(optimizer_id, {})
    ours = replay(optimizer_id, gradients, start, **hp)
    assert len(ours) == len(gradients) + 1 and ours[0] == start
    np.testing.assert_allclose(ours, torch_replay(optimizer_id, hp, gradients, start), rtol=1e-9, atol=1e-12)


def test_sgd_does_not_drift_over_a_cycle():
    weights = replay("sgd", HINTON * 50, lr=0.01)
    cycle_ends = weights[::10]
    np.testing.assert_allclose(np.diff(cycle_ends), 0.0, atol=1e-15)  # the ten gradients sum to zero


def test_rprops_first_cycle_by_hand():
    # iRprop- (torch.optim.Rprop), lr = 0.01: each step moves by -sign(g) * step; the step
    # grows by 1.2 while the sign holds; on a flip it shrinks by 0.5 and that step is skipped.
    step, w, expected = 0.01, 0.0, [0.0]
    for k in range(9):  # +0.1 nine times: w moves down, the step growing from the second on
        if k > 0:
            step *= 1.2
        w -= step
        expected.append(w)
    step *= 0.5  # -0.9: the sign flipped, so the step shrinks and the weight waits
    expected.append(w)
    np.testing.assert_allclose(replay("rprop", HINTON, lr=0.01), expected, rtol=1e-14)
    trace = replay_trace("rprop", HINTON, lr=0.01)
    assert trace.state["step_size"][-1] == pytest.approx(step)


def test_rmsprops_steady_drift_is_small_and_shrinks_as_the_decay_nears_one():
    # Over the last of 1,000 cycles (the running average has long settled, even at 0.999).
    def drift(optimizer, **hp):
        weights = replay(optimizer, HINTON * 1000, lr=0.01, **hp)
        return weights[-1] - weights[-11]

    rmsprop = [drift("rmsprop", alpha=decay) for decay in (0.5, 0.9, 0.99, 0.999)]
    assert all(d < 0 for d in rmsprop) and abs(rmsprop[1]) < 1e-3 * abs(drift("rprop"))
    assert abs(rmsprop[0]) > abs(rmsprop[1]) > abs(rmsprop[2]) > abs(rmsprop[3]) > 0
    assert drift("sgd") == pytest.approx(0.0, abs=1e-15)


@pytest.mark.parametrize(
    "gradients, words",
    [([], "1 to"), ([1.0, float("nan")], "not finite at step 2"), ("abc", "sequence"), ([[1.0]], "shape"),
     ([1.0, float("inf")], "step 2")],
)
def test_bad_gradients_are_refused_with_a_clear_message(gradients, words):
    with pytest.raises(ValueError, match=words):
        replay("sgd", gradients)


def test_bad_names_and_values_get_simulates_messages():
    with pytest.raises(ValueError, match="not known"):
        replay("lbfgs", [1.0])
    with pytest.raises(ValueError, match="has no hyperparameter"):
        replay("sgd", [1.0], beta=0.5)
    with pytest.raises(ValueError, match=r"alpha=1.5 is out of range"):
        replay("rmsprop", [1.0], alpha=1.5)
    with pytest.raises(ValueError, match="start"):
        replay("sgd", [1.0], start=float("nan"))
