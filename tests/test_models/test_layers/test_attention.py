# Copyright (c) medproto contributors. All rights reserved.
import pytest
import torch

from medproto.models.layers import (ChannelAttention,
                                    LocalGlobalChannelAttention,
                                    MultiScaleSpatialAttention,
                                    SpatialAttention)


def test_shapes_and_ranges():
    x = torch.randn(2, 16, 5, 7)
    maps = {
        'ca': ChannelAttention(16)(x),
        'lgca': LocalGlobalChannelAttention(16).eval()(x),
        'sa': SpatialAttention(7).eval()(x),
        'mssa': MultiScaleSpatialAttention((3, 5))(x),
    }
    assert maps['ca'].shape == (2, 16, 1, 1)
    assert maps['lgca'].shape == (2, 16, 5, 7)
    assert maps['sa'].shape == maps['mssa'].shape == (2, 1, 5, 7)
    for att in maps.values():
        assert (att > 0).all() and (att < 1).all()


def test_channel_attention_pools_and_bottleneck():
    torch.manual_seed(0)
    ca = ChannelAttention(64, reduction=16, min_channels=8)
    assert ca.mlp[0].out_channels == 8
    se = ChannelAttention(32, pool_types=('avg', ))
    x = torch.randn(1, 32, 4, 4)
    x2 = x.clone()
    x2[0, :, 0, 0] += 10  # changes the max but keeps the mean
    x2[0, :, 0, 1] -= 10
    assert torch.allclose(se(x), se(x2), atol=1e-6)
    cbam = ChannelAttention(32)
    assert not torch.allclose(cbam(x), cbam(x2))


def test_spatial_attention_uses_max_and_mean():
    sa = MultiScaleSpatialAttention((3, ))
    with torch.no_grad():
        sa.convs[0].weight.zero_()
        sa.convs[0].weight[0, 0, 1, 1] = 1.  # max channel, centre tap
        sa.convs[0].bias.zero_()
    x = torch.randn(1, 4, 3, 3)
    assert torch.allclose(sa(x), torch.sigmoid(x.amax(1, keepdim=True)))


@pytest.mark.parametrize('build', [
    lambda: ChannelAttention(16, pool_types=('sum', )),
    lambda: ChannelAttention(0),
    lambda: SpatialAttention(4),
    lambda: MultiScaleSpatialAttention(()),
])
def test_validation(build):
    with pytest.raises(ValueError):
        build()
