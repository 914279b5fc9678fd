# Copyright (c) medproto contributors. All rights reserved.
import pytest
import torch
from torch import nn

from medproto.models.layers import (PointwiseConv2d, bn_to_affine,
                                    fuse_affine_conv1x1, fuse_conv_bn,
                                    fuse_modules)


def random_bn(channels):
    bn = nn.BatchNorm2d(channels)
    bn.running_mean.uniform_(-1, 1)
    bn.running_var.uniform_(0.5, 2)
    bn.weight.data.uniform_(-1.5, 1.5)
    bn.bias.data.uniform_(-1, 1)
    return bn.eval()


@pytest.mark.parametrize('conv', [
    nn.Conv2d(4, 6, 3, padding=1, bias=False),
    nn.Conv2d(4, 4, 3, padding=2, dilation=2, groups=4),
    PointwiseConv2d(4, 6),
])
def test_fuse_conv_bn(conv):
    bn = random_bn(conv.out_channels)
    x = torch.randn(2, 4, 9, 9)
    fused = fuse_conv_bn(conv, bn)
    assert type(fused) is type(conv) and fused.bias is not None
    assert torch.allclose(fused(x), bn(conv(x)), atol=1e-5)


def test_bn_to_affine_matches_eval_bn():
    bn = random_bn(3)
    scale, shift = bn_to_affine(bn)
    x = torch.randn(2, 3, 4, 4)
    assert torch.allclose(x * scale[:, None, None] + shift[:, None, None],
                          bn(x), atol=1e-6)
    with pytest.raises(ValueError, match='running'):
        bn_to_affine(nn.BatchNorm2d(3, track_running_stats=False))
    with pytest.raises(TypeError, match='BatchNorm2d'):
        bn_to_affine(nn.GroupNorm(1, 3))


def test_affine_before_a_1x1_conv():
    scale, shift = torch.randn(5), torch.randn(5)
    first = nn.Conv2d(5, 7, 1)
    x = torch.randn(2, 5, 6, 6)
    affine = x * scale[:, None, None] + shift[:, None, None]
    assert torch.allclose(fuse_affine_conv1x1(scale, shift, first)(x),
                          first(affine), atol=1e-5)
    with pytest.raises(ValueError, match='1x1'):
        fuse_affine_conv1x1(scale, shift, nn.Conv2d(5, 7, 3))
    with pytest.raises(ValueError, match='channels'):
        fuse_conv_bn(first, random_bn(5))


def test_fuse_modules_calls_fuse_deepest_first():
    calls = []

    class Part(nn.Module):
        def __init__(self, name, child=None):
            super().__init__()
            self.name, self.child = name, child

        def fuse(self):
            calls.append(self.name)

    model = nn.Sequential(Part('outer', Part('inner')), nn.Conv2d(1, 1, 1))
    model.train()
    assert fuse_modules(model) is model
    assert calls == ['inner', 'outer'] and not model.training
