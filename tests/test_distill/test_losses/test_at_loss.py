# Copyright (c) medproto contributors. All rights reserved.
import numpy as np
import pytest
import torch

from medproto.distill.losses import ATLoss


def _attention(feat: np.ndarray, p: float) -> np.ndarray:
    """Per sample: channel mean of |F|^p, flattened, unit L2 norm."""
    maps = []
    for sample in feat:
        a = np.zeros(sample.shape[1:])
        for channel in sample:
            a += channel**p / sample.shape[0]
        a = a.reshape(-1)
        maps.append(a / np.linalg.norm(a))
    return np.stack(maps)


def _avg_pool_2x(feat: np.ndarray) -> np.ndarray:
    n, c, h, w = feat.shape
    return feat.reshape(n, c, h // 2, 2, w // 2, 2).mean(axis=(3, 5))


def test_equal_sizes(assert_student_only_gradients):
    torch.manual_seed(0)
    s = torch.randn(2, 3, 4, 4, dtype=torch.float64, requires_grad=True)
    t = torch.randn(2, 5, 4, 4, dtype=torch.float64, requires_grad=True)
    loss = ATLoss()(s, t)
    diff = _attention(s.detach().numpy(), 2) - _attention(
        t.detach().numpy(), 2)
    assert loss.item() == pytest.approx(1000 * np.mean(diff**2), rel=1e-10)
    assert_student_only_gradients(loss, [s], [t])


def test_larger_map_is_pooled_and_pairs_are_summed():
    torch.manual_seed(1)
    s1 = torch.randn(2, 3, 8, 8, dtype=torch.float64)
    t1 = torch.randn(2, 4, 4, 4, dtype=torch.float64)
    s2 = torch.randn(2, 3, 2, 2, dtype=torch.float64)
    t2 = torch.randn(2, 4, 4, 4, dtype=torch.float64)
    d1 = _attention(_avg_pool_2x(s1.numpy()), 2) - _attention(t1.numpy(), 2)
    d2 = _attention(s2.numpy(), 2) - _attention(_avg_pool_2x(t2.numpy()), 2)
    expected = np.mean(d1**2) + np.mean(d2**2)
    loss = ATLoss(loss_weight=1.0)([s1, s2], (t1, t2))
    assert loss.item() == pytest.approx(expected, rel=1e-10)


def test_errors():
    with pytest.raises(ValueError, match='p must'):
        ATLoss(p=0)
    with pytest.raises(ValueError, match='N, C, H, W'):
        ATLoss()(torch.randn(2, 3), torch.randn(2, 3))
    with pytest.raises(TypeError, match='Tensor'):
        ATLoss()([], [])
