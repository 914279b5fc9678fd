# Copyright (c) medproto contributors. All rights reserved.
"""Classification pictures readable at 128x128 inputs (issue 18)."""
import uuid

import numpy as np
import pytest
import torch
from mmpretrain.structures import DataSample

from medproto.visualization import ClsLabelVisualizer

PBC = ('basophil', 'eosinophil', 'erythroblast', 'immature granulocyte',
       'lymphocyte', 'monocyte', 'neutrophil', 'platelet')


def _visualizer(**kwargs):
    return ClsLabelVisualizer(name=f'cls-{uuid.uuid4().hex}', **kwargs)


def _sample(gt, pred, n=8):
    score = torch.full((n, ), 0.1 / (n - 1))
    score[pred] = 0.9
    return DataSample().set_gt_label(gt).set_pred_label(pred) \
        .set_pred_score(score)


def _strip_ink(picture, image_height):
    """Bool map of the strip's non-white pixels."""
    strip = picture[image_height:]
    return (strip < 250).any(axis=2)


@pytest.mark.parametrize('classes,gt,pred', [
    (PBC, 1, 3),  # 'prediction: immature granulocyte (3), score 0.90'
    (PBC, 7, 7),
    (('a', 'b', 'a_class_name_much_wider_than_the_whole_picture_x'), 0, 2),
])
def test_labels_lie_inside_the_picture_at_128(classes, gt, pred):
    vis = _visualizer(margin=6)
    image = np.random.RandomState(0).randint(0, 256, (128, 128, 3),
                                             dtype=np.uint8)
    picture = vis.visualize_cls(image, _sample(gt, pred, len(classes)),
                                classes=classes, out_file=None)
    assert picture.shape[1] == 256 and picture.shape[0] > 256
    # the image, enlarged 2x by nearest neighbour, is on top unchanged
    assert np.array_equal(picture[:256:2, ::2], image)
    ink = _strip_ink(picture, 256)
    rows, cols = np.nonzero(ink)
    assert len(rows) > 200  # text was written
    # nothing within 4 px of the strip's edges: no line is cut off
    assert cols.min() >= 2 and cols.max() <= 256 - 3
    assert rows.max() <= ink.shape[0] - 3
    lines = vis.label_lines(_sample(gt, pred, len(classes)), classes)
    assert lines[0] == (f'truth: {classes[gt]} ({gt})', 'gt')
    assert lines[1] == (f'prediction: {classes[pred]} ({pred}), score 0.90',
                        'right' if gt == pred else 'wrong')


def test_a_long_line_is_wrapped_not_shrunk():
    vis = _visualizer()
    one = vis.label_strip([('truth: basophil (0)', 'gt')], 256)
    two = vis.label_strip([('prediction: immature granulocyte (3), score '
                            '0.90 and more words to wrap', 'wrong')], 256)
    assert two.shape[0] >= 2 * one.shape[0] - 2 * vis.margin


def test_large_images_keep_their_size_and_grey_works():
    vis = _visualizer()
    assert vis.enlarged(np.zeros((300, 400, 3), np.uint8)).shape == \
        (300, 400, 3)
    assert vis.enlarged(np.zeros((100, 64), np.uint8)).shape == (400, 256, 3)


@pytest.mark.parametrize('kwargs,match', [
    (dict(min_size=16), 'min_size'), (dict(font_scale=0), 'font_scale'),
    (dict(margin=-1), 'margin')])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        _visualizer(**kwargs)
