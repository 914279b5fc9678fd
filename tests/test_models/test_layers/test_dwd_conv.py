# Copyright (c) medproto contributors. All rights reserved.
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from medproto.models.layers import DWDBlock, DWDConv


def randomize_bns(module):
    for m in module.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-1, 1)
            m.running_var.uniform_(0.5, 2)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-.5, .5)
    return module.eval()


def test_dwd_conv_layout_and_fuse():
    conv = DWDConv(4, 6, dilation=3)
    assert conv.dw.dilation == (3, 3) and conv.dw.padding == (3, 3)
    assert conv.dw.groups == 4 and conv.dw.bias is None
    assert conv.pw.bias is None
    randomize_bns(conv)
    x = torch.randn(2, 4, 10, 10)
    ref = conv(x)
    assert ref.shape == (2, 6, 10, 10) and ref.min() >= 0  # ends in ReLU
    conv.fuse()
    assert isinstance(conv.bn1, nn.Identity) and conv.dw.bias is not None
    assert torch.allclose(conv(x), ref, atol=1e-5)
    conv.fuse()  # idempotent
    assert torch.allclose(conv(x), ref, atol=1e-5)


def test_dwd_conv_activation_and_errors():
    conv = DWDConv(2, 2, act_cfg=None).eval()
    assert (conv(-torch.ones(1, 2, 4, 4) * 10)).min() < 0  # no ReLU
    assert isinstance(DWDConv(2, 2, act_cfg=dict(type='GELU')).act, nn.GELU)
    with pytest.raises(ValueError, match='kernel_size'):
        DWDConv(2, 2, kernel_size=2)
    with pytest.raises(ValueError, match='dilation'):
        DWDConv(2, 2, dilation=0)


def test_dwd_block_is_residual():
    block = DWDBlock(4).eval()
    assert block.conv1.dw.dilation == (2, 2)
    assert block.conv2.dw.dilation == (1, 1)
    # a zero second conv leaves GELU(x): the identity path
    nn.init.zeros_(block.conv2.pw.weight)
    nn.init.zeros_(block.conv2.bn2.bias)
    x = torch.randn(2, 4, 8, 8)
    assert torch.allclose(block(x), F.gelu(x), atol=1e-6)
