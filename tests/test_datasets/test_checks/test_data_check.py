# Copyright (c) medproto contributors. All rights reserved.
import numpy as np
import pytest
from PIL import Image

from medproto.datasets.checks import (DataError, check_image_file,
                                      check_mask_file)


def _save(path, array, **kwargs):
    Image.fromarray(array).save(path, **kwargs)
    return str(path)


@pytest.fixture
def image(tmp_path):
    rng = np.random.default_rng(0)
    return _save(tmp_path / 'img.jpg',
                 rng.integers(0, 255, (24, 32, 3), dtype=np.uint8))


def test_good_files_pass(tmp_path, image):
    assert check_image_file(image) == (32, 24)
    mask = np.zeros((24, 32), np.uint8)
    mask[4:10, 5:20] = 255
    check_mask_file(_save(tmp_path / 'm.png', mask), (32, 24))


def test_truncated_png_and_jpeg(tmp_path, image):
    png = _save(tmp_path / 'm.png', np.full((24, 32), 255, np.uint8))
    data = open(png, 'rb').read()
    open(png, 'wb').write(data[:len(data) // 2])
    with pytest.raises(DataError, match=r'm\.png: not a readable image'):
        check_image_file(png)
    data = open(image, 'rb').read()
    open(image, 'wb').write(data[:-40])
    with pytest.raises(DataError, match=r'img\.jpg: truncated JPEG'):
        check_image_file(image)


def test_corrupt_jpeg_header(tmp_path, image):
    data = bytearray(open(image, 'rb').read())
    data[2:40] = b'\x00' * 38
    open(image, 'wb').write(bytes(data))
    with pytest.raises(DataError, match=r'img\.jpg: not a readable image'):
        check_image_file(image)


def test_mask_size_and_levels(tmp_path):
    small = _save(tmp_path / 's.png', np.zeros((10, 10), np.uint8))
    with pytest.raises(DataError, match=r's\.png: mask is 10x10 \(WxH\) but '
                       r'its image is 32x24'):
        check_mask_file(small, (32, 24))
    labels = np.zeros((24, 32), np.uint8)
    labels[:5] = 2
    labels[5:9] = 3
    with pytest.raises(DataError, match=r'l\.png: .*not a binary mask'):
        check_mask_file(_save(tmp_path / 'l.png', labels), (32, 24))
