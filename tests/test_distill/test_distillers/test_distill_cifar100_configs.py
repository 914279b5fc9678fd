# Copyright (c) medproto contributors. All rights reserved.
import glob
import os.path as osp
import sys

import pytest
import torch
from mmengine.config import Config

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..', '..'))
CONFIGS = osp.join(ROOT, 'configs', 'distill_cifar100')
sys.path.insert(0, osp.join(ROOT, 'tests', 'data', 'distill_toys'))

from medproto_distill_toys import cls_batch, default_scope  # noqa: E402

from medproto.registry import HOOKS, MODELS  # noqa: E402

METHODS = ('kd', 'fitnet', 'at', 'rkd', 'crd', 'dkd', 'reviewkd')
PAIRS = ('r32x4_r8x4', 'wrn40_2_wrn16_2')
COMBOS = ('kd_fitnet', 'kd_rkd', 'kd_crd', 'fitnet_rkd', 'fitnet_crd',
          'rkd_crd')
DISTILL_CONFIGS = [f'{name}_{pair}_cifar100.py' for pair in PAIRS
                   for name in METHODS + COMBOS]


def load(name: str) -> Config:
    return Config.fromfile(osp.join(CONFIGS, name))


def test_every_method_and_combination_has_a_config():
    found = {osp.basename(p) for p in glob.glob(osp.join(CONFIGS, '*.py'))}
    assert set(DISTILL_CONFIGS) <= found


@pytest.mark.parametrize('name', DISTILL_CONFIGS)
def test_distill_config_builds_and_computes_its_losses(name, tmp_path):
    """Every config builds; single-method configs also run a loss step."""
    cfg = load(name)
    assert cfg.default_scope == 'mmpretrain'
    assert cfg.optim_wrapper.optimizer == dict(
        type='SGD', lr=0.05, momentum=0.9, weight_decay=5e-4)
    assert cfg.train_cfg.max_epochs == 240
    assert cfg.param_scheduler.milestones == [150, 180, 210]
    assert cfg.train_dataloader.batch_size == 64
    model_cfg = cfg.model
    methods = name.split(f'_{PAIRS[0]}')[0].split(f'_{PAIRS[1]}')[0]
    expected = {f'loss_{m}' for m in methods.split('_')}
    assert set(model_cfg.distill_losses) == expected
    assert model_cfg.task_loss_weight == (0.1 if 'kd' in methods.split('_')
                                          else 1.0)
    model_cfg.data_preprocessor = cfg.data_preprocessor
    if 'loss_crd' in model_cfg.distill_losses:
        model_cfg.distill_losses.loss_crd.update(num_data=16, num_negatives=4)
    with default_scope(cfg.default_scope):
        model_cfg.teacher_ckpt = None
        if methods == 'kd':
            # A random teacher saved as a checkpoint stands for the trained
            # one (once per pair: the teacher is the same in every config).
            teacher = MODELS.build(model_cfg.teacher)
            model_cfg.teacher_ckpt = str(tmp_path / 'teacher.pth')
            torch.save(dict(state_dict=teacher.state_dict()),
                       model_cfg.teacher_ckpt)
        model = MODELS.build(model_cfg)
    if methods == 'kd':
        assert torch.equal(model.teacher.head.fc.weight,
                           teacher.head.fc.weight)
    if methods not in METHODS:
        return  # a combination only joins two parts checked on their own
    model.train()
    data = model.data_preprocessor(cls_batch(num=2, size=32), True)
    losses = model(**data, mode='loss')
    assert expected | {'loss_task'} == set(losses)
    assert all(torch.isfinite(v) for v in losses.values())


def test_pair_specific_values():
    assert load('dkd_r32x4_r8x4_cifar100.py').model.distill_losses[
        'loss_dkd'].beta == 8.0
    assert load('dkd_wrn40_2_wrn16_2_cifar100.py').model.distill_losses[
        'loss_dkd'].beta == 6.0
    assert load('reviewkd_r32x4_r8x4_cifar100.py').model.distill_losses[
        'loss_reviewkd'].loss_weight == 5.0
    crd = load('crd_wrn40_2_wrn16_2_cifar100.py').model.distill_losses[
        'loss_crd']
    assert (crd.s_dim, crd.t_dim, crd.num_data) == (128, 128, 50000)


@pytest.mark.parametrize('name, arch', [
    ('resnet8x4_cifar100.py', 'resnet8x4'), ('resnet32x4_cifar100.py',
                                             'resnet32x4'),
    ('resnet20_cifar100.py', 'resnet20'), ('resnet56_cifar100.py',
                                           'resnet56'),
    ('wrn16_2_cifar100.py', 'wrn16_2'), ('wrn40_2_cifar100.py', 'wrn40_2')])
def test_single_model_configs(name, arch):
    cfg = load(name)
    assert cfg.model.backbone.arch == arch
    with default_scope(cfg.default_scope):
        model = MODELS.build(cfg.model)
    out = model(torch.randn(2, 3, 32, 32), mode='tensor')
    assert out.shape == (2, 100)


def test_seg_curriculum_piece_builds():
    cfg = Config.fromfile(
        osp.join(ROOT, 'configs', '_base_', 'distill', 'curriculum_seg.py'))
    hook = HOOKS.build(cfg.curriculum_hook)
    assert [s['name'] for s in hook.stages] == ['imitation', 'preference']
    assert hook.boundaries(100) == [60, 100]
