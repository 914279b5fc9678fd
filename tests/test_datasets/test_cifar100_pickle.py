# Copyright (c) medproto contributors. All rights reserved.
import os
import pickle

import medproto  # noqa: F401
import numpy as np
import pytest
from mmengine.registry import DefaultScope
from mmpretrain.registry import DATASETS

from medproto.datasets.cifar100_pickle import (UnsafePickleError,
                                               safe_pickle_load)

# What cPickle (Python 2, protocol 2) wrote for
# {'data': np.array([1, 2], np.uint8), 'fine_labels': [5, 7]}: the layout of
# the original cifar-100-python files, with Python 2 byte strings.
PY2_PICKLE = (
    b'\x80\x02}q\x00(U\x04dataq\x01cnumpy.core.multiarray\n_reconstruct\n'
    b'q\x02cnumpy\nndarray\nq\x03K\x00\x85U\x01b\x87Rq\x04(K\x01K\x02\x85'
    b'cnumpy\ndtype\nq\x05U\x02u1K\x00K\x01\x87Rq\x06(K\x03U\x01|NNNJ\xff'
    b'\xff\xff\xffJ\xff\xff\xff\xffK\x00tb\x89U\x02\x01\x02tbU\x0bfine_labels'
    b']q\x07(K\x05K\x07eu.')


class Exploit:

    def __reduce__(self):
        return (os.system, ('echo unsafe',))


@pytest.fixture
def cifar_root(tmp_path):
    """A cifar-100-python folder with 6 train and 4 test images."""
    rng = np.random.default_rng(0)
    for split, num in (('train', 6), ('test', 4)):
        entry = dict(filenames=[f'{i}.png' for i in range(num)],
                     batch_label=split, fine_labels=list(range(num)),
                     coarse_labels=[i % 2 for i in range(num)],
                     data=rng.integers(0, 256, (num, 3072), dtype=np.uint8))
        with open(tmp_path / split, 'wb') as f:
            pickle.dump(entry, f, protocol=2)
    meta = dict(fine_label_names=[f'fine{i}' for i in range(100)],
                coarse_label_names=[f'coarse{i}' for i in range(20)])
    with open(tmp_path / 'meta', 'wb') as f:
        pickle.dump(meta, f)
    return tmp_path


def build(root, **kwargs):
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return DATASETS.build(dict(type='CIFAR100Pickle', data_root=str(root),
                                   pipeline=[dict(type='PackInputs')],
                                   **kwargs))


def test_reads_images_labels_classes_and_sample_idx(cifar_root):
    dataset = build(cifar_root, split='train')
    assert len(dataset) == 6
    assert dataset.metainfo['classes'][:2] == ('fine0', 'fine1')
    info = dataset.get_data_info(4)
    raw = safe_pickle_load(str(cifar_root / 'train'))['data'][4]
    # CHW planes -> HWC RGB.
    assert info['img'].shape == (32, 32, 3)
    assert np.array_equal(info['img'][..., 0].ravel(), raw[:1024])
    assert np.array_equal(info['img'][..., 2].ravel(), raw[2048:])
    packed = dataset[4]
    assert packed['inputs'].shape == (3, 32, 32)
    assert packed['data_samples'].gt_label.tolist() == [4]
    assert packed['data_samples'].metainfo['sample_idx'] == 4
    test = build(cifar_root, split='test', label_type='coarse')
    assert len(test) == 4 and test.metainfo['classes'][0] == 'coarse0'
    assert [test.get_data_info(i)['gt_label'] for i in range(4)] == [0, 1,
                                                                    0, 1]


@pytest.mark.parametrize('protocol', [2, 4, 5])
def test_safe_loader_reads_numpy_pickles(tmp_path, protocol):
    path = tmp_path / 'x'
    array = np.arange(6, dtype=np.uint8).reshape(2, 3)
    with open(path, 'wb') as f:
        pickle.dump(dict(data=array, labels=[1, 2], name='b'), f,
                    protocol=protocol)
    loaded = safe_pickle_load(str(path))
    assert np.array_equal(loaded['data'], array)
    assert loaded['labels'] == [1, 2]


def test_safe_loader_reads_python2_pickles(tmp_path):
    path = tmp_path / 'py2'
    path.write_bytes(PY2_PICKLE)
    loaded = safe_pickle_load(str(path))
    assert loaded['data'].tolist() == [1, 2]
    assert loaded['fine_labels'] == [5, 7]


def test_safe_loader_refuses_code(tmp_path, cifar_root):
    path = tmp_path / 'evil'
    with open(path, 'wb') as f:
        pickle.dump(dict(data=Exploit()), f)
    with pytest.raises(UnsafePickleError, match='refused to load'):
        safe_pickle_load(str(path))
    os.replace(path, cifar_root / 'train')
    with pytest.raises(UnsafePickleError):
        build(cifar_root, split='train')


def test_errors(tmp_path, cifar_root):
    with pytest.raises(FileNotFoundError, match='data_root'):
        build(tmp_path / 'nowhere')
    with pytest.raises(ValueError, match='split must be one of'):
        build(cifar_root, split='val')
    with pytest.raises(ValueError, match='label_type must be one of'):
        build(cifar_root, label_type='medium')
    with open(cifar_root / 'train', 'wb') as f:
        pickle.dump(dict(data=np.zeros((2, 10), np.uint8),
                         fine_labels=[0, 1]), f)
    with pytest.raises(ValueError, match=r'expected data \(N, 3072\)'):
        build(cifar_root)
