# Copyright (c) medproto contributors. All rights reserved.
import numpy as np
import pytest

from medproto.datasets import MedMNISTDataset

PIPELINE = [dict(type='LoadImageFromNDArray'), dict(type='PackInputs')]


def _write_npz(path, rgb=True, label_shape='column', n=12, num_classes=3,
               **extra):
    rng = np.random.default_rng(0)
    shape = (n, 28, 28, 3) if rgb else (n, 28, 28)
    labels = np.arange(n) % num_classes
    if label_shape == 'column':
        labels = labels[:, None]
    arrays = dict(
        train_images=rng.integers(0, 256, shape, dtype=np.uint8),
        train_labels=labels,
        val_images=rng.integers(0, 256, shape, dtype=np.uint8),
        val_labels=labels)
    arrays.update(extra)
    np.savez(path, **arrays)
    return path


@pytest.mark.parametrize('rgb, label_shape', [(True, 'column'),
                                              (False, 'flat')])
def test_loads_images_and_labels(tmp_path, rgb, label_shape):
    _write_npz(tmp_path / 'toy.npz', rgb, label_shape)
    dataset = MedMNISTDataset(
        ann_file='toy.npz', data_root=str(tmp_path), split='val',
        num_classes=3, pipeline=PIPELINE)
    assert len(dataset) == 12
    assert dataset.CLASSES == ('0', '1', '2')
    assert dataset.metainfo['class_counts'] == [4, 4, 4]
    packed = dataset[4]
    assert tuple(packed['inputs'].shape) == (3, 28, 28)
    assert packed['data_samples'].gt_label.tolist() == [1]
    assert packed['data_samples'].sample_idx == 4
    with np.load(tmp_path / 'toy.npz') as npz:
        img = npz['val_images'][4]
    expected = img[..., ::-1] if rgb else np.repeat(img[..., None], 3, 2)
    np.testing.assert_array_equal(packed['inputs'].permute(1, 2, 0).numpy(),
                                  expected)


def test_imbalance_factor_and_class_names(tmp_path):
    _write_npz(tmp_path / 'toy.npz', n=30)
    dataset = MedMNISTDataset(
        ann_file=str(tmp_path / 'toy.npz'),
        classes=['a', 'b', 'c'],
        imbalance_factor=10)
    assert dataset.CLASSES == ('a', 'b', 'c')
    assert dataset.metainfo['class_counts'] == [10, 3, 1]


def test_label_out_of_range_names_the_file(tmp_path):
    _write_npz(tmp_path / 'bad.npz', num_classes=5)
    with pytest.raises(ValueError, match=r'bad\.npz.*train_labels\[3\] = 3'):
        MedMNISTDataset(ann_file=str(tmp_path / 'bad.npz'), num_classes=3)
    labels = -np.ones((12, 1), np.int64)
    _write_npz(tmp_path / 'neg.npz', train_labels=labels)
    with pytest.raises(ValueError, match=r'neg\.npz.*outside'):
        MedMNISTDataset(ann_file=str(tmp_path / 'neg.npz'))


def test_bad_files_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match=r'absent\.npz'):
        MedMNISTDataset(ann_file=str(tmp_path / 'absent.npz'))
    _write_npz(tmp_path / 'toy.npz')
    with pytest.raises(KeyError, match=r"toy\.npz.*test_images"):
        MedMNISTDataset(ann_file=str(tmp_path / 'toy.npz'), split='test')
    _write_npz(tmp_path / 'multi.npz', train_labels=np.zeros((12, 4), int))
    with pytest.raises(ValueError, match=r'multi\.npz.*multi-label'):
        MedMNISTDataset(ann_file=str(tmp_path / 'multi.npz'))
    _write_npz(tmp_path / 'float.npz',
               train_images=np.zeros((12, 28, 28), np.float32))
    with pytest.raises(ValueError, match=r'float\.npz.*float32'):
        MedMNISTDataset(ann_file=str(tmp_path / 'float.npz'))


@pytest.mark.parametrize('kwargs, match', [
    (dict(split='dev'), 'split'),
    (dict(num_classes=0), 'num_classes'),
    (dict(num_classes=2, classes=['a', 'b', 'c']), 'num_classes'),
])
def test_bad_settings_are_refused(tmp_path, kwargs, match):
    with pytest.raises(ValueError, match=match):
        MedMNISTDataset(ann_file=str(tmp_path / 'x.npz'), **kwargs)
