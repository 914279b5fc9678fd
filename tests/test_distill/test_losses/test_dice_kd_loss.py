# Copyright (c) medproto contributors. All rights reserved.
import numpy as np
import pytest
import torch

from medproto.distill.losses import DiceKDLoss


def _soft_dice_loss(ps: np.ndarray, pt: np.ndarray, eps: float) -> float:
    """1 - Dice per image and channel, by loops, averaged."""
    out = []
    for n in range(ps.shape[0]):
        for c in range(ps.shape[1]):
            a, b = ps[n, c].ravel(), pt[n, c].ravel()
            out.append(1 - (2 * np.dot(a, b) + eps) / (a.sum() + b.sum() + eps))
    return float(np.mean(out))


def test_sigmoid_matches_loops(assert_student_only_gradients):
    torch.manual_seed(0)
    s = torch.randn(3, 1, 6, 5, dtype=torch.float64, requires_grad=True)
    t = torch.randn(3, 1, 6, 5, dtype=torch.float64, requires_grad=True)
    sig = lambda x: 1 / (1 + np.exp(-x))  # noqa: E731
    ns, nt = s.detach().numpy(), t.detach().numpy()
    loss = DiceKDLoss(tau=2.0, eps=0.5, loss_weight=3.0)(s, t)
    assert loss.item() == pytest.approx(
        3.0 * _soft_dice_loss(sig(ns / 2), sig(nt / 2), 0.5))
    assert_student_only_gradients(loss, [s], [t])


def test_softmax_channels_and_identity():
    torch.manual_seed(1)
    s = torch.randn(2, 3, 4, 4, dtype=torch.float64)
    t = torch.randn(2, 3, 4, 4, dtype=torch.float64)
    ex_s, ex_t = np.exp(s.numpy()), np.exp(t.numpy())
    ps, pt = ex_s / ex_s.sum(1, keepdims=True), ex_t / ex_t.sum(1, keepdims=True)
    assert DiceKDLoss(eps=0.0)(s, t).item() == pytest.approx(
        _soft_dice_loss(ps, pt, 0.0))
    # a confident student that copies a confident teacher has (almost) no loss
    hard = torch.where(torch.rand(2, 1, 8, 8) > 0.7, 20.0, -20.0)
    assert DiceKDLoss(eps=0.0)(hard, hard).item() < 1e-6


def test_foreground_normalised():
    """Missing a small lesion costs as much as missing a large one."""
    def lesion(side):
        t = torch.full((1, 1, 32, 32), -20.0)
        t[..., :side, :side] = 20.0
        return t

    empty = torch.full((1, 1, 32, 32), -20.0)
    loss = DiceKDLoss(eps=1e-6)
    assert loss(empty, lesion(4)).item() == pytest.approx(
        loss(empty, lesion(24)).item(), abs=1e-4)


def test_errors():
    with pytest.raises(ValueError, match='tau'):
        DiceKDLoss(tau=0)
    with pytest.raises(ValueError, match='eps'):
        DiceKDLoss(eps=-1)
    with pytest.raises(ValueError, match=r'\(N, C, H, W\)'):
        DiceKDLoss()(torch.randn(2, 3), torch.randn(2, 3))
    with pytest.raises(ValueError, match='connector'):
        DiceKDLoss()(torch.randn(1, 1, 3, 3), torch.randn(1, 1, 4, 4))
