# Copyright (c) medproto contributors. All rights reserved.
import glob
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData

import medproto  # noqa: F401
from medproto.visualization import BinarySegVisualizer
from mmseg.registry import VISUALIZERS  # noqa: E402
from mmseg.structures import SegDataSample  # noqa: E402

GREEN, RED, BLUE = (0, 255, 0), (255, 0, 0), (0, 0, 255)
# ground truth / prediction: TP at (0, 0), FN at (0, 1), FP at (1, 0),
# TN at (1, 1), ignored (label 255, predicted) at (1, 2)
GT = [[1, 1, 0], [0, 0, 255]]
PROB = [[0.9, 0.2, 0.8], [0.6, 0.1, 0.9]]


def sample(gt=GT, prob=PROB):
    data = SegDataSample()
    if gt is not None:
        data.gt_sem_seg = PixelData(data=torch.tensor([gt]))
    data.seg_logits = PixelData(data=torch.tensor([prob]))
    return data


def image(h=2, w=3):
    return np.full((h, w, 3), 100, dtype=np.uint8)


def test_error_map_colours_in_drawn_picture():
    vis = BinarySegVisualizer(name='colours', title_height=0)
    vis.add_datasample('a', image(), sample(), out_file=None)
    drawn = vis.get_image()
    assert drawn.shape == (2, 4 * 3, 3)  # image | gt | pred | errors
    errors = drawn[:, 9:]
    assert tuple(errors[0, 0]) == GREEN
    assert tuple(errors[0, 1]) == BLUE
    assert tuple(errors[1, 0]) == RED
    assert tuple(errors[1, 1]) == (40, 40, 40)  # TN: dimmed grey image
    assert tuple(errors[1, 2]) == (40, 40, 40)  # ignored: not coloured
    assert tuple(errors[0, 2]) == RED  # p=0.8 on background
    gt_panel, pred_panel = drawn[:, 3:6], drawn[:, 6:9]
    assert gt_panel[0, 0].tolist() != [100] * 3  # overlay on foreground
    assert gt_panel[1, 1].tolist() == [100] * 3
    assert pred_panel[0, 1].tolist() == [100] * 3  # 0.2 is background


def test_threshold_changes_prediction():
    vis = BinarySegVisualizer(name='threshold', title_height=0, threshold=0.85)
    vis.add_datasample('a', image(), sample())
    errors = vis.get_image()[:, 9:]
    assert tuple(errors[0, 0]) == GREEN  # 0.9 >= 0.85
    assert tuple(errors[1, 0]) == (40, 40, 40)  # 0.6 no longer predicted


def test_titles_add_a_strip_and_masks_follow_image_size(tmp_path):
    init_default_scope('mmseg')
    vis = VISUALIZERS.build(
        dict(type='BinarySegVisualizer', name='resized', title_height=10))
    out = tmp_path / 'x.png'
    vis.add_datasample('a', image(4, 6), sample(), out_file=str(out))
    drawn = vis.get_image()
    assert drawn.shape == (10 + 4, 4 * 6, 3)
    errors = drawn[10:, 18:]
    assert tuple(errors[0, 0]) == GREEN and tuple(errors[1, 1]) == GREEN
    assert tuple(errors[0, 2]) == BLUE
    assert out.stat().st_size > 0


def test_without_ground_truth_draws_image_and_prediction():
    vis = BinarySegVisualizer(name='no_gt', title_height=0)
    vis.add_datasample('a', image(), sample(gt=None))
    assert vis.get_image().shape == (2, 2 * 3, 3)


def test_writes_to_vis_backend(tmp_path):
    vis = BinarySegVisualizer(name='backend',
                              save_dir=str(tmp_path),
                              vis_backends=[dict(type='LocalVisBackend')])
    vis.add_datasample('val_img.png', image(), sample(), step=3)
    files = glob.glob(osp.join(str(tmp_path), '**', '*.png'), recursive=True)
    assert len(files) == 1 and osp.getsize(files[0]) > 0


def test_writes_to_tensorboard(tmp_path):
    pytest.importorskip('tensorboard')
    from tensorboard.backend.event_processing.event_accumulator import \
        EventAccumulator
    vis = BinarySegVisualizer(
        name='tensorboard', save_dir=str(tmp_path),
        vis_backends=[dict(type='TensorboardVisBackend')])
    vis.add_datasample('val_img', image(), sample(), step=3)
    vis.close()
    events = glob.glob(osp.join(str(tmp_path), '**', 'events.out.*'),
                       recursive=True)
    assert len(events) == 1
    acc = EventAccumulator(events[0])
    acc.Reload()
    (tag, ) = acc.Tags()['images']
    (img, ) = acc.Images(tag)
    assert img.step == 3 and img.width == 4 * 3  # the 4-panel picture


@pytest.mark.parametrize('kwargs, name', [
    (dict(threshold=2), 'threshold'),
    (dict(alpha=1.5), 'alpha'),
    (dict(mask_color=(0, 300, 0)), 'mask_color'),
    (dict(title_height=-1), 'title_height'),
])
def test_invalid_settings_name_the_setting(kwargs, name):
    with pytest.raises(ValueError, match=name):
        BinarySegVisualizer(name=f'bad_{name}', **kwargs)
