# Copyright (c) medproto contributors. All rights reserved.
import pytest
import torch

from medproto.models.layers import ConvBNAct


def test_shape_stride_and_fuse():
    torch.manual_seed(0)
    unit = ConvBNAct(3, 8, stride=2)
    x = torch.randn(2, 3, 32, 48)
    unit.train()
    for _ in range(3):  # non-trivial running statistics
        unit(x)
    unit.eval()
    with torch.no_grad():
        ref = unit(x)
        assert ref.shape == (2, 8, 16, 24)
        assert (ref >= 0).all()  # ReLU
        unit.fuse()
        assert isinstance(unit.bn, torch.nn.Identity)
        assert unit.conv.bias is not None
        torch.testing.assert_close(unit(x), ref, atol=1e-5, rtol=1e-5)
        unit.fuse()  # idempotent
        torch.testing.assert_close(unit(x), ref, atol=1e-5, rtol=1e-5)


def test_identity_activation():
    unit = ConvBNAct(4, 4, kernel_size=1, act_cfg=None).eval()
    assert (unit(torch.randn(1, 4, 5, 5)) < 0).any()


@pytest.mark.parametrize('kwargs,match', [
    (dict(in_channels=0, out_channels=8), 'in_channels'),
    (dict(in_channels=3, out_channels=8, stride=True), 'stride'),
    (dict(in_channels=3, out_channels=8, kernel_size=2), 'kernel_size'),
])
def test_bad_arguments_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ConvBNAct(**kwargs)
