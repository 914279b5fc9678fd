# Copyright (c) medproto contributors. All rights reserved.
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from medproto.models.layers import DecoderStage, EncoderStage
from medproto.models.layers.unet_stages import (check_out_indices,
                                                check_unet_channels,
                                                check_unet_input)


def test_encoder_stage_order():
    conv = nn.Conv2d(3, 4, 3, padding=1)
    stage = EncoderStage(conv, 4)
    x = torch.randn(2, 3, 8, 8)
    expected = F.gelu(F.max_pool2d(stage.norm(conv(x)), 2))
    assert torch.allclose(stage(x), expected)
    deepest = EncoderStage(conv, 4, None, downsample=False)
    assert torch.allclose(deepest(x), F.gelu(conv(x)))


def test_norm_after_pool_is_the_same_map_for_positive_scales():
    conv = nn.Conv2d(3, 4, 3, padding=1)
    first = EncoderStage(conv, 4, dict(type='BN'))
    after = EncoderStage(conv, 4, dict(type='BN'), norm_after_pool=True)
    after.norm = first.norm  # shared eval-mode BatchNorm
    first.norm.running_mean.uniform_(-1, 1)
    first.norm.weight.data.uniform_(0.5, 2)  # positive scales
    first.eval()
    x = torch.randn(2, 3, 8, 8)
    assert torch.allclose(first(x), after.eval()(x), atol=1e-6)


def test_decoder_stage_adds_the_skip():
    conv = nn.Conv2d(6, 4, 1)
    stage = DecoderStage(conv, 4)
    x, skip = torch.randn(2, 6, 4, 4), torch.randn(2, 4, 8, 8)
    up = F.interpolate(stage.norm(conv(x)), scale_factor=2.,
                       mode='bilinear', align_corners=True)
    assert torch.allclose(stage(x, skip), F.gelu(up) + skip)
    flat = DecoderStage(conv, 4, upsample=False)
    assert flat(x, skip[..., :4, :4]).shape == (2, 4, 4, 4)
    with pytest.raises(TypeError, match='nn.Module'):
        DecoderStage(lambda t: t, 4)


def test_checks_name_the_setting():
    with pytest.raises(ValueError, match='multiples of 32'):
        check_unet_input(torch.zeros(1, 3, 96, 100), 3)
    with pytest.raises(ValueError, match='c_list'):
        check_unet_channels([8] * 5)
    with pytest.raises(ValueError, match='divisible by 4'):
        check_unet_channels([8, 16, 24, 32, 48, 66], divisor=4)
    with pytest.raises(ValueError, match='out_indices'):
        check_out_indices([])
    assert check_out_indices((4, 0)) == [4, 0]


def test_pool_first_runs_the_block_on_the_pooled_input():
    conv = torch.nn.Conv2d(3, 4, 3, padding=1)
    stage = EncoderStage(conv, 4, None, pool_first=True)
    x = torch.randn(2, 3, 8, 8)
    want = torch.nn.functional.gelu(conv(torch.nn.functional.max_pool2d(x, 2)))
    assert torch.allclose(stage(x), want)
    with pytest.raises(ValueError, match='pool_first'):
        EncoderStage(conv, 4, None, downsample=False, pool_first=True)
