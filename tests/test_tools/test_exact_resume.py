# Copyright (c) medproto contributors. All rights reserved.
"""Bit-exact resume of distillation runs through tools/train.py: the
curriculum KD config across its stage switch (PixelInfoNCE samples from its
own, checkpointed generator) and a classification KD config with random
augmentation."""
import os.path as osp

import pytest
import torch

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
KD_SEG = osp.join(ROOT, 'configs', 'maunet', 'maunet_kd_kvasir.py')
KVASIR = osp.join(ROOT, 'tests', 'data', 'kvasir_seg')


def _same(a, b):
    wa = torch.load(a, weights_only=True)['state_dict']
    wb = torch.load(b, weights_only=True)['state_dict']
    return wa.keys() == wb.keys() and all(torch.equal(wa[k], wb[k])
                                          for k in wa)


@pytest.fixture(scope='module')
def random_teacher(tmp_path_factory):
    """A random-weight MALUNet checkpoint (the teacher's quality does not
    matter for exactness)."""
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmseg.registry import MODELS
    init_default_scope('mmseg')
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(
        osp.join(ROOT, 'configs', 'malunet', 'malunet_kvasir.py')).model)
    path = tmp_path_factory.mktemp('teacher') / 'malunet.pth'
    torch.save({'state_dict': model.state_dict()}, path)
    return str(path)


def _kd_options(teacher):
    opts = [f'model.teacher_ckpt={teacher}',
            'model.teacher.cfg_path=configs/malunet/malunet_kvasir.py',
            'train_dataloader.batch_size=2',
            'train_cfg.max_iters=8', 'train_cfg.val_interval=4',
            'param_scheduler.0.T_max=8', 'param_scheduler.0.end=8',
            'default_hooks.checkpoint.interval=3',
            'default_hooks.checkpoint.max_keep_ckpts=5']
    for loader in ('train_dataloader', 'val_dataloader'):
        opts += [f'{loader}.dataset.data_root={KVASIR}',
                 f'{loader}.dataset.data_prefix.img_path=images',
                 f'{loader}.dataset.data_prefix.seg_map_path=masks',
                 f'{loader}.num_workers=0',
                 f'{loader}.persistent_workers=False']
    return opts + ['train_dataloader.dataset.pipeline.2.scale=(128,128)',
                   'val_dataloader.dataset.pipeline.1.scale=(128,128)']


def test_curriculum_kd_resumes_exactly(tmp_path, tool, random_teacher):
    """8 iterations, preference stage from iteration 5 (0.6 * 8): resumed
    at 3 (crosses the switch) and at 6 (InfoNCE has sampled twice)."""
    opts = ['--cfg-options', *_kd_options(random_teacher)]
    whole = tmp_path / 'whole'
    tool('train.py', KD_SEG, '--work-dir', str(whole), *opts)
    for start in (3, 6):
        work = tmp_path / f'from{start}'
        tool('train.py', KD_SEG, '--work-dir', str(work), '--resume',
             str(whole / f'iter_{start}.pth'), *opts)
        assert _same(whole / 'iter_8.pth', work / 'iter_8.pth'), start


def test_classification_kd_resumes_exactly(tmp_path, tool, cls_trained,
                                           configs_dir):
    """KD between tiny classifiers, random flips, 3 epochs, resumed after
    the first."""
    _, teacher_dir = cls_trained
    cfg = tmp_path / 'cls_kd_flip.py'
    cfg.write_text(
        f"_base_ = ['{osp.join(configs_dir, 'cls_tiny_kd.py')}']\n"
        "train_dataloader = dict(dataset=dict(pipeline=[\n"
        "    dict(type='LoadImageFromFile'),\n"
        "    dict(type='RandomFlip', prob=0.5, direction='horizontal'),\n"
        "    dict(type='Resize', scale=(64, 64), keep_ratio=False),\n"
        "    dict(type='PackInputs')]))\n"
        'train_cfg = dict(max_epochs=3, val_interval=3)\n')
    opts = ['--cfg-options',
            f'model.teacher_ckpt={teacher_dir / "epoch_2.pth"}',
            'default_hooks.checkpoint.max_keep_ckpts=3']
    whole = tmp_path / 'whole'
    tool('train.py', str(cfg), '--work-dir', str(whole), *opts)
    resumed = tmp_path / 'resumed'
    tool('train.py', str(cfg), '--work-dir', str(resumed), '--resume',
         str(whole / 'epoch_1.pth'), *opts)
    assert _same(whole / 'epoch_3.pth', resumed / 'epoch_3.pth')
