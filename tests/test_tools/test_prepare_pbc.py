# Copyright (c) medproto contributors. All rights reserved.
"""tools/misc/prepare_pbc.py on a tiny fake release tree."""
import os

import numpy as np
from PIL import Image


def _fake_release(root, counts):
    for name, count in counts.items():
        os.makedirs(root / name)
        for i in range(count):
            pixels = np.full((36, 30, 3), 10 * i, dtype=np.uint8)
            Image.fromarray(pixels).save(root / name / f'{name}_{i}.jpg')


def test_builds_train_val_class_folders(tool, tmp_path):
    src, out = tmp_path / 'PBC_dataset_normal_DIB', tmp_path / 'out'
    _fake_release(src, dict(basophil=5, eosinophil=3, platelet=4))
    run = tool('misc/prepare_pbc.py', str(src), str(out),
               '--val-per-class', '2', '--size', '16')
    for name, total in dict(basophil=5, eosinophil=3, platelet=4).items():
        val = sorted(os.listdir(out / 'val' / name))
        train = sorted(os.listdir(out / 'train' / name))
        assert len(val) == 2 and len(train) == total - 2
        assert not set(val) & set(train)
        with Image.open(out / 'val' / name / val[0]) as image:
            assert image.size == (16, 16)
    assert 'train: 6 images' in run.stdout and 'val: 6 images' in run.stdout
    # same seed, same split
    again = tmp_path / 'again'
    tool('misc/prepare_pbc.py', str(src), str(again), '--val-per-class',
         '2', '--size', '16')
    assert sorted(os.listdir(again / 'val' / 'basophil')) == sorted(
        os.listdir(out / 'val' / 'basophil'))


def test_too_few_images_and_missing_folder_are_one_line(tool, tmp_path):
    src = tmp_path / 'src'
    _fake_release(src, dict(basophil=2))
    out = tool('misc/prepare_pbc.py', str(src), str(tmp_path / 'o'),
               '--val-per-class', '2', expect_ok=False)
    assert out.returncode == 1
    assert out.stderr.strip() == ("error: class 'basophil' has 2 images, "
                                  'not more than --val-per-class 2')
    out = tool('misc/prepare_pbc.py', str(tmp_path / 'none'),
               expect_ok=False)
    assert 'PBC release folder not found' in out.stderr
    assert 'Traceback' not in out.stderr
