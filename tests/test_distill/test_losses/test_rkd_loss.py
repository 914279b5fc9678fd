# Copyright (c) medproto contributors. All rights reserved.
import itertools

import numpy as np
import pytest
import torch

from medproto.distill.losses import RKDLoss


def _smooth_l1(a: np.ndarray, b: np.ndarray) -> float:
    d = np.abs(a - b)
    return float(np.mean(np.where(d < 1, 0.5 * d**2, d - 0.5)))


def _distances(e: np.ndarray) -> np.ndarray:
    n = len(e)
    d = np.zeros((n, n))
    for i, j in itertools.product(range(n), repeat=2):
        if i != j:
            d[i, j] = np.linalg.norm(e[i] - e[j])
    return d / (d.sum() / (n * (n - 1)))


def _angles(e: np.ndarray) -> np.ndarray:
    n = len(e)
    a = np.zeros((n, n, n))
    for i, j, k in itertools.product(range(n), repeat=3):
        u, v = e[i] - e[j], e[k] - e[j]
        nu, nv = np.linalg.norm(u), np.linalg.norm(v)
        if nu > 0 and nv > 0:
            a[j, i, k] = u @ v / (nu * nv)
    return a


def test_matches_formula(assert_student_only_gradients):
    torch.manual_seed(0)
    s = torch.randn(5, 6, dtype=torch.float64, requires_grad=True)
    t = torch.randn(5, 9, 1, 1, dtype=torch.float64, requires_grad=True)
    loss = RKDLoss(loss_weight=2.0)(s, t)
    es, et = s.detach().numpy(), t.detach().numpy().reshape(5, 9)
    expected = 2.0 * (25 * _smooth_l1(_distances(es), _distances(et)) +
                      50 * _smooth_l1(_angles(es), _angles(et)))
    assert loss.item() == pytest.approx(expected, rel=1e-8)
    assert_student_only_gradients(loss, [s], [t])


def test_scale_invariant_and_small_batch():
    e = torch.randn(4, 3)
    # Distances are normalised by their mean, angles are scale-free.
    assert RKDLoss()(e, 3 * e).item() == pytest.approx(0.0, abs=1e-5)
    one = torch.randn(1, 3, requires_grad=True)
    loss = RKDLoss()(one, torch.randn(1, 3))
    assert loss.item() == 0.0
    loss.backward()
    with pytest.raises(ValueError, match='batch size'):
        RKDLoss()(torch.randn(2, 3), torch.randn(3, 3))
    with pytest.raises(ValueError, match='eps'):
        RKDLoss(eps=0)
