# Copyright (c) medproto contributors. All rights reserved.
import pytest
import torch
import torch.nn.functional as F

import medproto  # noqa: F401
from medproto.models.heads import BalancedPrototypeLoss


def _unit_protos():
    # 2 classes x 2 slots in 3-D, orthogonal within a class.
    p = torch.tensor([[[1., 0., 0.], [0., 1., 0.]],
                      [[0., 0., 1.], [0., 1., 0.]]])
    return p


def test_terms_by_hand():
    loss = BalancedPrototypeLoss(1., 1., 1., 1., margin=0.5,
                                 diversity_threshold=0., temperature=1.)
    sims = torch.tensor([[[0.9, 0.1], [0.2, 0.8]],
                         [[0.3, 0.0], [0.6, 0.4]]])
    labels = torch.tensor([0, 1])
    active = torch.tensor([[True, True], [True, False]])
    terms = loss(sims, labels, active, _unit_protos())
    # cluster: 1 - nearest own = (0.1 + 0.4) / 2
    assert terms['cluster'].item() == pytest.approx(0.25)
    # separation: nearest other = 0.2 (slot 1 of class 1 inactive) and 0.3
    assert terms['separation'].item() == pytest.approx(
        (max(0., 0.5 - 0.8) + max(0., 0.5 - 0.7)) / 2)
    # contrastive: positive vs other-class active slots
    l0 = -F.log_softmax(torch.tensor([0.9, 0.2]), 0)[0]
    l1 = -F.log_softmax(torch.tensor([0.6, 0.3, 0.0]), 0)[0]
    assert terms['contrastive'].item() == pytest.approx(
        ((l0 + l1) / 2).item(), rel=1e-5)
    # diversity: orthogonal pair in class 0, class 1 has one active slot
    assert terms['diversity'].item() == pytest.approx(0.)


def test_diversity_penalises_collapse_and_class_weights_weight_cluster():
    loss = BalancedPrototypeLoss(1., 0., 1., 0., diversity_threshold=0.3)
    collapsed = F.normalize(torch.ones(2, 2, 3), dim=-1)
    sims = torch.tensor([[[0.9, 0.9], [0., 0.]], [[0., 0.], [0.5, 0.5]]])
    labels = torch.tensor([0, 1])
    active = torch.ones(2, 2, dtype=torch.bool)
    terms = loss(sims, labels, active, collapsed)
    assert terms['diversity'].item() == pytest.approx((1. - 0.3)**2)
    weighted = loss(sims, labels, active, collapsed,
                    class_weights=torch.tensor([1., 3.]))
    assert terms['cluster'].item() == pytest.approx((0.1 + 0.5) / 2)
    assert weighted['cluster'].item() == pytest.approx(
        (0.1 + 3 * 0.5) / 4)


def test_weights_scale_terms_and_validation():
    sims = torch.rand(3, 2, 2)
    labels = torch.tensor([0, 1, 1])
    active = torch.ones(2, 2, dtype=torch.bool)
    protos = _unit_protos()
    base = BalancedPrototypeLoss(1., 1., 1., 1.)(sims, labels, active, protos)
    half = BalancedPrototypeLoss(.5, .5, .5, .5)(sims, labels, active, protos)
    for k in base:
        assert torch.allclose(half[k], base[k] / 2)
    with pytest.raises(ValueError, match='at least one active'):
        BalancedPrototypeLoss()(sims, labels,
                                torch.tensor([[True, True], [False, False]]),
                                protos)
    with pytest.raises(ValueError, match='temperature'):
        BalancedPrototypeLoss(temperature=0)
    with pytest.raises(ValueError, match='inconsistent shapes'):
        BalancedPrototypeLoss()(sims, labels[:2], active, protos)


def test_assigned_positive_replaces_the_nearest():
    loss = BalancedPrototypeLoss(1., 1., 0., 1., margin=0.5, temperature=1.)
    sims = torch.tensor([[[0.9, 0.1], [0.2, 0.8]],
                         [[0.3, 0.0], [0.6, 0.4]]])
    labels = torch.tensor([0, 1])
    active = torch.ones(2, 2, dtype=torch.bool)
    protos = _unit_protos()
    nearest = loss(sims, labels, active, protos)
    same = loss(sims, labels, active, protos,
                assigned=torch.tensor([0, 0]))  # the nearest slots
    for k in nearest:
        assert torch.allclose(nearest[k], same[k])
    terms = loss(sims, labels, active, protos, assigned=torch.tensor([1, 1]))
    # positives 0.1 (class 0, slot 1) and 0.4 (class 1, slot 1)
    assert terms['cluster'].item() == pytest.approx((0.9 + 0.6) / 2)
    l0 = -F.log_softmax(torch.tensor([0.1, 0.2, 0.8]), 0)[0]
    l1 = -F.log_softmax(torch.tensor([0.4, 0.3, 0.0]), 0)[0]
    assert terms['contrastive'].item() == pytest.approx(
        ((l0 + l1) / 2).item(), rel=1e-5)
    assert torch.allclose(terms['separation'], nearest['separation'])
    # the gradient reaches the assigned slot, not the nearest
    sims.requires_grad_(True)
    loss(sims, labels, active, protos,
         assigned=torch.tensor([1, 1]))['cluster'].backward()
    assert sims.grad[0, 0, 1] != 0 and sims.grad[0, 0, 0] == 0
    with pytest.raises(ValueError, match='assigned must be'):
        loss(sims, labels, torch.tensor([[True, False], [True, True]]),
             protos, assigned=torch.tensor([1, 1]))  # inactive slot
    with pytest.raises(ValueError, match='assigned must be'):
        loss(sims, labels, active, protos, assigned=torch.tensor([2, 0]))
