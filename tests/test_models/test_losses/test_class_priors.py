# Copyright (c) medproto contributors. All rights reserved.
"""ClassCountLoss, the head-loss call shared by the class-count losses:
what it hands to ``_loss`` and what it checks, with a probe subclass."""
import pytest
import torch

from medproto.models.losses import (BalancedSoftmaxLoss,
                                    ClassBalancedCrossEntropyLoss, LDAMLoss,
                                    LogitAdjustedCrossEntropyLoss)
from medproto.models.losses.class_priors import ClassCountLoss


class _Probe(ClassCountLoss):
    """Records the inputs of ``_loss`` and returns 1."""

    def __init__(self, num_classes, reduction='mean', loss_weight=1.0):
        super().__init__()
        self.reduction, self.loss_weight = reduction, loss_weight
        self._c = num_classes
        self.seen = None

    @property
    def num_classes(self):
        return self._c

    def _loss(self, cls_score, target, weight, reduction, avg_factor):
        self.seen = (target, weight, reduction, avg_factor)
        return cls_score.new_tensor(1.0)


def test_inputs_reach_the_subclass_checked_and_converted():
    probe = _Probe(3, loss_weight=2.5)
    scores = torch.randn(4, 3, dtype=torch.float64)
    label = torch.tensor([2, 0, 1, 2])
    out = probe(scores, label, weight=torch.ones(4, 1), avg_factor=7.0)
    assert out.item() == 2.5  # loss_weight applied once
    target, weight, reduction, avg_factor = probe.seen
    assert target.dtype == torch.float64
    eye = torch.eye(3, dtype=torch.float64)
    torch.testing.assert_close(target, eye[label])
    assert weight.shape == (4, ) and weight.dtype == torch.float64
    assert (reduction, avg_factor) == ('mean', 7.0)
    probe(scores, torch.eye(3)[label], reduction_override='sum')
    assert probe.seen[1] is None and probe.seen[2] == 'sum'


def test_checks_name_the_subclass():
    probe = _Probe(3)
    with pytest.raises(ValueError, match=r'^_Probe: cls_score must be'):
        probe(torch.randn(2, 4), torch.tensor([0, 1]))
    with pytest.raises(ValueError, match=r'^_Probe: label values'):
        probe(torch.randn(2, 3), torch.tensor([0, 3]))
    with pytest.raises(ValueError, match=r'^_Probe: reduction must'):
        probe(torch.randn(2, 3), torch.tensor([0, 1]),
              reduction_override='avg')


@pytest.mark.parametrize('cls', [ClassBalancedCrossEntropyLoss,
                                 LogitAdjustedCrossEntropyLoss,
                                 BalancedSoftmaxLoss, LDAMLoss])
def test_every_class_count_loss_uses_the_shared_call(cls):
    loss = cls([9, 3, 1])
    assert isinstance(loss, ClassCountLoss)
    assert type(loss).forward is ClassCountLoss.forward
    with pytest.raises(ValueError, match=f'^{cls.__name__}: cls_score'):
        loss(torch.randn(2, 4), torch.tensor([0, 1]))
