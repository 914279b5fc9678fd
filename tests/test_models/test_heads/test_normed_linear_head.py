# Copyright (c) medproto contributors. All rights reserved.
"""NormedLinearClsHead: cosine logits and scaled scores, against numpy."""
import numpy as np
import pytest
import torch
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from medproto.models.heads import NormedLinearClsHead


def test_forward_is_the_cosine_and_predict_scales_it():
    head = NormedLinearClsHead(num_classes=4, in_channels=6, score_scale=10.,
                               loss=dict(type='CrossEntropyLoss'))
    x = torch.randn(5, 6) * 7
    w = head.weight.detach().numpy().astype(np.float64)
    xs = x.numpy().astype(np.float64)
    cos = (xs @ w.T) / np.linalg.norm(xs, axis=1, keepdims=True) / \
        np.linalg.norm(w, axis=1)[None]
    np.testing.assert_allclose(head((x, )).detach().numpy(), cos, rtol=1e-5,
                               atol=1e-6)
    scores = torch.stack([p.pred_score for p in head.predict((x, ))])
    e = np.exp(10 * cos - (10 * cos).max(axis=1, keepdims=True))
    np.testing.assert_allclose(scores.detach().numpy(),
                               e / e.sum(axis=1, keepdims=True), rtol=1e-4,
                               atol=1e-6)


def test_trains_with_ldam_loss():
    head = MODELS.build(dict(
        type='NormedLinearClsHead', num_classes=3, in_channels=4,
        loss=dict(type='LDAMLoss', class_counts=[20, 5, 2])))
    samples = [DataSample().set_gt_label(i % 3) for i in range(6)]
    loss = head.loss((torch.randn(6, 4), ), samples)['loss']
    loss.backward()
    assert torch.isfinite(loss) and head.weight.grad.abs().sum() > 0


def test_bad_settings():
    with pytest.raises(ValueError, match='in_channels'):
        NormedLinearClsHead(num_classes=3, in_channels=0)
    with pytest.raises(ValueError, match='score_scale'):
        NormedLinearClsHead(num_classes=3, in_channels=4, score_scale=0)
