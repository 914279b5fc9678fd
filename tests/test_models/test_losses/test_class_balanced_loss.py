# Copyright (c) medproto contributors. All rights reserved.
import math

import numpy as np
import pytest
import torch
from mmpretrain.registry import MODELS as MMPRETRAIN_MODELS

from medproto.models.losses import (ClassBalancedCrossEntropyLoss,
                                    class_balanced_weights)


def _cb_weights(counts, beta):
    raw = [(1 - beta) / (1 - beta**n) for n in counts]
    return [w * len(counts) / sum(raw) for w in raw]


def test_weights_follow_effective_number():
    w = class_balanced_weights([1000, 100, 10], 0.99)
    np.testing.assert_allclose(w.numpy(), _cb_weights([1000, 100, 10], 0.99),
                               rtol=1e-6)
    assert w.sum().item() == pytest.approx(3.0)
    assert w[0] < w[1] < w[2]
    # beta = 0: no re-weighting.
    np.testing.assert_allclose(class_balanced_weights([5, 1], 0.0), [1, 1])
    with pytest.raises(ValueError, match='class_counts'):
        class_balanced_weights([3, 0], 0.9)
    with pytest.raises(ValueError, match='class_counts'):
        class_balanced_weights([], 0.9)
    with pytest.raises(ValueError, match='beta'):
        class_balanced_weights([3, 1], 1.0)


def _per_sample(logits, label, loss_type, gamma):
    out = []
    for z, y in zip(logits, label):
        if loss_type == 'softmax':
            out.append(math.log(sum(math.exp(v) for v in z)) - z[y])
            continue
        total = 0.0
        for c, v in enumerate(z):
            p = 1 / (1 + math.exp(-v))
            p_t = p if c == y else 1 - p
            focal = (1 - p_t)**gamma if loss_type == 'focal' else 1.0
            total += -focal * math.log(p_t)
        out.append(total)
    return out


@pytest.mark.parametrize('loss_type', ['softmax', 'sigmoid', 'focal'])
def test_loss_matches_formula(loss_type):
    torch.manual_seed(0)
    counts, beta = [50, 10, 2], 0.9
    logits = torch.randn(5, 3, dtype=torch.float64, requires_grad=True)
    label = torch.tensor([0, 1, 2, 2, 0])
    loss_fn = MMPRETRAIN_MODELS.build(
        dict(type='ClassBalancedCrossEntropyLoss', class_counts=counts,
             beta=beta, loss_type=loss_type, gamma=2.0, loss_weight=2.0))
    w = _cb_weights(counts, beta)
    per = _per_sample(logits.detach().tolist(), label.tolist(), loss_type,
                      2.0)
    weighted = [w[y] * v for y, v in zip(label.tolist(), per)]
    loss = loss_fn(logits, label)
    assert loss.item() == pytest.approx(2.0 * np.mean(weighted), rel=1e-6)
    loss.backward()
    assert logits.grad.abs().sum() > 0
    # mmpretrain's CrossEntropyLoss keywords.
    sample_w = torch.tensor([1.0, 0.0, 1.0, 1.0, 2.0], dtype=torch.float64)
    assert loss_fn(logits, label, weight=sample_w, avg_factor=4).item() == \
        pytest.approx(2.0 * sum(
            s * v for s, v in zip(sample_w.tolist(), weighted)) / 4,
            rel=1e-6)
    assert loss_fn(logits, label, reduction_override='sum').item() == \
        pytest.approx(2.0 * sum(weighted), rel=1e-6)
    assert loss_fn(logits, label, reduction_override='none').shape == (5, )


def test_soft_labels_equal_hard_labels_when_one_hot():
    torch.manual_seed(1)
    loss_fn = ClassBalancedCrossEntropyLoss(class_counts=[9, 3, 1], beta=0.9)
    logits, label = torch.randn(4, 3), torch.tensor([2, 0, 1, 2])
    torch.testing.assert_close(
        loss_fn(logits, label), loss_fn(logits, torch.eye(3)[label]))


def test_errors():
    loss_fn = ClassBalancedCrossEntropyLoss(class_counts=[3, 1])
    with pytest.raises(ValueError, match=r'\(N, 2\)'):
        loss_fn(torch.randn(2, 3), torch.tensor([0, 1]))
    with pytest.raises(ValueError, match='label values'):
        loss_fn(torch.randn(2, 2), torch.tensor([0, 2]))
    with pytest.raises(ValueError, match='loss_type'):
        ClassBalancedCrossEntropyLoss(class_counts=[3, 1], loss_type='dice')


def test_works_as_mmpretrain_head_loss():
    from mmpretrain.structures import DataSample
    head = MMPRETRAIN_MODELS.build(
        dict(type='LinearClsHead', num_classes=3, in_channels=4,
             loss=dict(type='ClassBalancedCrossEntropyLoss',
                       class_counts=[30, 5, 1])))
    samples = [DataSample().set_gt_label(y) for y in (0, 2)]
    losses = head.loss((torch.randn(2, 4), ), samples)
    assert torch.isfinite(losses['loss']) and losses['loss'] > 0
