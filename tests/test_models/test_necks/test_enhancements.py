# Copyright (c) medproto contributors. All rights reserved.
import pytest
import torch
from mmengine.registry import DefaultScope

import medproto  # noqa: F401
from medproto.models.necks import (AMAFDSGModule, EnhancementModuleLite,
                                   MHFBlock, MHFBlockV2)


@pytest.fixture(autouse=True, scope='module')
def mmpretrain_scope():
    """Build under mmpretrain's scope whatever scope earlier tests left."""
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        yield


def _count(module):
    return sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize('cls', [EnhancementModuleLite, AMAFDSGModule])
def test_zero_at_init_and_only_the_scale_learns_first(cls):
    torch.manual_seed(0)
    module = cls(32)
    x = torch.randn(2, 32, 6, 6, requires_grad=True)
    out = module(x)
    assert out.shape == x.shape and torch.equal(out, torch.zeros_like(out))
    (out * torch.randn_like(out)).sum().backward()
    grads = {n: p.grad for n, p in module.named_parameters()}
    scale = [n for n in grads if n in ('scale.scale', 'gate.global_scale')]
    assert len(scale) == 1 and grads[scale[0]].abs() > 0
    assert torch.equal(x.grad, torch.zeros_like(x))


def test_amafdsg_gate_scales_channels_between_1_and_2_times_lambda():
    module = AMAFDSGModule(16)
    with torch.no_grad():
        module.gate.global_scale.fill_(2.)
        module.gate.channel_logits[0, 0] = 50.
        module.gate.channel_logits[0, 1] = -50.
    x = torch.ones(1, 16, 2, 2)
    y = module.gate(x)
    assert torch.allclose(y[0, 0], torch.full((2, 2), 4.))
    assert torch.allclose(y[0, 1], torch.full((2, 2), 2.))
    assert torch.allclose(y[0, 2], torch.full((2, 2), 3.))


# (out_channels, prev_channels) of the four fusion blocks of the 'tiny'
# preset (dims 96..768).
TINY_BLOCKS = [(96, None), (192, 96), (384, 192), (768, 384)]


@pytest.mark.parametrize('channels,prev', TINY_BLOCKS)
def test_lite_extra_params_below_one_percent_at_tiny(channels, prev):
    block = MHFBlockV2(channels, channels, channels, prev, enhancement='lite')
    ratio = _count(block.enhancement) / (_count(block) -
                                         _count(block.enhancement))
    assert ratio < 0.01, ratio


@pytest.mark.parametrize('channels,prev,bound', [(96, None, 0.014),
                                                 (192, 96, 0.01),
                                                 (384, 192, 0.01),
                                                 (768, 384, 0.01)])
def test_amafdsg_extra_params_at_tiny(channels, prev, bound):
    """AMAFDSG stays under 1% from 192 channels on; the first tiny block
    (96 channels) measures 1.36% (the 8-channel floor of the bottleneck)."""
    block = MHFBlockV2(channels, channels, channels, prev,
                       enhancement='amafdsg')
    ratio = _count(block.enhancement) / (_count(block) -
                                         _count(block.enhancement))
    assert ratio < bound, ratio
    assert _count(block) - _count(block.enhancement) == _count(
        MHFBlock(channels, channels, channels, prev))
