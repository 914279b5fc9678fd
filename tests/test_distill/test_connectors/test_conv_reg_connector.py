# Copyright (c) medproto contributors. All rights reserved.
import pytest
import torch
from torch import nn

from medproto.distill.connectors import ConvRegConnector
from medproto.registry import MODELS


@pytest.mark.parametrize('s_hw,t_hw,conv_type,kernel', [
    ((8, 8), (4, 4), nn.Conv2d, (3, 3)),
    ((4, 4), (8, 8), nn.ConvTranspose2d, (4, 4)),
    ((6, 5), (4, 4), nn.Conv2d, (3, 2)),
    ((4, 4), (4, 4), nn.Conv2d, (1, 1)),
])
def test_conv_choice_and_output_shape(s_hw, t_hw, conv_type, kernel):
    reg = ConvRegConnector(student_shape=(3, *s_hw), teacher_shape=(5, *t_hw))
    conv = reg.layers[0]
    assert type(conv) is conv_type and conv.kernel_size == kernel
    assert isinstance(reg.layers[1], nn.BatchNorm2d)
    x = torch.randn(2, 3, *s_hw, requires_grad=True)
    y = reg(x)
    assert y.shape == (2, 5, *t_hw)
    assert (y >= 0).all()  # ends with ReLU
    y.sum().backward()
    assert x.grad.abs().sum() > 0


def test_channels_only_and_relu_off():
    reg = MODELS.build(
        dict(type='ConvRegConnector', in_channels=4, out_channels=6,
             relu=False))
    assert len(reg.layers) == 2
    assert reg(torch.randn(2, 4, 3, 3)).shape == (2, 6, 3, 3)
    # (N, C, H, W) probing shapes are accepted, as in mdistiller.
    reg = ConvRegConnector(student_shape=(1, 4, 8, 8),
                           teacher_shape=[1, 6, 4, 4])
    assert reg(torch.randn(2, 4, 8, 8)).shape == (2, 6, 4, 4)


def test_errors():
    with pytest.raises(ValueError, match='ResizeConnector'):
        ConvRegConnector(student_shape=(3, 4, 4), teacher_shape=(3, 6, 6))
    with pytest.raises(ValueError, match='both'):
        ConvRegConnector(student_shape=(3, 4, 4), out_channels=3)
    with pytest.raises(ValueError, match='disagrees'):
        ConvRegConnector(in_channels=2, student_shape=(3, 4, 4),
                         teacher_shape=(3, 4, 4))
    with pytest.raises(ValueError, match='needs in_channels'):
        ConvRegConnector(out_channels=3)
    with pytest.raises(ValueError, match=r'\(C, H, W\)'):
        ConvRegConnector(student_shape=(4, 4), teacher_shape=(4, 4))
