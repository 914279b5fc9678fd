# Copyright (c) medproto contributors. All rights reserved.
import pytest
import torch
from mmengine.optim import DefaultOptimWrapperConstructor, build_optim_wrapper
from mmengine.registry import DefaultScope
from mmpretrain.registry import MODELS

import medproto  # noqa: F401
from medproto.engine.optimizers import PathParamwiseOptimWrapperConstructor


@pytest.fixture(autouse=True, scope='module')
def mmpretrain_scope():
    """Build under mmpretrain's scope whatever scope earlier tests left."""
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        yield


BASE_LR = 1e-3


@pytest.fixture(scope='module')
def classifier():
    return MODELS.build(dict(
        type='ImageClassifier',
        backbone=dict(type='DualConvNeXtSwin', arch='nano',
                      fusion=dict(type='MHFBlockV2', enhancement='lite')),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=8, in_channels=256)))


def _lr_of(optimizer, model):
    by_id = {}
    for group in optimizer.param_groups:
        for p in group['params']:
            by_id[id(p)] = group['lr']
    return {n: by_id.get(id(p)) for n, p in model.named_parameters()}


def _build(model, **paramwise):
    cfg = dict(
        type='OptimWrapper',
        optimizer=dict(type='AdamW', lr=BASE_LR, weight_decay=0.05),
        constructor='medproto.PathParamwiseOptimWrapperConstructor')
    if paramwise:
        cfg['paramwise_cfg'] = paramwise
    return build_optim_wrapper(model, cfg)


def test_default_multipliers_by_module_path(classifier):
    lrs = _lr_of(_build(classifier).optimizer, classifier)
    expected = {
        'backbone.swin_stages.0.blocks.0.mlp.fc1.weight': 0.1,
        'backbone.conv_stages.1.blocks.0.mlp.fc2.bias': 0.1,
        'backbone.fusions.0.local_proj.0.weight': 0.5,
        'backbone.fusions.3.channel_att.mlp.0.weight': 0.5,
        'backbone.fusions.2.enhancement.scale.scale': 1.0,
        'head.fc.weight': 2.0,
        'head.fc.bias': 2.0,
    }
    for name, mult in expected.items():
        assert lrs[name] == pytest.approx(BASE_LR * mult), name
    assert all(lr is not None for lr in lrs.values())


def test_substring_custom_keys_would_give_fc1_the_head_rate(classifier):
    """The bug the path matching avoids: mmengine's substring keys."""
    wrapper = build_optim_wrapper(classifier, dict(
        type='OptimWrapper', optimizer=dict(type='AdamW', lr=BASE_LR),
        paramwise_cfg=dict(custom_keys={'fc': dict(lr_mult=2.0)})))
    lrs = _lr_of(wrapper.optimizer, classifier)
    assert lrs['backbone.swin_stages.0.blocks.0.mlp.fc1.weight'] == \
        pytest.approx(2 * BASE_LR)


def test_frozen_parameters_are_kept():
    model = torch.nn.ModuleDict(dict(
        backbone=torch.nn.Linear(3, 3), head=torch.nn.Linear(3, 2)))
    model['backbone'].requires_grad_(False)
    default = DefaultOptimWrapperConstructor(
        dict(optimizer=dict(type='AdamW', lr=BASE_LR)),
        dict(custom_keys={'head': dict(lr_mult=2.)}))(model)
    in_default = {id(p) for g in default.optimizer.param_groups
                  for p in g['params']}
    # mmengine drops the frozen backbone
    assert id(model['backbone'].weight) not in in_default
    assert id(model['head'].weight) in in_default
    ours = _build(model).optimizer
    lrs = _lr_of(ours, model)
    assert lrs['backbone.weight'] == pytest.approx(0.1 * BASE_LR)
    assert sum(len(g['params']) for g in ours.param_groups) == 4
    assert all(lr is not None for lr in lrs.values())
    # frozen params have no grad and stay untouched by a step
    before = model['backbone'].weight.detach().clone()
    model['head'](model['backbone'](torch.randn(4, 3))).sum().backward()
    ours.step()
    assert model['backbone'].weight.grad is None
    assert torch.equal(before, model['backbone'].weight)


def test_custom_rules_first_match_decay_and_flat_decay():
    model = torch.nn.ModuleDict(dict(
        backbone=torch.nn.Linear(3, 3), head=torch.nn.Linear(3, 2)))
    opt = _build(model,
                 lr_mults=[('head', 3.0, 0.0),
                           dict(pattern='*', lr_mult=0.5)],
                 flat_decay_mult=0.).optimizer
    groups = {(g['rule'], tuple(p.ndim for p in g['params'])): g
              for g in opt.param_groups}
    assert groups[('head', (2, ))]['lr'] == pytest.approx(3 * BASE_LR)
    assert groups[('head', (2, ))]['weight_decay'] == 0.
    assert groups[('*', (2, ))]['lr'] == pytest.approx(0.5 * BASE_LR)
    assert groups[('*', (2, ))]['weight_decay'] == pytest.approx(0.05)
    assert groups[('*', (1, ))]['weight_decay'] == 0.


def test_grouping_and_validation():
    model = torch.nn.ModuleDict(dict(neck=torch.nn.Linear(3, 3)))
    opt = _build(model).optimizer
    assert len(opt.param_groups) == 1
    assert opt.param_groups[0]['rule'] == 'default'
    assert opt.param_groups[0]['lr'] == BASE_LR
    cfg = dict(optimizer=dict(type='AdamW', lr=BASE_LR))
    with pytest.raises(ValueError, match='unknown paramwise_cfg'):
        PathParamwiseOptimWrapperConstructor(cfg, dict(custom_keys={}))
    with pytest.raises(ValueError, match='lr_mult must be'):
        PathParamwiseOptimWrapperConstructor(cfg,
                                             dict(lr_mults=[('a', -1)]))
    with pytest.raises(ValueError, match='path pattern'):
        PathParamwiseOptimWrapperConstructor(cfg,
                                             dict(lr_mults=[('a..b', 1)]))
    with pytest.raises(ValueError, match='base "lr"'):
        PathParamwiseOptimWrapperConstructor(
            dict(optimizer=dict(type='AdamW')))
