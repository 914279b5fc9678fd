# Copyright (c) medproto contributors. All rights reserved.
import numpy as np
import pytest
import torch

from medproto.distill.losses import L2Loss


def _mean_sq(a: np.ndarray, b: np.ndarray) -> float:
    return float(((a - b)**2).sum() / a.size)


def test_plain_and_sigmoid(assert_student_only_gradients):
    torch.manual_seed(0)
    s = torch.randn(2, 1, 5, 5, dtype=torch.float64, requires_grad=True)
    t = torch.randn(2, 1, 5, 5, dtype=torch.float64, requires_grad=True)
    ns, nt = s.detach().numpy(), t.detach().numpy()
    assert L2Loss(loss_weight=2.0)(s, t).item() == pytest.approx(
        2.0 * _mean_sq(ns, nt))
    loss = L2Loss(activation='sigmoid')(s, t)
    assert loss.item() == pytest.approx(
        _mean_sq(1 / (1 + np.exp(-ns)), 1 / (1 + np.exp(-nt))))
    assert_student_only_gradients(loss, [s], [t])


def test_softmax_and_errors():
    s = torch.tensor([[0.0, 1.0], [2.0, 0.0]])
    t = torch.tensor([[1.0, 0.0], [0.0, 0.0]])
    ps = np.exp(s.numpy()) / np.exp(s.numpy()).sum(1, keepdims=True)
    pt = np.exp(t.numpy()) / np.exp(t.numpy()).sum(1, keepdims=True)
    assert L2Loss(activation='softmax')(s, t).item() == pytest.approx(
        _mean_sq(ps, pt), rel=1e-6)
    with pytest.raises(ValueError, match='activation'):
        L2Loss(activation='relu')
    with pytest.raises(ValueError, match='connector'):
        L2Loss()(torch.randn(1, 2, 3, 3), torch.randn(1, 2, 4, 4))
