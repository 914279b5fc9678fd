# Copyright (c) medproto contributors. All rights reserved.
"""The ready-made dataset configs run end to end on ``tests/data``."""
import copy
from pathlib import Path

import numpy as np
import pytest
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmpretrain.registry import DATASETS as CLS_DATASETS
from mmseg.registry import DATASETS as SEG_DATASETS
from mmseg.registry import TRANSFORMS as SEG_TRANSFORMS

CONFIGS = Path(__file__).resolve().parents[2] / 'configs/_base_/datasets'


def _dataset_cfg(name: str, part: str, **overrides) -> dict:
    cfg = Config.fromfile(str(CONFIGS / f'{name}.py'))
    dataset = copy.deepcopy(cfg[part]['dataset'])
    dataset.update(overrides)
    return dataset


SEG_CASES = [
    ('binary_seg_folder', dict(data_prefix=dict(
        img_path='images', seg_map_path='masks'))),
    ('kvasir_seg', dict(data_prefix=dict(
        img_path='images', seg_map_path='masks'))),
    ('cvc_clinicdb', dict()),
]
SEG_ROOTS = dict(
    binary_seg_folder='kvasir_seg',
    kvasir_seg='kvasir_seg',
    cvc_clinicdb='cvc_clinicdb')


@pytest.mark.parametrize('name, overrides', SEG_CASES)
def test_seg_configs_pack_256_inputs(name, overrides, sample_data,
                                     mmseg_scope):
    root = str(sample_data / SEG_ROOTS[name])
    train = SEG_DATASETS.build(
        _dataset_cfg(name, 'train_dataloader', data_root=root, **overrides))
    packed = train[0]
    assert tuple(packed['inputs'].shape) == (3, 256, 256)
    sample = packed['data_samples']
    assert tuple(sample.gt_sem_seg.data.shape) == (1, 256, 256)
    assert set(sample.gt_sem_seg.data.unique().tolist()) <= {0, 1}
    assert sample.sample_idx == 0

    val = SEG_DATASETS.build(
        _dataset_cfg(name, 'val_dataloader', data_root=root, **overrides))
    packed = val[len(val) - 1]
    assert tuple(packed['inputs'].shape) == (3, 256, 256)
    # the val mask stays at the original size, for metrics at full size
    assert tuple(packed['data_samples'].gt_sem_seg.data.shape[1:]) == \
        tuple(packed['data_samples'].ori_shape)
    assert packed['data_samples'].sample_idx == len(val) - 1


def test_seg_evaluators_and_batches():
    cfg = Config.fromfile(str(CONFIGS / 'kvasir_seg.py'))
    assert cfg.train_dataloader.batch_size == 8
    assert cfg.val_dataloader.batch_size == 1
    assert cfg.val_evaluator == dict(type='BinarySegMetric')


def test_random_rotate_draws_a_new_angle_per_sample(mmseg_scope):
    cfg = Config.fromfile(str(CONFIGS / 'binary_seg_folder.py'))
    rotate_cfg = next(t for t in cfg.train_pipeline
                      if t['type'] == 'RandomRotate')
    rotate = SEG_TRANSFORMS.build(dict(rotate_cfg, prob=1.0))
    img = np.zeros((32, 32, 3), np.uint8)
    img[4:12, 4:28] = 255
    mask = (img[..., 0] > 0).astype(np.uint8)
    outputs = set()
    for _ in range(5):
        out = rotate(dict(img=img.copy(), gt_seg_map=mask.copy(),
                          seg_fields=['gt_seg_map']))
        assert set(np.unique(out['gt_seg_map'])) <= {0, 1}  # nearest
        outputs.add(out['img'].tobytes())
    assert len(outputs) == 5


def test_pbc_lt_config(sample_data):
    root = str(sample_data / 'pbc_blood_cells')
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        train = CLS_DATASETS.build(
            _dataset_cfg('pbc_lt', 'train_dataloader', data_root=root,
                         data_prefix='', imbalance_factor=3))
        val = CLS_DATASETS.build(
            _dataset_cfg('pbc_lt', 'val_dataloader', data_root=root,
                         data_prefix=''))
    assert train.metainfo['class_counts'] == [6, 3, 2]
    assert val.metainfo['class_counts'] == [6, 6, 6]
    packed = train[0]
    assert tuple(packed['inputs'].shape) == (3, 128, 128)
    assert packed['data_samples'].sample_idx == 0
    cfg = Config.fromfile(str(CONFIGS / 'pbc_lt.py'))
    assert cfg.train_dataloader.dataset.imbalance_factor == 100
    assert cfg.val_evaluator == dict(type='LongTailClsMetric')


def test_medmnist_config(tmp_path):
    rng = np.random.default_rng(0)
    arrays = {}
    for split in ('train', 'val', 'test'):
        arrays[f'{split}_images'] = rng.integers(
            0, 256, (16, 28, 28, 3), dtype=np.uint8)
        arrays[f'{split}_labels'] = (np.arange(16) % 8)[:, None]
    np.savez(tmp_path / 'bloodmnist.npz', **arrays)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        for part in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
            dataset = CLS_DATASETS.build(
                _dataset_cfg('medmnist', part, data_root=str(tmp_path)))
            packed = dataset[3]
            assert tuple(packed['inputs'].shape) == (3, 28, 28)
            assert packed['data_samples'].gt_label.tolist() == [3]
            assert dataset.metainfo['class_counts'] == [2] * 8
