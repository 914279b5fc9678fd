# Copyright (c) medproto contributors. All rights reserved.
import cv2
import numpy as np
import pytest

from medproto.datasets import KvasirSEGDataset
from medproto.datasets.transforms import LoadBinaryMask


def test_sample_pairs_and_jpeg_masks(sample_data):
    dataset = KvasirSEGDataset(data_root=str(sample_data / 'kvasir_seg'))
    assert len(dataset) == 6
    load = LoadBinaryMask()
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        assert info['img_path'].replace('/images/', '/masks/') == \
            info['seg_map_path']
        raw = cv2.imread(info['seg_map_path']).max(axis=2)
        # JPEG artefacts: levels other than 0 and 255 ...
        assert set(np.unique(raw)) - {0, 255}
        mask = load(info)['gt_seg_map']
        # ... are thresholded at 128, not compared with 255
        np.testing.assert_array_equal(mask, raw >= 128)
        assert (mask == 1).sum() > (raw == 255).sum()


def test_mask_threshold_travels_to_the_loader(sample_data):
    root = str(sample_data / 'kvasir_seg')
    strict = KvasirSEGDataset(data_root=root, mask_threshold=250)
    default = KvasirSEGDataset(data_root=root)
    load = LoadBinaryMask()
    strict_fg = load(strict.get_data_info(0))['gt_seg_map'].sum()
    default_fg = load(default.get_data_info(0))['gt_seg_map'].sum()
    assert 0 < strict_fg < default_fg


def test_png_masks_are_not_picked_up_by_default(tmp_path, make_pair):
    make_pair(tmp_path, 'a', '.jpg', '.png')
    with pytest.raises(FileNotFoundError, match=r'masks.*\.jpg'):
        KvasirSEGDataset(data_root=str(tmp_path))
    assert len(
        KvasirSEGDataset(data_root=str(tmp_path),
                         seg_map_suffix='.png')) == 1
