# Copyright (c) medproto contributors. All rights reserved.
import numpy as np
import pytest

from medproto.datasets.transforms import LoadImageFromNDArray


def test_rgb_array_becomes_bgr_by_default():
    img = np.zeros((4, 5, 3), np.uint8)
    img[..., 0] = 255  # red in RGB
    out = LoadImageFromNDArray()(dict(img=img))
    assert out['img'].flags.c_contiguous
    np.testing.assert_array_equal(out['img'][..., 2], 255)
    np.testing.assert_array_equal(out['img'][..., 0], 0)
    assert out['img_shape'] == (4, 5) and out['ori_shape'] == (4, 5)
    kept = LoadImageFromNDArray(channel_order='rgb')(dict(img=img))
    np.testing.assert_array_equal(kept['img'], img)


def test_gray_array_is_expanded_or_kept():
    gray = np.arange(20, dtype=np.uint8).reshape(4, 5)
    out = LoadImageFromNDArray()(dict(img=gray))
    assert out['img'].shape == (4, 5, 3)
    np.testing.assert_array_equal(out['img'][..., 1], gray)
    out = LoadImageFromNDArray(color_type='unchanged')(dict(img=gray[...,
                                                                      None]))
    assert out['img'].shape == (4, 5)
    out = LoadImageFromNDArray(to_float32=True)(dict(img=gray))
    assert out['img'].dtype == np.float32


@pytest.mark.parametrize('img, error', [
    ('path.png', TypeError),
    (np.zeros((4, 5, 3), np.float32), ValueError),
    (np.zeros((4, 5, 2), np.uint8), ValueError),
    (np.zeros((2, 4, 5, 3), np.uint8), ValueError),
])
def test_bad_arrays_are_refused(img, error):
    with pytest.raises(error, match='sample 7'):
        LoadImageFromNDArray()(dict(img=img, sample_idx=7))


@pytest.mark.parametrize('kwargs', [
    dict(color_type='gray'), dict(channel_order='bgra')])
def test_bad_settings_are_refused(kwargs):
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        LoadImageFromNDArray(**kwargs)
