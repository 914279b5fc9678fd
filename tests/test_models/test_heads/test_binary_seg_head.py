# Copyright (c) medproto contributors. All rights reserved.
import medproto  # noqa: F401
import pytest
import torch
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample


def build(**kwargs):
    return MODELS.build(dict(type='BinarySegHead', **kwargs))


def test_logits_from_a_1x1_conv():
    head = build(in_channels=8)
    assert head.out_channels == 1 and head.num_classes == 2
    assert head.conv_seg.kernel_size == (1, 1)
    assert head.threshold == 0.5
    feats = (torch.randn(2, 16, 4, 4), torch.randn(2, 8, 32, 32))
    head.eval()
    logits = head(feats)  # the last input by default
    assert logits.shape == (2, 1, 32, 32)
    assert torch.allclose(logits, head.conv_seg(feats[-1]))


def test_loss_and_threshold_accuracy():
    head = build(in_channels=8)
    label = (torch.rand(2, 1, 16, 16) > 0.5).long()
    samples = []
    for i in range(2):
        s = SegDataSample()
        s.gt_sem_seg = PixelData(data=label[i])
        samples.append(s)
    right = (label.float() * 2 - 1) * 10  # +10 on foreground, -10 else
    losses = head.loss_by_feat(right, samples)
    assert set(losses) == {'loss_bce_dice', 'acc_seg'}
    assert losses['acc_seg'].item() == pytest.approx(100.)
    assert head.loss_by_feat(-right, samples)['acc_seg'].item() == 0.


@pytest.mark.parametrize('kwargs,match', [
    (dict(threshold=1.5), 'threshold'),
    (dict(out_channels=2), 'out_channels'),
    (dict(num_classes=3), 'num_classes'),
    (dict(channels=4), 'channels'),
])
def test_bad_settings_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        build(in_channels=8, **kwargs)


def _samples(label):
    samples = []
    for lab in label:
        s = SegDataSample()
        s.gt_sem_seg = PixelData(data=lab)
        samples.append(s)
    return samples


def test_accuracy_skips_ignored_pixels_and_uses_the_threshold():
    head = build(in_channels=8, threshold=0.7)
    label = torch.tensor([[[[1, 0], [255, 1]]]])
    # probabilities 0.6, 0.2, (ignored), 0.9 -> predictions 0, 0, -, 1
    prob = torch.tensor([[[[0.6, 0.2], [0.99, 0.9]]]])
    logits = torch.log(prob / (1 - prob))
    acc = head.loss_by_feat(logits, _samples(label))['acc_seg']
    assert acc.item() == pytest.approx(200. / 3)


def test_loss_is_the_configured_loss_on_resized_logits():
    head = build(in_channels=8)
    label = (torch.rand(2, 1, 16, 16) > 0.5).long()
    logits = torch.randn(2, 1, 8, 8)
    got = head.loss_by_feat(logits, _samples(label))['loss_bce_dice']
    up = torch.nn.functional.interpolate(
        logits, size=(16, 16), mode='bilinear', align_corners=False)
    want = head.loss_decode(up, label[:, 0])
    assert torch.allclose(got, want)


def test_no_dropout_by_default_as_malunet():
    assert build(in_channels=8).dropout is None
    assert build(in_channels=8, dropout_ratio=0.1).dropout is not None
