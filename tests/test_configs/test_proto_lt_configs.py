# Copyright (c) medproto contributors. All rights reserved.
"""The prototype head with a long-tail loss (configs/pbc/
dual_nano_proto10_balsoftmax_lt100.py): proto10 with only the head's
classification loss swapped for the baseline's, and one training step of
that head on a constructed batch; the grid's variant rows of proto10
(softmax pooling, the balanced Sinkhorn assignment) change one head option."""
import copy
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

import medproto  # noqa: F401  (registries)
from medproto.utils.ablation_grid import load_grid

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
PBC = osp.join(ROOT, 'configs', 'pbc')
ROWS = dict(balsoftmax='BalancedSoftmaxLoss')


def load(name: str) -> Config:
    return Config.fromfile(osp.join(PBC, name))


@pytest.mark.parametrize('row', ROWS)
def test_only_the_head_loss_differs_from_proto10(row):
    new = load(f'dual_nano_proto10_{row}_lt100.py').to_dict()
    proto10 = load('dual_nano_proto10_lt100.py').to_dict()
    baseline = load(f'baselines/{row}_lt100.py').to_dict()
    loss = new['model']['head'].pop('loss')
    assert loss == baseline['model']['head']['loss']
    assert loss['type'] == ROWS[row]
    assert loss['class_counts'] == new['class_counts']
    assert proto10['model']['head'].pop('loss')['type'] == \
        'ClassBalancedCrossEntropyLoss'
    assert new == proto10


@pytest.mark.parametrize('row', ROWS)
def test_one_training_step_of_the_composed_head(row):
    """The head's loss_module(cls_score, target, avg_factor=B) call works
    with the long-tail loss, the total loss is finite and the step moves
    the prototypes and the head's projection."""
    cfg = load(f'dual_nano_proto10_{row}_lt100.py')
    head_cfg = copy.deepcopy(cfg.model.head)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        head = MODELS.build(head_cfg)
    assert type(head.loss_module).__name__ == ROWS[row]
    head.train()
    k = head.num_classes
    torch.manual_seed(0)
    # the backbone's last map: (B, 256, H/32, W/32), every class present
    feats = (torch.randn(2 * k, head.in_channels, 2, 2), )
    samples = [DataSample().set_gt_label(i % k) for i in range(2 * k)]
    before = {n: p.detach().clone() for n, p in head.named_parameters()}
    optim = torch.optim.SGD(head.parameters(), lr=0.1)

    losses = head.loss(feats, samples)
    # what mmengine's BaseModel.parse_losses sums
    total = sum(v for n, v in losses.items() if 'loss' in n)
    assert torch.isfinite(total) and total.requires_grad
    assert torch.isfinite(losses['loss_cls'])
    optim.zero_grad()
    total.backward()
    optim.step()
    for name in ('prototype_manager.prototypes', 'proj.0.weight'):
        assert not torch.equal(dict(head.named_parameters())[name],
                               before[name]), name

    # the call's avg_factor=B is the plain mean of the loss
    logits = torch.randn(2 * k, k)
    target = torch.arange(2 * k) % k
    torch.testing.assert_close(
        head.loss_module(logits, target, avg_factor=2 * k),
        head.loss_module(logits, target))


@pytest.mark.parametrize('label, key, value', [
    ('proto10_softpool_lt100', 'pooling', 'softmax'),
    ('proto10_sinkhorn_lt100', 'prototype_manager.assignment', 'sinkhorn'),
])
def test_grid_variants_change_one_head_option_of_proto10(label, key, value):
    grid = load_grid(osp.join(ROOT, 'configs', 'ablations',
                              'cls_lt_baselines.py'))
    entry = {e.label: e for e in grid.entries}[label]
    assert osp.relpath(entry.config, ROOT) == osp.join(
        'configs', 'pbc', 'dual_nano_proto10_lt100.py')
    assert entry.cfg_options == {f'model.head.{key}': value}
    cfg = load('dual_nano_proto10_lt100.py')
    cfg.merge_from_dict(entry.cfg_options)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        head = MODELS.build(copy.deepcopy(cfg.model.head))
        default = MODELS.build(
            copy.deepcopy(load('dual_nano_proto10_lt100.py').model.head))
    owner, attr = (head, key) if '.' not in key else (
        head.prototype_manager, key.split('.')[-1])
    assert getattr(owner, attr) == value
    assert getattr(default if owner is head else default.prototype_manager,
                   attr) != value
    assert head.prototype_manager.num_active.tolist() == [10] * 8
