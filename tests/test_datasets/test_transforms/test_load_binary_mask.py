# Copyright (c) medproto contributors. All rights reserved.
import cv2
import numpy as np
import pytest

from medproto.datasets.transforms import LoadBinaryMask
from medproto.datasets.transforms.load_binary_mask import read_image_checked


def _square(h=32, w=40, value=255, background=0):
    mask = np.full((h, w), background, np.uint8)
    mask[8:24, 10:30] = value
    return mask


def _load(path, transform=None, **results):
    transform = transform or LoadBinaryMask()
    return transform(dict(seg_map_path=str(path), **results))


def test_jpeg_mask_with_artefacts_is_thresholded(tmp_path, write_image):
    # A JPEG-compressed RGB mask has levels besides 0 and 255.
    raw = cv2.GaussianBlur(_square(64, 64), (3, 3), 0)
    path = write_image(tmp_path / 'm.jpg', cv2.merge([raw] * 3))
    decoded = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    assert len(np.unique(decoded)) > 2
    out = _load(path)
    np.testing.assert_array_equal(out['gt_seg_map'],
                                  (cv2.imread(str(path)).max(2) >= 128))
    assert out['gt_seg_map'].dtype == np.uint8
    assert set(np.unique(out['gt_seg_map'])) == {0, 1}
    assert out['seg_fields'] == ['gt_seg_map']


@pytest.mark.parametrize('suffix', ['.png', '.tif', '.jpg'])
def test_gray_and_rgb_masks_in_any_format(tmp_path, write_image, suffix):
    mask = _square()
    for name, array in [('gray', mask), ('rgb', cv2.merge([mask] * 3))]:
        out = _load(write_image(tmp_path / f'{name}{suffix}', array))
        np.testing.assert_array_equal(out['gt_seg_map'], mask >= 128)


def test_sixteen_bit_and_zero_one_masks(tmp_path, write_image):
    mask = _square()
    out = _load(write_image(tmp_path / 'a.png', mask.astype(np.uint16) * 257))
    np.testing.assert_array_equal(out['gt_seg_map'], mask >= 128)
    out = _load(write_image(tmp_path / 'b.png', (mask > 0).astype(np.uint8)))
    np.testing.assert_array_equal(out['gt_seg_map'], mask >= 128)


def test_threshold_comes_from_the_sample_or_the_transform(
        tmp_path, write_image):
    mask = _square()
    mask[8:10, 10:30] = 150  # a thin band of a mid level
    path = write_image(tmp_path / 'm.png', mask)
    assert _load(path)['gt_seg_map'].sum() == (mask >= 128).sum()
    assert _load(path, mask_threshold=200)['gt_seg_map'].sum() == (
        mask >= 200).sum()
    explicit = LoadBinaryMask(threshold=100)
    assert _load(path, explicit, mask_threshold=200)['gt_seg_map'].sum() == (
        mask >= 100).sum()
    with pytest.raises(ValueError, match='below the threshold 255'):
        _load(write_image(tmp_path / 'dim.png', _square(value=200)),
              mask_threshold=255)
    with pytest.raises(ValueError, match='mask_threshold'):
        _load(path, mask_threshold=0)


def test_multi_level_label_map_is_refused(tmp_path, write_image):
    label_map = np.zeros((32, 32), np.uint8)
    label_map[:, 10:20] = 1
    label_map[:, 20:] = 2
    path = write_image(tmp_path / 'labels.png', label_map)
    with pytest.raises(ValueError, match=r'labels\.png.*not a binary mask'):
        _load(path)


def test_mask_with_many_mid_levels_is_refused(tmp_path, write_image):
    gradient = np.tile(np.linspace(0, 255, 64).astype(np.uint8), (16, 1))
    path = write_image(tmp_path / 'soft.png', gradient)
    with pytest.raises(ValueError, match=r'soft\.png.*not a binary mask'):
        _load(path)
    # a few mid-range pixels (e.g. resampled borders) are allowed
    mask = _square()
    mask[0, :10] = 128
    np.testing.assert_array_equal(
        _load(write_image(tmp_path / 'ok.png', mask))['gt_seg_map'][0, :10],
        1)


def test_size_mismatch_names_both_files(tmp_path, write_image):
    path = write_image(tmp_path / 'mask.png', _square(32, 40))
    with pytest.raises(ValueError, match=r'mask\.png.*40x32.*image\.jpg.*'
                       r'50x30'):
        _load(path, img_path='image.jpg', ori_shape=(30, 50))
    # the image loaded in the pipeline also serves for the check
    with pytest.raises(ValueError, match='image.jpg'):
        _load(path, img_path='image.jpg', img=np.zeros((30, 50, 3)))
    _load(path, img_path='image.jpg', ori_shape=(32, 40))
    _load(path, LoadBinaryMask(check_size=False), ori_shape=(30, 50))


@pytest.mark.parametrize('suffix', ['.jpg', '.png'])
def test_truncated_file_is_named(tmp_path, write_image, suffix):
    path = write_image(tmp_path / f'cut{suffix}', _square(64, 64))
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])
    with pytest.raises(OSError, match=f'cut\\{suffix}.*truncated'):
        _load(path)


def test_the_format_is_read_from_the_content_not_the_name(tmp_path):
    """A whole PNG saved under a .jpg name is read (not refused as a
    truncated JPEG); the same file cut in half is refused as truncated."""
    from PIL import Image
    path = tmp_path / 'png_inside.jpg'
    mask = np.zeros((30, 40), np.uint8)
    mask[5:20, 10:30] = 255
    Image.fromarray(mask).save(path, 'PNG')
    assert (read_image_checked(str(path)) == mask).all()
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])
    with pytest.raises(OSError, match=r'png_inside\.jpg.*truncated'):
        read_image_checked(str(path))


def test_unreadable_and_missing_files_are_named(tmp_path):
    path = tmp_path / 'junk.bmp'
    path.write_bytes(b'not an image at all')
    with pytest.raises(OSError, match=r'junk\.bmp.*cannot be decoded'):
        _load(path)
    with pytest.raises(OSError, match=r'absent\.png'):
        read_image_checked(str(tmp_path / 'absent.png'))
    with pytest.raises(KeyError, match='seg_map_path'):
        LoadBinaryMask()(dict(img_path='x.png'))


@pytest.mark.parametrize('kwargs', [
    dict(threshold=0),
    dict(threshold=256),
    dict(threshold=0.5),
    dict(max_mid_fraction=1.5),
    dict(mid_range=(192, 64)),
])
def test_bad_settings_are_refused(kwargs):
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        LoadBinaryMask(**kwargs)


def test_empty_mask_is_all_background(tmp_path, write_image):
    path = write_image(tmp_path / 'empty.jpg', np.zeros((16, 16), np.uint8))
    assert not _load(path)['gt_seg_map'].any()
