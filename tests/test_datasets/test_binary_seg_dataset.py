# Copyright (c) medproto contributors. All rights reserved.
import random
from pathlib import Path

import pytest

from medproto.datasets import BinarySegDataset, file_pairing


def _stems(dataset: BinarySegDataset, key: str = 'img_path') -> list:
    return [
        Path(dataset.get_data_info(i)[key]).stem for i in range(len(dataset))
    ]


def test_pairs_by_stem_whatever_the_listing_order(tmp_path, make_pair,
                                                  monkeypatch):
    for stem in ['c', 'a', '10', '2', 'b']:
        make_pair(tmp_path, stem, '.jpg', '.png')
    real_listdir = file_pairing.os.listdir

    def reversed_listdir(path):
        names = real_listdir(path)
        # images and masks listed in different, shuffled orders
        random.Random(len(str(path))).shuffle(names)
        return names

    monkeypatch.setattr(file_pairing.os, 'listdir', reversed_listdir)
    dataset = BinarySegDataset(data_root=str(tmp_path))
    assert len(dataset) == 5
    assert _stems(dataset) == ['2', '10', 'a', 'b', 'c']
    assert _stems(dataset, 'seg_map_path') == _stems(dataset)
    info = dataset.get_data_info(0)
    assert info['seg_map_path'].endswith('masks/2.png')
    assert info['mask_threshold'] == 128
    assert dataset.metainfo['classes'] == ('background', 'foreground')


def test_configurable_suffixes(tmp_path, make_pair):
    make_pair(tmp_path, 'a', '.bmp', '.tif')
    make_pair(tmp_path, 'b', '.png', '.png')  # not selected by the suffixes
    dataset = BinarySegDataset(
        data_root=str(tmp_path), img_suffix='.bmp', seg_map_suffix='.tif')
    assert _stems(dataset) == ['a']


def test_orphan_image_is_named(tmp_path, make_pair):
    make_pair(tmp_path, 'a')
    _, mask = make_pair(tmp_path, 'lonely')
    mask.unlink()
    with pytest.raises(FileNotFoundError, match=r'no mask.*lonely\.png'):
        BinarySegDataset(data_root=str(tmp_path))


def test_orphan_mask_is_named(tmp_path, make_pair):
    make_pair(tmp_path, 'a')
    img, _ = make_pair(tmp_path, 'lonely')
    img.unlink()
    with pytest.raises(FileNotFoundError, match=r'no image.*lonely\.png'):
        BinarySegDataset(data_root=str(tmp_path))


def test_empty_folder_is_named(tmp_path, make_pair):
    make_pair(tmp_path, 'a')
    (tmp_path / 'empty').mkdir()
    with pytest.raises(FileNotFoundError,
                       match=r"empty.*seg_map_path.*holds no file"):
        BinarySegDataset(
            data_root=str(tmp_path),
            data_prefix=dict(img_path='images', seg_map_path='empty'))


def test_missing_folder_names_path_and_key(tmp_path, make_pair):
    make_pair(tmp_path, 'a')
    with pytest.raises(FileNotFoundError,
                       match=r"nowhere.*data_prefix\['img_path'\]"):
        BinarySegDataset(
            data_root=str(tmp_path),
            data_prefix=dict(img_path='nowhere', seg_map_path='masks'))


def test_split_file_selects_stems(tmp_path, make_pair):
    for stem in 'abc':
        make_pair(tmp_path, stem)
    (tmp_path / 'val.txt').write_text('c\na\n')
    dataset = BinarySegDataset(data_root=str(tmp_path), ann_file='val.txt')
    assert _stems(dataset) == ['c', 'a']

    (tmp_path / 'bad.txt').write_text('a\nghost\n')
    with pytest.raises(FileNotFoundError, match=r'bad\.txt.*ghost'):
        BinarySegDataset(data_root=str(tmp_path), ann_file='bad.txt')


def test_seeded_split_partitions_the_pairs(tmp_path, make_pair):
    for i in range(10):
        make_pair(tmp_path, str(i), size=(8, 8))
    parts = {
        split: set(
            _stems(
                BinarySegDataset(
                    data_root=str(tmp_path), split=split, val_ratio=0.3)))
        for split in ('train', 'val', 'all')
    }
    assert len(parts['val']) == 3 and len(parts['train']) == 7
    assert parts['train'] | parts['val'] == parts['all']
    assert not parts['train'] & parts['val']


@pytest.mark.parametrize(
    'kwargs, match',
    [(dict(mask_threshold=0), 'mask_threshold'),
     (dict(mask_threshold=300), 'mask_threshold'),
     (dict(split='test'), 'split'),
     (dict(val_ratio=1.5), 'val_ratio'),
     (dict(ann_file='x.txt', split='train'), 'not both'),
     (dict(data_prefix=dict(img_path='images')), 'seg_map_path')])
def test_bad_settings_are_refused(tmp_path, kwargs, match):
    with pytest.raises(ValueError, match=match):
        BinarySegDataset(data_root=str(tmp_path), lazy_init=True, **kwargs)


def test_getitem_packs_inputs_and_sample_idx(tmp_path, make_pair,
                                             mmseg_scope):
    make_pair(tmp_path, 'a', size=(24, 32))
    make_pair(tmp_path, 'b', size=(24, 32))
    pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='LoadBinaryMask'),
        dict(type='PackSegInputs', meta_keys=('img_path', 'sample_idx')),
    ]
    dataset = BinarySegDataset(data_root=str(tmp_path), pipeline=pipeline)
    packed = dataset[1]
    assert tuple(packed['inputs'].shape) == (3, 24, 32)
    gt = packed['data_samples'].gt_sem_seg.data
    assert tuple(gt.shape) == (1, 24, 32)
    assert set(gt.unique().tolist()) == {0, 1}
    assert packed['data_samples'].sample_idx == 1
