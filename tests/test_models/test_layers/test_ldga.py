# Copyright (c) medproto contributors. All rights reserved.
import torch
from torch import nn

from medproto.models.layers import DepthwiseSeparableConv, LightweightDGA


def calibrate(module, x):
    module.train()
    with torch.no_grad():
        for _ in range(3):
            module(x * 2 + 1)
    return module.eval()


def test_ldga_formula():
    ldga = LightweightDGA(8, 12, norm_cfg=dict(type='GN', num_groups=4))
    x = torch.randn(2, 8, 6, 6)
    y = ldga.dwconv(x)
    expected = ldga.out_conv(y * torch.sigmoid(ldga.gate(y))) + \
        ldga.shortcut(x)
    assert torch.allclose(ldga(x), expected)
    assert ldga.gate.out_channels == 1 and ldga.gate.bias is None
    assert isinstance(LightweightDGA(8, 8).shortcut, nn.Identity)


def test_ldga_helpers():
    public = LightweightDGA(8, 12, norm_cfg=dict(type='GN', num_groups=4))
    assert public.shortcut.dw.kernel_size == (1, 1)
    assert public.dwconv.dw.bias is not None  # not cancelled by GroupNorm
    lean = LightweightDGA(8, 12, dw_in_1x1=False)
    assert isinstance(lean.shortcut.dw, nn.Identity)
    assert lean.dwconv.dw.bias is None  # a BatchNorm follows
    n = sum(p.numel() for p in public.parameters())
    assert sum(p.numel() for p in lean.parameters()) == n - 2 * 2 * 8 - 8


def test_ldga_fuse_with_batch_norm():
    for dw_in_1x1 in (True, False):
        ldga = LightweightDGA(8, 12, dw_in_1x1=dw_in_1x1)
        x = torch.randn(4, 8, 6, 6)
        calibrate(ldga, x)
        ref = ldga(x)
        for m in ldga.modules():
            if hasattr(m, 'fuse'):
                m.fuse()
        assert not any(isinstance(m, nn.BatchNorm2d) for m in ldga.modules())
        # the 1x1 helpers collapse into one conv each
        assert isinstance(ldga.out_conv.dw, nn.Identity)
        assert torch.allclose(ldga(x), ref, atol=1e-5)


def test_depthwise_separable_conv_settings():
    import pytest
    with pytest.raises(ValueError, match='depthwise=False'):
        DepthwiseSeparableConv(4, 4, 3, depthwise=False)
    with pytest.raises(ValueError, match='kernel_size'):
        DepthwiseSeparableConv(4, 4, 4)
    gn = DepthwiseSeparableConv(4, 4, 3)
    gn.fuse()  # GroupNorm depends on the sample: nothing to fold
    assert isinstance(gn.norm, nn.GroupNorm)
