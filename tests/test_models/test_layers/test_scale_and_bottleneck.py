# Copyright (c) medproto contributors. All rights reserved.
import pytest
import torch

from medproto.models.layers import (DynamicScalingGate, PreActBottleneck,
                                    ZeroInitScale)


def test_zero_init_gates():
    x = torch.randn(2, 6, 3, 3)
    assert torch.equal(ZeroInitScale()(x), torch.zeros_like(x))
    gate = DynamicScalingGate(6)
    assert torch.equal(gate(x), torch.zeros_like(x))
    with torch.no_grad():
        gate.global_scale.fill_(1.)
    assert torch.allclose(gate(x), 1.5 * x)  # 1 + sigmoid(0)
    with pytest.raises(ValueError, match='channels'):
        DynamicScalingGate(0)


def test_bottleneck_skip():
    same = PreActBottleneck(8, 8)
    assert isinstance(same.skip, torch.nn.Identity)
    change = PreActBottleneck(24, 8)
    assert change(torch.randn(2, 24, 4, 4)).shape == (2, 8, 4, 4)
    with torch.no_grad():
        same.body[-1].weight.zero_()
        same.body[-1].bias.zero_()
    x = torch.randn(2, 8, 4, 4)
    assert torch.allclose(same(x), x)  # residual path only
    with pytest.raises(ValueError, match='out_channels'):
        PreActBottleneck(8, 1)
