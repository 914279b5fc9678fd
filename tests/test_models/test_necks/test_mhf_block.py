# Copyright (c) medproto contributors. All rights reserved.
import pytest
import torch
from mmengine.registry import DefaultScope
from mmpretrain.registry import MODELS

import medproto  # noqa: F401
from medproto.models.necks import MHFBlock


@pytest.fixture(autouse=True, scope='module')
def mmpretrain_scope():
    """Build under mmpretrain's scope whatever scope earlier tests left."""
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        yield


def test_shapes_with_and_without_previous_map():
    first = MHFBlock(16, 24, 32)
    assert not hasattr(first, 'gate') and not hasattr(first, 'prev_proj')
    out = first(torch.randn(2, 16, 8, 8), torch.randn(2, 24, 8, 8))
    assert out.shape == (2, 32, 8, 8)
    block = MODELS.build(
        dict(type='MHFBlock', local_channels=32, global_channels=32,
             out_channels=32, prev_channels=16))
    out = block(torch.randn(2, 32, 4, 6), torch.randn(2, 32, 4, 6),
                torch.randn(2, 16, 8, 12))
    assert out.shape == (2, 32, 4, 6)


def test_previous_map_is_a_shortcut():
    torch.manual_seed(0)
    block = MHFBlock(8, 8, 8, prev_channels=4).eval()
    local, global_ = torch.randn(1, 8, 4, 4), torch.randn(1, 8, 4, 4)
    prev = torch.randn(1, 4, 8, 8)
    fused, shortcut = block.fuse(local, global_, prev)
    assert shortcut.shape == fused.shape == (1, 8, 4, 4)
    assert torch.allclose(block(local, global_, prev), fused + shortcut)
    assert torch.equal(shortcut, block.prev_proj(prev))


def test_input_validation():
    block = MHFBlock(8, 8, 8, prev_channels=4)
    x = torch.randn(1, 8, 4, 4)
    with pytest.raises(ValueError, match='prev must be given'):
        block(x, x)
    with pytest.raises(ValueError, match='twice the size'):
        block(x, x, torch.randn(1, 4, 4, 4))
    with pytest.raises(ValueError, match='global must be'):
        block(x, torch.randn(1, 8, 2, 2), torch.randn(1, 4, 8, 8))
    with pytest.raises(ValueError, match='prev must be given'):
        MHFBlock(8, 8, 8)(x, x, torch.randn(1, 4, 8, 8))
    with pytest.raises(ValueError, match='drop_rate'):
        MHFBlock(8, 8, 8, drop_rate=1.5)
    with pytest.raises(ValueError, match='out_channels'):
        MHFBlock(8, 8, 1)


def test_channel_gate_single_vs_public_double_sigmoid():
    torch.manual_seed(0)
    g = torch.randn(4, 32, 5, 5) * 5
    single = MHFBlock(32, 32, 32).channel_att
    double = MHFBlock(32, 32, 32, double_sigmoid=True).channel_att
    double.load_state_dict(single.state_dict())
    a, b = single(g), double(g)
    assert torch.allclose(b, torch.sigmoid(a))
    assert b.min() > 0.5 and b.max() < 0.74  # the public quirk's range
    assert a.min() < 0.5 or a.max() > 0.74
