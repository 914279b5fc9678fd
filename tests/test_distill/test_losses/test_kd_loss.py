# Copyright (c) medproto contributors. All rights reserved.
import numpy as np
import pytest
import torch
from scipy.special import log_softmax

from medproto.distill.losses import KDLoss
from medproto.models.losses import class_balanced_weights
from medproto.registry import MODELS


def _kl_rows(zs: np.ndarray, zt: np.ndarray, tau: float) -> np.ndarray:
    """KL(p_t || p_s) for each row of (M, C) logits, explicit loop."""
    out = []
    for s_row, t_row in zip(zs, zt):
        ls, lt = log_softmax(s_row / tau), log_softmax(t_row / tau)
        out.append(sum(np.exp(lt[c]) * (lt[c] - ls[c])
                       for c in range(len(s_row))))
    return np.array(out)


def test_classification_matches_formula(assert_student_only_gradients):
    torch.manual_seed(0)
    s = torch.randn(5, 7, dtype=torch.float64, requires_grad=True)
    t = torch.randn(5, 7, dtype=torch.float64, requires_grad=True)
    loss = KDLoss(tau=4.0, loss_weight=0.9)(s, t)
    expected = 0.9 * 16 * _kl_rows(s.detach().numpy(), t.detach().numpy(),
                                   4.0).mean()
    assert loss.item() == pytest.approx(expected, rel=1e-10)
    assert_student_only_gradients(loss, [s], [t])


def test_dense_logits_are_averaged_over_pixels():
    torch.manual_seed(1)
    s = torch.randn(2, 3, 4, 5, dtype=torch.float64)
    t = torch.randn(2, 3, 4, 5, dtype=torch.float64)
    rows_s = s.permute(0, 2, 3, 1).reshape(-1, 3).numpy()
    rows_t = t.permute(0, 2, 3, 1).reshape(-1, 3).numpy()
    per_pixel = _kl_rows(rows_s, rows_t, 2.0) * 4
    assert KDLoss(tau=2.0, loss_weight=1.0)(s, t).item() == pytest.approx(
        per_pixel.mean(), rel=1e-10)
    assert KDLoss(tau=2.0, loss_weight=1.0, reduction='sum')(
        s, t).item() == pytest.approx(per_pixel.sum(), rel=1e-10)
    assert KDLoss(tau=2.0, loss_weight=1.0, reduction='mean')(
        s, t).item() == pytest.approx(per_pixel.mean() / 3, rel=1e-10)


def test_identical_logits_give_zero():
    z = torch.randn(4, 6)
    assert KDLoss()(z, z.clone()).item() == pytest.approx(0.0, abs=1e-6)


def test_class_weights_weight_each_sample_by_its_class():
    torch.manual_seed(2)
    s = torch.randn(4, 3, dtype=torch.float64)
    t = torch.randn(4, 3, dtype=torch.float64)
    label = torch.tensor([0, 2, 2, 1])
    kl = _kl_rows(s.numpy(), t.numpy(), 1.0)
    w = [0.5, 1.0, 1.5]
    expected = np.mean([w[y] * k for y, k in zip(label.tolist(), kl)])
    loss = KDLoss(tau=1.0, loss_weight=1.0, class_weights=w)(s, t, label)
    assert loss.item() == pytest.approx(expected, rel=1e-6)

    cb = KDLoss(tau=1.0, loss_weight=1.0,
                class_weights=dict(class_counts=[10, 5, 1], beta=0.9))
    cb_w = class_balanced_weights([10, 5, 1], 0.9).double().numpy()
    expected = np.mean([cb_w[y] * k for y, k in zip(label.tolist(), kl)])
    assert cb(s, t, label).item() == pytest.approx(expected, rel=1e-6)
    with pytest.raises(ValueError, match='needs gt_label'):
        cb(s, t)


def test_errors_and_registry():
    with pytest.raises(ValueError, match='BinaryKDLoss'):
        KDLoss()(torch.randn(2, 1, 4, 4), torch.randn(2, 1, 4, 4))
    with pytest.raises(ValueError, match='same shape'):
        KDLoss()(torch.randn(2, 3), torch.randn(2, 4))
    with pytest.raises(ValueError, match='tau'):
        KDLoss(tau=0)
    with pytest.raises(ValueError, match='reduction'):
        KDLoss(reduction='none')
    with pytest.raises(ValueError, match='loss_weight'):
        KDLoss(loss_weight=-1)
    with pytest.raises(ValueError, match="'class_counts' and 'beta'"):
        KDLoss(class_weights=dict(counts=[1, 2]))
    assert isinstance(MODELS.build(dict(type='KDLoss')), KDLoss)
