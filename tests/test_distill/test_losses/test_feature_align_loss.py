# Copyright (c) medproto contributors. All rights reserved.
import numpy as np
import pytest
import torch

from medproto.distill.losses import FeatureAlignLoss


def _stage_mse(s: np.ndarray, t: np.ndarray, normalize: bool) -> float:
    if normalize:  # unit channel vector at every (n, h, w)
        s = s / np.sqrt((s**2).sum(axis=1, keepdims=True))
        t = t / np.sqrt((t**2).sum(axis=1, keepdims=True))
    return float(np.mean((s - t)**2))


@pytest.mark.parametrize('normalize', [False, True])
def test_weighted_mean_over_stages(normalize, assert_student_only_gradients):
    torch.manual_seed(0)
    shapes = [(2, 4, 8, 8), (2, 6, 4, 4), (2, 8, 2, 2)]
    feats_S = [torch.randn(s, dtype=torch.float64, requires_grad=True)
               for s in shapes]
    feats_T = [torch.randn(s, dtype=torch.float64, requires_grad=True)
               for s in shapes]
    weights = [1.0, 0.5, 2.0]
    loss = FeatureAlignLoss(
        loss_weight=3.0, normalize=normalize, stage_weights=weights)(
            feats_S, feats_T)
    per_stage = [
        _stage_mse(s.detach().numpy(), t.detach().numpy(), normalize)
        for s, t in zip(feats_S, feats_T)
    ]
    expected = 3.0 * sum(w * m for w, m in zip(weights, per_stage)) / 3
    assert loss.item() == pytest.approx(expected, rel=1e-10)
    assert_student_only_gradients(loss, feats_S, feats_T)


def test_single_tensor_and_errors():
    s, t = torch.randn(1, 2, 3, 3), torch.randn(1, 2, 3, 3)
    assert FeatureAlignLoss()(s, t).item() == pytest.approx(
        _stage_mse(s.numpy(), t.numpy(), False), rel=1e-6)
    with pytest.raises(ValueError, match='connector'):
        FeatureAlignLoss()([s], [torch.randn(1, 3, 3, 3)])
    with pytest.raises(ValueError, match='pair up'):
        FeatureAlignLoss()([s, s], [t])
    with pytest.raises(ValueError, match='stage_weights has 2'):
        FeatureAlignLoss(stage_weights=[1.0, 1.0])([s], [t])
    with pytest.raises(ValueError, match='stage_weights'):
        FeatureAlignLoss(stage_weights=[-1.0])
